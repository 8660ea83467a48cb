"""Plotly figures of the Explore page (``plot_*``: aggregate frame -> ``go.Figure``) and the measure formatting
of its labels and hovers.

No Streamlit here, so a test can build every figure and compare its data with the aggregates. Builders take
the language and currency explicitly (rather than reading the session), plot already-aggregated frames only
(a few hundred points at most, whatever the dataset size), and put locale-formatted text in the hover labels,
because Plotly itself only knows Western number and date formats.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_skeleton
from babel.numbers import get_currency_precision

from components.common.theme import PALETTE, localise_figure
from ml.explore import TopItems, WeekdayMatrix
from ml.i18n import (
    babel_locale,
    format_compact,
    format_day,
    format_money,
    format_number,
    format_percent_value,
    translate,
)

PRIMARY, COMPARISON, SMOOTH = PALETTE[0], "#94a3b8", PALETTE[1]
HEAT_SCALE = [[0.0, "#f1f5f9"], [0.35, "#93c5fd"], [0.7, "#3b82f6"], [1.0, "#1e3a8a"]]
MONEY_MEASURES = frozenset({"revenue", "aov"})


# ----------------------------------------------------------------------------------------- labels & values


def measure_label(measure: str, language: str) -> str:
    labels = {
        "revenue": translate("explore.measure.revenue", language),
        "units": translate("explore.measure.units", language),
        "orders": translate("explore.measure.orders", language),
        "customers": translate("explore.measure.customers", language),
        "aov": translate("explore.measure.aov", language),
        "aov_line": translate("explore.measure.aov_line", language),
    }
    return labels[measure]


def axis_label(measure: str, language: str, currency: str, per_line: bool = False) -> str:
    label = measure_label("aov_line" if measure == "aov" and per_line else measure, language)
    return translate("explore.chart.money_axis", language, label=label, currency=currency) if measure in MONEY_MEASURES else label


def format_measure(value: float | None, measure: str, language: str, currency: str, compact: bool = False) -> str:
    """A measure's value as the page shows it: money for revenue/AOV, whole numbers for counts."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if compact:
        if measure in MONEY_MEASURES:
            return format_money(value, currency, language, compact=True)
        return format_compact(value, language)
    return measure_formatter(measure, language, currency)(value)


@lru_cache(maxsize=64)
def measure_formatter(measure: str, language: str, currency: str) -> Callable[[float | None], str]:
    """A formatter giving exactly what ``ml.i18n`` gives, built once per measure and language.

    Hover labels need thousands of values per chart and Babel takes ~50 µs each: here Babel is asked once for
    the currency's symbol placement and decimals, and each value is rounded like Babel (half-even on the
    decimal written form) and grouped by Python. The result is checked against Babel on probe values; any
    mismatch falls back to Babel itself.
    """
    symbols = babel_locale(language).number_symbols["latn"]
    group, point = symbols["group"], symbols["decimal"]

    def digits_text(value: float, decimals: int) -> str:
        quantum = Decimal(1).scaleb(-decimals)
        rounded = Decimal(repr(abs(float(value)))).quantize(quantum, rounding=ROUND_HALF_EVEN)
        return f"{rounded:,.{decimals}f}".replace(",", "\0").replace(".", point).replace("\0", group)

    if measure in MONEY_MEASURES:
        decimals = get_currency_precision(currency)
        sample = format_money(1234567.0, currency, language)
        body = digits_text(1234567.0, decimals)
        if body not in sample:
            return lambda v: format_money(v, currency, language) if not _missing(v) else "–"
        prefix, suffix = sample.split(body, 1)

        def fast(v):
            if _missing(v):
                return "–"
            text = prefix + digits_text(v, decimals) + suffix
            return "-" + text if math.copysign(1.0, v) < 0 else text  # Babel keeps the sign of -0.00

        reference = lambda v: format_money(v, currency, language)  # noqa: E731
    else:

        def fast(v):
            if _missing(v):
                return "–"
            decimals = 0 if float(v).is_integer() or measure in ("orders", "customers") else 2
            text = digits_text(v, decimals)
            return "-" + text if math.copysign(1.0, v) < 0 else text

        def reference(v):
            return format_number(v, 0 if float(v).is_integer() or measure in ("orders", "customers") else 2, language)

    probes = (0.0, -0.0, 0.5, 2.675, -0.004, -10.0, 1234.5, -1234567.891, 98765.125, 7.0)
    if all(fast(p) == reference(p) for p in probes):
        return fast
    return lambda v: "–" if _missing(v) else reference(v)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def weekday_names(language: str) -> list[str]:
    return [
        translate("explore.weekday.mon", language),
        translate("explore.weekday.tue", language),
        translate("explore.weekday.wed", language),
        translate("explore.weekday.thu", language),
        translate("explore.weekday.fri", language),
        translate("explore.weekday.sat", language),
        translate("explore.weekday.sun", language),
    ]


