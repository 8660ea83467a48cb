"""The look every SalesLens figure shares: palette and Plotly template, the one page layout of a figure (title,
legend, margins, the language's separators), and localisation (date ticks from the catalogue, 万/亿 value ticks
in Chinese, since Plotly itself only knows Western number and date formats). No Streamlit calls."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ml.i18n import format_compact, get_language, plotly_separators, translate

PALETTE = ("#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#0ea5e9", "#eab308", "#64748b")
FONT = "Inter, 'Source Sans Pro', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        colorway=list(PALETTE),
        font={"family": FONT, "size": 13},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        xaxis={"gridcolor": "rgba(148,163,184,0.25)", "zeroline": False},
        yaxis={"gridcolor": "rgba(148,163,184,0.25)", "zerolinecolor": "rgba(148,163,184,0.5)"},
    )
)
COMPACT_FROM = 10_000  # same threshold as ml.i18n.format_compact
# The series of a forecast, on the Forecast and Runs pages alike.
FORECAST_COLOURS = {
    "actual": "#1f2937",
    "network": "#2563eb",
    "future": "#7c3aed",
    "band": "rgba(124, 58, 237, 0.18)",
    "holdout_band": "rgba(37, 99, 235, 0.15)",
    "train": "#2563eb",
    "val": "#f97316",
}
LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0}
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0}
# Figures over time (forecasts, runs, search trials): a tall chart, the legend above it, one hover for all series.
TIME_CHART = {"height": 520, "top": 110, "legend": LEGEND_ABOVE, "hovermode": "x unified"}


def apply_layout(fig: go.Figure, title: str, *, height: int, top: int, legend: dict | None = None,
                 template: str | go.layout.Template = "plotly_white", localise: bool = True, **layout) -> go.Figure:
    """The layout of a page's figure: the title at the top left, the language's separators, ``top`` pixels above
    the plot for title and legend (``legend=None``: no legend), then (``localise``) dates and large values as the
    reader writes them (2011年1月, 2万 under 中文), like Explore's charts. ``layout``: further Plotly layout."""
    fig.update_layout(
        title={"text": title, "y": 0.98, "yanchor": "top"},
        template=template,
        separators=plotly_separators(),
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        height=height,
        **({"legend": legend} if legend is not None else {"showlegend": False}),
        **layout,
    )
    if localise:
        localise_figure(fig, get_language())
        fig.update_layout(template=template)  # localise_figure sets the SalesLens template
    return fig


# ------------------------------------------------------------------------------------------- localisation


def nice_ticks(low: float, high: float, target: int = 5) -> np.ndarray:
    """Round tick values covering [low, high] (and zero), about ``target`` of them, steps of 1/2/2.5/5 x 10^k."""
    low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    if span <= 0:
        return np.array([low])
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return np.round(np.arange(first, last + step / 2, step), 10)


def _finite(values) -> np.ndarray:
    if values is None:
        return np.array([])
    arr = np.asarray(values, dtype=object).ravel()
    out = pd.to_numeric(pd.Series(arr), errors="coerce").to_numpy(dtype=float)
    return out[np.isfinite(out)]


def _is_numeric(values) -> bool:
    if values is None or len(values) == 0:
        return False
    sample = np.asarray(values, dtype=object).ravel()
    return all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in sample if v is not None)


def _value_axes(fig: go.Figure) -> dict[str, list[np.ndarray]]:
    """Numeric values plotted on each axis (``yaxis``, ``xaxis2``...), by trace orientation."""
    axes: dict[str, list[np.ndarray]] = {}
    for trace in fig.data:
        if trace.type not in ("scatter", "scattergl", "bar"):
            continue
        horizontal = getattr(trace, "orientation", None) == "h"
        values, ref = (trace.x, trace.xaxis or "x") if horizontal else (trace.y, trace.yaxis or "y")
        if _is_numeric(values):
            axes.setdefault(ref[0] + "axis" + ref[1:], []).append(_finite(values))
    return axes


def _compact_ticks(values: np.ndarray, language: str) -> tuple[list[float], list[str]] | None:
    if values.size == 0 or np.abs(values).max() < COMPACT_FROM:
        return None
    ticks = nice_ticks(float(values.min()), float(values.max()))
    return [float(v) for v in ticks], [format_compact(float(v), language) for v in ticks]


def localise_figure(fig: go.Figure, language: str) -> go.Figure:
    """Number separators for the language; date tick formats from the catalogue; in Chinese, large values on
    value axes and colour bars get 万/亿 tick labels (Plotly's own SI suffixes mean nothing to Chinese readers)."""
    fig.update_layout(separators=plotly_separators(language), template=TEMPLATE)
    stops = [
        {"dtickrange": [None, 86_400_000 * 27], "value": translate("explore.chart.tick_day", language)},
        {"dtickrange": [86_400_000 * 27, "M12"], "value": translate("explore.chart.tick_month", language)},
        {"dtickrange": ["M12", None], "value": translate("explore.chart.tick_year", language)},
    ]
    fig.for_each_xaxis(lambda axis: axis.update(tickformatstops=stops) if axis.type == "date" else None)
    if language != "zh":
        return fig
    for axis_name, chunks in _value_axes(fig).items():
        ticks = _compact_ticks(np.concatenate(chunks), language)
        if ticks:
            fig.layout[axis_name].update(tickmode="array", tickvals=ticks[0], ticktext=ticks[1])
    for trace in fig.data:
        if trace.type == "heatmap":
            ticks = _compact_ticks(_finite(trace.z), language)
            if ticks:
                trace.colorbar.update(tickmode="array", tickvals=ticks[0], ticktext=ticks[1])
    return fig
