"""Plotly figures of the Forecast page: live loss curve and predicted vs actual. No Streamlit calls."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.charts import localise_figure
from ml.i18n import get_language, plotly_separators, t

COLOURS = {
    "actual": "#1f2937",
    "network": "#2563eb",
    "future": "#7c3aed",
    "band": "rgba(124, 58, 237, 0.18)",
    "holdout_band": "rgba(37, 99, 235, 0.15)",
    "train": "#2563eb",
    "val": "#f97316",
}
BASELINE_COLOURS = ["#6b7280", "#10b981", "#f59e0b", "#ef4444", "#14b8a6"]


def _layout(fig: go.Figure, title: str, y_title: str = "") -> go.Figure:
    fig.update_layout(
        title={"text": title, "y": 0.98, "yanchor": "top"},
        template="plotly_white",
        separators=plotly_separators(),
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 110, "b": 10},
        height=520,
        yaxis_title=y_title,
    )
    # Dates and large values as the reader writes them (2011年1月, 2万 under 中文), like Explore's charts.
    localise_figure(fig, get_language())
    fig.update_layout(template="plotly_white")
    return fig


def plot_loss_curve(history: list[dict[str, float]]) -> go.Figure:
    """Training and validation loss per epoch (across all trainings of a run)."""
    fig = go.Figure()
    if history:
        frame = pd.DataFrame(history)
        fig.add_scatter(x=frame["epoch"], y=frame["loss"], name=t("forecast.chart.train_loss"), mode="lines+markers", line={"color": COLOURS["train"]})
        if "val_loss" in frame and frame["val_loss"].notna().any():
            fig.add_scatter(x=frame["epoch"], y=frame["val_loss"], name=t("forecast.chart.val_loss"), mode="lines+markers", line={"color": COLOURS["val"]})
    fig.update_xaxes(title=t("forecast.chart.epoch"))
    return _layout(fig, t("forecast.chart.loss_title"), t("forecast.chart.loss"))


def plot_forecast(
    history: pd.DataFrame,
    holdout: pd.DataFrame,
    future: pd.DataFrame,
    series_id: str,
    baselines: list[str],
    show_baselines: bool,
    history_periods: int = 180,
    series_name: str | None = None,
    value_name: str | None = None,
) -> go.Figure:
    """History, holdout actuals, the network's and baselines' holdout predictions, and the future forecast with
    its prediction interval, for one series."""
    h = history[history["unique_id"] == series_id].tail(history_periods)
    ho = holdout[holdout["unique_id"] == series_id]
    fu = future[future["unique_id"] == series_id]
    fig = go.Figure()
    fig.add_scatter(x=h["ds"], y=h["y"], name=t("forecast.chart.actual"), mode="lines", line={"color": COLOURS["actual"], "width": 1.5})
    if not ho.empty:
        if ho["lower"].notna().any():
            fig.add_scatter(x=ho["ds"], y=ho["upper"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
            fig.add_scatter(x=ho["ds"], y=ho["lower"], mode="lines", line={"width": 0}, fill="tonexty", fillcolor=COLOURS["holdout_band"], name=t("forecast.chart.holdout_interval"), hoverinfo="skip")
        fig.add_scatter(x=ho["ds"], y=ho["network"], name=t("forecast.chart.network"), mode="lines+markers", line={"color": COLOURS["network"], "width": 2.5})
        for i, name in enumerate(baselines):
            if name in ho:
                fig.add_scatter(
                    x=ho["ds"], y=ho[name], name=t(f"forecast.model.{name}"), mode="lines",
                    line={"color": BASELINE_COLOURS[i % len(BASELINE_COLOURS)], "dash": "dot"},
                    visible=True if show_baselines else "legendonly",
                )
        fig.add_vrect(x0=ho["ds"].min(), x1=ho["ds"].max(), fillcolor="rgba(37,99,235,0.05)", line_width=0,
                      annotation_text=t("forecast.chart.holdout"), annotation_position="top left")
    if not fu.empty:
        if fu["lower"].notna().any():
            fig.add_scatter(x=fu["ds"], y=fu["upper"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
            fig.add_scatter(x=fu["ds"], y=fu["lower"], mode="lines", line={"width": 0}, fill="tonexty", fillcolor=COLOURS["band"], name=t("forecast.chart.interval"), hoverinfo="skip")
        fig.add_scatter(x=fu["ds"], y=fu["yhat"], name=t("forecast.chart.future"), mode="lines+markers", line={"color": COLOURS["future"], "width": 2.5})
    fig.update_xaxes(rangeslider={"visible": True}, title=None, type="date")
    title = t("forecast.chart.title", series=series_name or series_id)
    return _layout(fig, title, value_name or t("forecast.chart.value"))