def _period_text(start: pd.Timestamp, freq: str, language: str) -> str:
    if freq == "W":
        return translate("explore.chart.week_of", language, day=format_day(start, language))
    if freq == "M":
        return _month_text(start, language)
    return format_day(start, language)


def _month_text(start: pd.Timestamp, language: str) -> str:
    """'Jan 2024' / '2024年1月' from CLDR, so month names follow the language."""
    return format_skeleton("yMMM", start, locale=babel_locale(language))


# ------------------------------------------------------------------------------------------------ figures


def plot_trend(
    trend: pd.DataFrame,
    measure: str,
    freq: str,
    language: str,
    currency: str,
    previous: pd.DataFrame | None = None,
    compare: str = "previous",
    per_line: bool = False,
) -> go.Figure:
    """``measure`` per period with a range slider; optionally the comparison period's values (aligned period by
    period) and, for daily data, a 7-day moving average. Partial first/last periods are drawn hollow."""
    label = measure_label("aov_line" if measure == "aov" and per_line else measure, language)
    values = trend[measure].astype(float)
    periods = pd.DatetimeIndex(trend.index)
    partial = trend["partial"].to_numpy(dtype=bool) if "partial" in trend else np.zeros(len(trend), dtype=bool)
    days = trend["days"] if "days" in trend else pd.Series(1, index=trend.index)
    hover = [
        translate("explore.chart.partial_hover", language, value=format_measure(v, measure, language, currency), days=int(d))
        if part
        else format_measure(v, measure, language, currency)
        for v, part, d in zip(values, partial, days, strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=periods,
            y=values.to_numpy(),
            name=label,
            mode="lines+markers" if len(trend) <= 120 else "lines",
            line={"color": PRIMARY, "width": 2.2},
            marker={
                "size": 7,
                "color": [("white" if p else PRIMARY) for p in partial],
                "line": {"color": PRIMARY, "width": 1.5},
            },
            customdata=np.array(hover, dtype=object).reshape(-1, 1),
            hovertemplate="%{customdata[0]}<extra>" + label + "</extra>",
        )
    )
    if freq == "D" and len(trend) >= 14 and measure != "aov":
        smooth = values.rolling(7, min_periods=7).mean()
        smooth_label = translate("explore.chart.moving_average", language)
        fig.add_trace(
            go.Scatter(
                x=periods,
                y=smooth.to_numpy(),
                name=smooth_label,
                mode="lines",
                line={"color": SMOOTH, "width": 2},
                customdata=np.array([format_measure(v, measure, language, currency) for v in smooth]).reshape(-1, 1),
                hovertemplate="%{customdata[0]}<extra>" + smooth_label + "</extra>",
            )
        )
    if previous is not None and len(previous):
        n = min(len(previous), len(trend))
        prev_values = previous[measure].astype(float).to_numpy()[:n]
        prev_label = translate(
            "explore.chart.previous_year" if compare == "year" else "explore.chart.previous_period", language
        )
        prev_hover = [
            translate("explore.chart.previous_hover", language, period=_period_text(p, freq, language),
                      value=format_measure(v, measure, language, currency))
            for p, v in zip(pd.DatetimeIndex(previous.index)[:n], prev_values, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=periods[:n],
                y=prev_values,
                name=prev_label,
                mode="lines",
                line={"color": COMPARISON, "width": 1.6, "dash": "dot"},
                customdata=np.array(prev_hover, dtype=object).reshape(-1, 1),
                hovertemplate="%{customdata[0]}<extra>" + prev_label + "</extra>",
            )
        )
    fig.update_layout(
        title={"text": translate("explore.chart.trend_title", language, measure=label), "x": 0},
        hovermode="x unified",
        height=430,
        yaxis={"title": {"text": axis_label(measure, language, currency, per_line)}, "rangemode": "tozero"},
        xaxis={
            "type": "date",
            "title": None,
            "hoverformat": {
                "D": translate("explore.chart.hover_day", language),
                "W": translate("explore.chart.hover_week", language),
                "M": translate("explore.chart.hover_month", language),
            }[freq],
            "rangeslider": {"visible": True, "thickness": 0.08},
            "rangeselector": {
                "buttons": [
                    {"count": 1, "label": translate("explore.chart.range_1m", language), "step": "month", "stepmode": "backward"},
                    {"count": 3, "label": translate("explore.chart.range_3m", language), "step": "month", "stepmode": "backward"},
                    {"count": 6, "label": translate("explore.chart.range_6m", language), "step": "month", "stepmode": "backward"},
                    {"count": 1, "label": translate("explore.chart.range_ytd", language), "step": "year", "stepmode": "todate"},
                    {"count": 1, "label": translate("explore.chart.range_1y", language), "step": "year", "stepmode": "backward"},
                    {"label": translate("explore.chart.range_all", language), "step": "all"},
                ],
                "x": 0,
                "y": 1.0,
                "yanchor": "bottom",
            },
        },
        legend={"y": 1.12, "x": 1, "xanchor": "right"},  # the title sits on the left
        margin={"t": 90},
    )
    return localise_figure(fig, language)


