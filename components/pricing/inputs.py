"""Pricing page inputs: estimation settings and the optimiser's limits, the product, its own floor/ceiling and the
what-if price. Each returns values; nothing here computes."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from components import state
from ml.i18n import t
from ml.pricing import COV_TYPES, OBJECTIVES, ElasticityConfig, OptimiserConfig

ENDING_OPTIONS = (0.99, 0.49)
FREQ_OPTIONS = ("W", "D")  # weekly first: the default (see ElasticityConfig)


def _defaults(has_cost: bool) -> None:
    state.default_widget(state.PRICING_OBJECTIVE, "profit" if has_cost else "revenue")
    state.default_widget(state.PRICING_MAX_CHANGE, 15)
    state.default_widget(state.PRICING_ENDINGS, [])
    state.default_widget(state.PRICING_INCLUDE_LOW, False)


def ending_label(ending: float) -> str:
    return f".{round(ending * 100):02d}"


def input_settings(has_cost: bool) -> tuple[ElasticityConfig, OptimiserConfig]:
    """The settings form: objective, maximum change, margins, price endings, estimation frequency, standard errors."""
    _defaults(has_cost)
    c1, c2, c3 = st.columns(3)
    objective = c1.selectbox(t("pricing.input.objective"), OBJECTIVES[::-1], format_func=lambda x: t(f"pricing.objective.{x}"),
                             key=state.PRICING_OBJECTIVE, help=t("pricing.input.objective_help"))
    max_change = c2.slider(t("pricing.input.max_change"), 1, 50, step=1, format="±%d%%", key=state.PRICING_MAX_CHANGE,
                           help=t("pricing.input.max_change_help"))
    endings = c3.multiselect(t("pricing.input.endings"), ENDING_OPTIONS, format_func=ending_label,
                             key=state.PRICING_ENDINGS, help=t("pricing.input.endings_help"),
                             placeholder=t("pricing.input.endings_placeholder"))
    c4, c5, c6, c7 = st.columns(4)
    min_margin = c4.number_input(t("pricing.input.min_margin"), min_value=0.0, max_value=95.0, value=None, step=5.0,
                                 key=state.PRICING_MIN_MARGIN, help=t("pricing.input.min_margin_help"))
    margin = c5.number_input(t("pricing.input.margin"), min_value=0.0, max_value=95.0, value=None, step=5.0,
                             key=state.PRICING_MARGIN, help=t("pricing.input.margin_help"))
    freq = c6.selectbox(t("pricing.input.freq"), FREQ_OPTIONS, format_func=lambda x: t(f"pricing.freq.{x}"),
                        key=state.PRICING_FREQ, help=t("pricing.input.freq_help"))
    cov_type = c7.selectbox(t("pricing.input.cov_type"), COV_TYPES, format_func=lambda x: t(f"pricing.cov_type.{x}"),
                            key=state.PRICING_COV_TYPE, help=t("pricing.headline.cov_type_help"))
    include_low = st.toggle(t("pricing.input.include_low"), key=state.PRICING_INCLUDE_LOW,
                            help=t("pricing.input.include_low_help"))
    ecfg = ElasticityConfig(freq=freq, cov_type=cov_type)
    ocfg = OptimiserConfig(
        objective=objective, max_change=max_change / 100.0,
        min_margin=None if min_margin is None else min_margin / 100.0,
        margin=None if margin is None else margin / 100.0,
        endings=tuple(sorted(endings)), include_low_confidence=bool(include_low),
    )
    return ecfg, ocfg


def product_bounds(product_ids: list[str]) -> dict[str, tuple[float | None, float | None]]:
    """The per-product floors and ceilings the analyst has entered (read before the widgets are drawn)."""
    bounds = {}
    for pid in product_ids:
        floor, ceiling = state.widget_value(state.pricing_floor_key(pid)), state.widget_value(state.pricing_ceiling_key(pid))
        if floor is not None or ceiling is not None:
            if floor is not None and ceiling is not None and floor > ceiling:
                floor, ceiling = ceiling, floor
            bounds[pid] = (floor, ceiling)
    return bounds


def input_product(table: pd.DataFrame) -> str | None:
    """The product to look at: estimable products first, most recent revenue (units per period at the current
    price × price) first."""
    if table.empty:
        return None
    recent = (table["baseline_units"] * table["current_price"]).fillna(0)
    order = table.assign(_ok=table["status"] == "ok", _rev=recent).sort_values(["_ok", "_rev"], ascending=False)
    ids = order["product_id"].astype(str).tolist()
    names = dict(zip(table["product_id"], table["name"], strict=True))
    if state.widget_value(state.PRICING_PRODUCT) not in ids:
        state.set_widget(state.PRICING_PRODUCT, ids[0])
    return st.selectbox(t("pricing.input.product"), ids, format_func=lambda p: f"{p} · {names.get(p, '')}".rstrip(" ·"),
                        key=state.PRICING_PRODUCT)


def input_bounds(product_id: str, current_price: float) -> None:
    c1, c2 = st.columns(2)
    step = 0.01 if current_price < 100 else 1.0
    c1.number_input(t("pricing.input.floor"), min_value=0.01, value=None, step=step, format="%.2f",
                    key=state.pricing_floor_key(product_id), help=t("pricing.input.bounds_help"))
    c2.number_input(t("pricing.input.ceiling"), min_value=0.01, value=None, step=step, format="%.2f",
                    key=state.pricing_ceiling_key(product_id), help=t("pricing.input.bounds_help"))


def input_whatif_price(product_id: str, current_price: float, suggested_price: float) -> float:
    """A price between half and one and a half times the current price, starting at the suggestion."""
    low = math.floor(current_price * 0.5 * 100) / 100
    high = math.ceil(current_price * 1.5 * 100) / 100
    start = suggested_price if math.isfinite(suggested_price) else current_price
    key = state.pricing_whatif_key(product_id)
    value = state.widget_value(key)
    if value is None or not low <= value <= high:
        state.set_widget(key, round(min(max(start, low), high), 2))
    step = 0.01 if current_price < 20 else (0.05 if current_price < 200 else 1.0)
    return float(st.slider(t("pricing.input.whatif_price"), low, high, step=step, format="%.2f", key=key))
