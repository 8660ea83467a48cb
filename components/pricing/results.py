"""Pricing page results: portfolio summary, the product table with its download, one product's estimate,
charts and what-if, the forecast at two prices, and cross-price hints."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from components import state
from components.common.page import MISSING_CELL
from components.pricing.charts import plot_demand_curve, plot_forecast_at_prices, plot_value_curves
from ml.export import to_safe_csv
from ml.i18n import (
    babel_locale,
    format_compact,
    format_money,
    format_number,
    format_percent_value,
    get_language,
    t,
)
from ml.pricing import PortfolioSummary, demand_curves

EXPORT_COLUMNS = (
    "product_id", "name", "status", "reason", "elasticity", "ci_low", "ci_high", "std_error", "r2", "n_obs",
    "n_prices", "confidence", "current_price", "suggested_price", "cost_used", "cost_source", "bound",
    "units_change", "revenue_change", "revenue_change_low", "revenue_change_high", "profit_change",
    "profit_change_low", "profit_change_high", "suggestion_status", "suggestion_reason",
)


def _pct(value: float, decimals: int = 1) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return ("+" if value > 0 else "") + format_percent_value(value, decimals)


def _money_delta(value: float, currency: str) -> str:
    """Signed money, sign first ("-$10.8K", "+¥4,745.05")."""
    if value is None or not np.isfinite(value):
        return "–"
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return sign + format_money(abs(value), currency, compact=True)


def babel_currency_symbol(currency: str) -> str:
    return babel_locale().currency_symbols.get(currency, currency)


def _signed_money(value: float, currency: str, compact: bool) -> str:
    """Signed money in one style for every figure of a statement: all compact (£184, £195.6K) or none."""
    if value is None or not np.isfinite(value):
        return "–"
    sign = "+" if value > 0 else "-" if value < 0 else ""
    if compact:
        return sign + babel_currency_symbol(currency) + format_compact(abs(value))
    return sign + format_money(abs(value), currency)


def _money_range(low: float, high: float, currency: str) -> str:
    compact = max(abs(low), abs(high)) >= 10_000 if np.isfinite(low) and np.isfinite(high) else False
    return t("pricing.headline.range", low=_signed_money(low, currency, compact),
             high=_signed_money(high, currency, compact))


def show_summary(summary: PortfolioSummary, currency: str) -> None:
    """The headline is the range the elasticities' intervals allow, not one figure; the central estimate and the
    products that drive it are named under it."""
    c1, c2 = st.columns(2)
    c1.metric(t("pricing.summary.estimable"), t("pricing.summary.estimable_value", estimable=format_number(summary.n_estimable),
                                                  products=format_number(summary.n_products)))
    c2.metric(t("pricing.summary.moves"), t("pricing.summary.moves_value", raised=format_number(summary.n_raise),
                                             cut=format_number(summary.n_cut), kept=format_number(summary.n_keep)))
    c3, c4 = st.columns([3, 2])  # the revenue range ("+£586 to +£118.7K") was cut at 1024 px in half a row
    if not summary.n_suggested:  # nothing counted: no figure at all rather than a "+£0.00"
        c3.metric(t("pricing.summary.revenue"), "–")
        c4.metric(t("pricing.summary.profit"), "–")
        st.caption(t("pricing.headline.none"))
        if summary.n_held_back:
            st.caption(t("pricing.headline.held_back", count=format_number(summary.n_held_back)))
        return
    c3.metric(t("pricing.summary.revenue"), _money_range(summary.revenue_change_low, summary.revenue_change_high, currency),
              help=t("pricing.headline.range_help"))
    compact = max(abs(summary.revenue_change_low), abs(summary.revenue_change_high)) >= 10_000
    c3.caption(t("pricing.headline.central", value=_signed_money(summary.revenue_change, currency, compact),
                 percent=_pct(summary.revenue_change / summary.revenue_now) if summary.revenue_now else "–"))
    profit_ok = np.isfinite(summary.profit_now) and summary.profit_now
    c4.metric(t("pricing.summary.profit"),
              _money_range(summary.profit_change_low, summary.profit_change_high, currency) if profit_ok else "–",
              help=t("pricing.headline.range_help"))
    if profit_ok:
        c4.caption(t("pricing.headline.central", value=_money_delta(summary.profit_change, currency),
                     percent=_pct(summary.profit_change / summary.profit_now)))
    show_basis(summary)
    if summary.drivers:
        parts = [t("pricing.headline.driver", name=d["name"] or d["product_id"],
                   change=_signed_money(d["change"], currency, compact),
                   share=format_percent_value(d["share"], 0)) for d in summary.drivers]
        st.caption(t("pricing.headline.drivers", drivers="; ".join(parts)))
    if summary.n_held_back:
        st.caption(t("pricing.headline.held_back", count=format_number(summary.n_held_back)))
    not_estimable = summary.n_products - summary.n_estimable
    if not_estimable:
        st.caption(t("pricing.summary.not_estimable", count=format_number(not_estimable)))
    if summary.n_low_confidence:
        message_id = "pricing.summary.low_included" if summary.include_low_confidence else "pricing.summary.low_left_out"
        st.caption(t(message_id, count=format_number(summary.n_low_confidence)))


def show_basis(summary: PortfolioSummary) -> None:
    """What the headline rests on: the baseline of each product's units, and how many suggestions stop at a limit
    with the median elasticity they assume (on UCI: every one a 15% cut at elasticities near -2.6)."""
    freq = summary.freq if summary.freq in ("D", "W") else "W"
    recent = t(f"pricing.headline.window_{freq}", n=summary.baseline_periods)
    if summary.year_baseline:
        st.caption(t("pricing.headline.basis_year", recent=recent, year=format_number(summary.n_year_baseline),
                     count=format_number(summary.n_suggested)))
    else:
        st.caption(t("pricing.headline.basis_recent", recent=recent))
    if summary.n_bound and np.isfinite(summary.median_elasticity):
        limit = max(summary.bound_counts, key=summary.bound_counts.get)
        st.caption(t("pricing.headline.limits", bound=format_number(summary.n_bound), count=format_number(summary.n_suggested),
                     limit=" + ".join(t(f"pricing.headline.limit.{part}") for part in limit.split("+")),
                     elasticity=format_number(summary.median_elasticity, 1)))


def _note(row: pd.Series) -> str:
    if row["status"] != "ok":
        return t(f"pricing.reason.{row['reason']}") if isinstance(row["reason"], str) else t("pricing.status.not_estimable")
    if row["suggestion_status"] != "ok":
        reason = row["suggestion_reason"]
        return t(f"pricing.reason.{reason}") if isinstance(reason, str) else t(f"pricing.status.{row['suggestion_status']}")
    return t(f"pricing.bound.{row['bound']}") if isinstance(row["bound"], str) and "+" not in row["bound"] else ""


def display_table(table: pd.DataFrame, objective: str) -> pd.DataFrame:
    """The table as shown: numeric columns stay numbers (so sorting works), texts translated. The expected uplift
    is the change in the objective (profit or revenue)."""
    ci = [f"[{format_number(lo, 2)}, {format_number(hi, 2)}]" if np.isfinite(lo) else "–"
          for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)]
    given = table["suggestion_status"].eq("ok")  # a held-back suggestion shows its reason, not its numbers
    objective_change = (table["profit_change"] if objective == "profit" else table["revenue_change"]).where(given)
    suggested = table["suggested_price"].where(given)
    return pd.DataFrame({
        t("pricing.column.product"): table["product_id"].astype(str),
        t("pricing.column.name"): table["name"].fillna("").astype(str),
        t("pricing.column.current_price"): table["current_price"].astype(float),
        t("pricing.column.elasticity"): table["elasticity"].astype(float),
        t("pricing.column.ci"): ci,
        t("pricing.column.suggested_price"): suggested.astype(float),
        t("pricing.column.price_change"): (suggested / table["current_price"] - 1).astype(float) * 100,
        t("pricing.column.revenue_change"): table["revenue_change"].where(given).astype(float) * 100,
        t("pricing.column.uplift"): objective_change.astype(float) * 100,
        t("pricing.column.confidence"): [t(f"pricing.confidence.{c}") for c in table["confidence"]],
        t("pricing.column.n_obs"): table["n_obs"].astype(int),
        t("pricing.column.note"): [_note(row) for _, row in table.iterrows()],
    })


@st.cache_data(max_entries=8, show_spinner=False)
def _table_view(_table: pd.DataFrame, key: tuple, show_all: bool, objective: str, language: str):
    """The displayed table and its CSV, built once per table and view (0.4 s for 3,941 products)."""
    shown = _table if show_all else _table.loc[_table["status"] == "ok"]
    export = _table[[c for c in EXPORT_COLUMNS if c in _table]]
    return display_table(shown, objective), to_safe_csv(export)


def show_table(table: pd.DataFrame, key: tuple, show_all: bool, objective: str) -> None:
    """``key`` identifies ``table`` (see components.pricing.caches.suggestions_key)."""
    frame, csv = _table_view(table, key, show_all, objective, get_language())
    # One format per column; the cells stay numbers (so they sort) and what is not there shows MISSING_CELL.
    two = st.column_config.NumberColumn(format="%.2f")
    percent = st.column_config.NumberColumn(format="%+.1f%%")
    config = {
        t("pricing.column.current_price"): two, t("pricing.column.suggested_price"): two,
        t("pricing.column.elasticity"): two, t("pricing.column.price_change"): percent,
        t("pricing.column.revenue_change"): percent, t("pricing.column.uplift"): percent,
        t("pricing.column.note"): st.column_config.TextColumn(width="large"),
    }
    st.dataframe(
        frame, hide_index=True, width="stretch", height=min(38 * (len(frame) + 1) + 4, 520),
        column_config=config, placeholder=MISSING_CELL, key=state.PRICING_TABLE_CHART,
    )
    st.caption(t("pricing.table.caption"))
    st.download_button(t("pricing.table.download"), csv, file_name="saleslens_pricing.csv",
                       mime="text/csv", key=state.PRICING_DOWNLOAD_CSV)


def show_estimate(row: pd.Series, ml: tuple[float, np.ndarray, np.ndarray] | None, currency: str) -> None:
    c1, c2, c3 = st.columns(3)
    c1.metric(t("pricing.product.elasticity"), format_number(row["elasticity"], 2), help=t("pricing.product.elasticity_help"))
    c1.caption(t("pricing.product.interval", low=format_number(row["ci_low"], 2), high=format_number(row["ci_high"], 2),
                 n_obs=int(row["n_obs"]), n_prices=int(row["n_prices"]), r2=format_number(row["r2"], 2)))
    c2.metric(t("pricing.product.ml"), format_number(ml[0], 2) if ml else "–", help=t("pricing.product.ml_help"))
    if ml is None:
        c2.caption(t("pricing.product.ml_failed"))
    elif np.isfinite(row["promo_effect"]):
        c2.caption(t("pricing.product.promo", effect=format_number(row["promo_effect"], 2)))
    if row["suggestion_status"] == "ok":
        c3.metric(t("pricing.product.suggested"), format_money(row["suggested_price"], currency),
                  _pct(row["suggested_price"] / row["current_price"] - 1))
        c3.caption(t("pricing.product.cost", cost=format_money(row["cost_used"], currency),
                     source=t(f"pricing.cost_source.{row['cost_source']}")) if isinstance(row["cost_source"], str) else "")
        if isinstance(row["bound"], str):
            st.info(t("pricing.product.bound_note", bound=t(f"pricing.bound.{row['bound']}")), icon=":material/straighten:")
        if row["elasticity"] > -1:
            st.caption(t("pricing.product.inelastic_note"))
    else:
        reason = row["suggestion_reason"]
        c3.metric(t("pricing.product.suggested"), "–")
        st.warning(t("pricing.product.no_suggestion", reason=t(f"pricing.reason.{reason}") if isinstance(reason, str) else "–"))


def show_charts(row: pd.Series, observations: pd.DataFrame, ml: tuple[float, np.ndarray, np.ndarray] | None,
                whatif_price: float, per30: float, currency: str) -> None:
    label = str(row["product_id"])  # two charts side by side: the name (in the picker above) cut their titles
    ml_curve = None
    if ml is not None:
        _, prices, units = ml
        at_current = float(np.interp(row["current_price"], prices, units))
        if at_current > 0:  # the tree model's shape, passed through the current point like the fitted curve
            ml_curve = (prices, units * row["baseline_units"] / at_current)
    suggested = row["suggested_price"] if row["suggestion_status"] == "ok" else math.nan
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(plot_demand_curve(observations, label, row["current_price"], row["baseline_units"], row["elasticity"],
                                          (row["ci_low"], row["ci_high"]), suggested, currency, ml_curve),
                        width="stretch", key=state.PRICING_DEMAND_CHART)
    with c2:
        st.plotly_chart(plot_value_curves(label, row["current_price"], row["baseline_units"], row["elasticity"],
                                          row["cost_used"], suggested, whatif_price, per30, currency,
                                          row.get("lower", math.nan), row.get("upper", math.nan)),
                        width="stretch", key=state.PRICING_VALUE_CHART)


def whatif_values(row: pd.Series, price: float, per30: float) -> dict[str, tuple[float, float]]:
    """Units, revenue and profit per 30 days at ``price`` and at the current price."""
    base = row["baseline_units"] * per30
    new = demand_curves(price, row["current_price"], base, row["elasticity"], row["cost_used"])
    now = demand_curves(row["current_price"], row["current_price"], base, row["elasticity"], row["cost_used"])
    return {name: (float(a), float(b)) for name, a, b in zip(("units", "revenue", "profit"), new, now, strict=True)}


def show_whatif(row: pd.Series, price: float, per30: float, currency: str) -> None:
    values = whatif_values(row, price, per30)
    c1, c2, c3 = st.columns(3)
    units, units_now = values["units"]
    c1.metric(t("pricing.whatif.units"), format_number(units, 0), _pct(units / units_now - 1) if units_now else None)
    revenue, revenue_now = values["revenue"]
    compact = abs(revenue) >= 10_000  # value and change in one style ("£19.2K, +£10.8K", not "£19,222.56, +£10.8K")
    c2.metric(t("pricing.whatif.revenue"), _signed_money(revenue, currency, compact).lstrip("+"),
              _signed_money(revenue - revenue_now, currency, compact))
    profit, profit_now = values["profit"]
    if np.isfinite(profit):
        c3.metric(t("pricing.whatif.profit"), _signed_money(profit, currency, compact).lstrip("+"),
                  _signed_money(profit - profit_now, currency, compact))
    else:
        c3.metric(t("pricing.whatif.profit"), "–")
    ends = [demand_curves(price, row["current_price"], row["baseline_units"] * per30, e)[0] for e in (row["ci_low"], row["ci_high"])]
    st.caption(t("pricing.whatif.band", units_low=format_number(min(ends), 0), units_high=format_number(max(ends), 0)))


def show_forecast(forecast, label: str) -> None:
    st.plotly_chart(plot_forecast_at_prices(forecast.history, forecast.forecast, label), width="stretch",
                    key=state.PRICING_FORECAST_CHART)
    message = "pricing.forecast.method_fallback" if forecast.fallback else "pricing.forecast.method"
    st.caption(t(message, method=forecast.method))
    current, suggested = forecast.forecast["at_current"].sum(), forecast.forecast["at_suggested"].sum()
    st.markdown(t("pricing.forecast.total", weeks=len(forecast.forecast), current=format_number(current, 0),
                  suggested=format_number(suggested, 0), change=_pct(suggested / current - 1) if current else "–"))


def show_cross(hints: pd.DataFrame, source: str, names: dict[str, str]) -> None:
    st.caption(t("pricing.cross.intro", days=14) + " " + t(f"pricing.cross.source_{source}"))
    if hints.empty:
        st.caption(t("pricing.cross.none"))
        return
    frame = pd.DataFrame({
        t("pricing.cross.partner"): [f"{p} · {names.get(p, '')}".rstrip(" ·") for p in hints["partner"]],
        t("pricing.cross.kind"): [t(f"pricing.cross.{k}") for k in hints["kind"]],
        t("pricing.cross.customers"): hints["n_customers"].astype(int),
        t("pricing.cross.lift"): hints["lift"].astype(float).round(2),
        t("pricing.column.price_change"): [_pct(c) for c in hints["price_change"]],
    })
    st.dataframe(frame, hide_index=True, width="stretch", placeholder=MISSING_CELL)
    repriced = int(hints["repriced"].sum())
    if repriced:
        st.warning(t("pricing.cross.warning", count=repriced), icon=":material/link:")