def plot_top(top: TopItems, language: str, currency: str) -> go.Figure:
    """Horizontal bars of the top members (largest on top) labelled with their share of the total."""
    table = top.table
    measure = top.measure
    label = measure_label(measure, language)
    shares = [format_percent_value(s, 1, language) for s in table["share"]]
    hover = [
        translate(
            "explore.chart.top_hover",
            language,
            name=name,
            value=format_measure(v, measure, language, currency),
            share=share,
        )
        for name, v, share in zip(table["label"], table[measure], shares, strict=True)
    ]
    names = [_shorten(str(n)) for n in table["label"]]
    colour = {"product": PALETTE[0], "category": PALETTE[2], "region": PALETTE[3]}[top.dimension]
    fig = go.Figure(
        go.Bar(
            x=table[measure].astype(float).to_numpy(),
            y=names,
            orientation="h",
            marker={"color": colour},
            text=shares,
            textposition="auto",
            customdata=np.array(hover, dtype=object).reshape(-1, 1),
            hovertemplate="%{customdata[0]}<extra></extra>",
            name=label,
        )
    )
    title_ids = {
        "product": "explore.chart.top_products_title",
        "category": "explore.chart.top_categories_title",
        "region": "explore.chart.top_regions_title",
    }
    title = translate(title_ids[top.dimension], language, measure=label, n=len(table))
    fig.update_layout(
        title={"text": title, "x": 0},
        height=max(260, 70 + 30 * len(table)),
        xaxis={"title": {"text": axis_label(measure, language, currency)}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        showlegend=False,
        bargap=0.25,
    )
    return localise_figure(fig, language)


def _shorten(text: str, limit: int = 42) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plot_heatmap(matrix: WeekdayMatrix, language: str, currency: str, per_line: bool = False) -> go.Figure:
    """Weekday (rows, Monday on top) x week or month (columns); empty cells lie outside the date range."""
    measure = matrix.measure
    values = matrix.values
    columns = pd.DatetimeIndex(values.columns)
    weekdays = weekday_names(language)
    text = np.empty(values.shape, dtype=object)
    for i in range(values.shape[0]):
        for j, start in enumerate(columns):
            v = values.iat[i, j]
            if matrix.layout == "week":
                day = start + pd.Timedelta(days=i)
                text[i, j] = translate(
                    "explore.chart.heat_hover_week", language, weekday=weekdays[i], day=format_day(day, language),
                    value=format_measure(v, measure, language, currency),
                )
            else:
                text[i, j] = translate(
                    "explore.chart.heat_hover_month", language, weekday=weekdays[i],
                    month=_month_text(start, language),
                    days=int(matrix.days.iat[i, j]), value=format_measure(v, measure, language, currency),
                )
    label = measure_label("aov_line" if measure == "aov" and per_line else measure, language)
    title_id = "explore.chart.heatmap_week_title" if matrix.layout == "week" else "explore.chart.heatmap_month_title"
    fig = go.Figure(
        go.Heatmap(
            z=values.to_numpy(dtype=float),
            x=columns,
            y=weekdays,
            colorscale=HEAT_SCALE,
            hoverongaps=False,
            customdata=text,
            hovertemplate="%{customdata}<extra></extra>",
            colorbar={"title": {"text": axis_label(measure, language, currency, per_line), "side": "right"}, "thickness": 12},
            xgap=1,
            ygap=1,
        )
    )
    fig.update_layout(
        title={"text": translate(title_id, language, measure=label), "x": 0},
        height=330,
        yaxis={"autorange": "reversed", "type": "category", "showgrid": False},
        xaxis={"type": "date", "showgrid": False},
    )
    return localise_figure(fig, language)
