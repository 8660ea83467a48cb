"""Plotly figures of the Forecast page: live loss curve, predicted vs actual, search trials, and a forecast made
with an uploaded model. No Streamlit calls."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.common.theme import FORECAST_COLOURS as COLOURS
from components.common.theme import TIME_CHART, apply_layout
from ml.i18n import t

BASELINE_COLOURS = ["#6b7280", "#10b981", "#f59e0b", "#ef4444", "#14b8a6"]


def plot_loss_curve(history: list[dict[str, float]]) -> go.Figure:
    """Training and validation loss per epoch (across all trainings of a run)."""
    fig = go.Figure()
    if history:
        frame = pd.DataFrame(history)
        fig.add_scatter(x=frame["epoch"], y=frame["loss"], name=t("forecast.chart.train_loss"), mode="lines+markers", line={"color": COLOURS["train"]})
        if "val_loss" in frame and frame["val_loss"].notna().any():
            fig.add_scatter(x=frame["epoch"], y=frame["val_loss"], name=t("forecast.chart.val_loss"), mode="lines+markers", line={"color": COLOURS["val"]})
    fig.update_xaxes(title=t("forecast.chart.epoch"))
    return apply_layout(fig, t("forecast.chart.loss_title"), yaxis_title=t("forecast.chart.loss"), **TIME_CHART)


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
    entries = sum(1 for trace in fig.data if trace.showlegend is not False)
    # eleven entries (baselines, intervals) take four rows at 1024 px: room for them, or they cover the title
    layout = {**TIME_CHART, "top": 170} if entries > 6 else TIME_CHART
    return apply_layout(fig, title, yaxis_title=value_name or t("forecast.chart.value"), **layout)


def plot_search_trials(trials: pd.DataFrame, baseline_mase: float | None) -> go.Figure:
    """MASE of every search trial in order, the best one marked, the best baseline as a reference line.

    ``trials``: [trial, mase, best (bool)].
    """
    fig = go.Figure()
    ok = trials.dropna(subset=["mase"])
    fig.add_scatter(x=ok["trial"], y=ok["mase"], mode="markers+lines", name=t("runs.search.chart.trial"),
                    marker={"color": COLOURS["network"], "size": 9}, line={"color": "rgba(37,99,235,0.3)"})
    best = ok[ok["best"]]
    if len(best):
        fig.add_scatter(x=best["trial"], y=best["mase"], mode="markers", name=t("runs.search.chart.best"),
                        marker={"color": "#16a34a", "size": 16, "symbol": "star"})
    if baseline_mase is not None:
        fig.add_hline(y=baseline_mase, line_dash="dash", line_color="#6b7280",
                      annotation_text=t("runs.search.chart.best_baseline"))
    fig.update_xaxes(title=t("runs.search.chart.trial_number"), dtick=1)
    fig.update_layout(hovermode="closest")
    fig = apply_layout(fig, t("runs.search.chart.title"), yaxis_title=t("forecast.metric.mase"), **TIME_CHART)
    fig.update_layout(height=380)
    return fig


def plot_bundle_forecast(history: pd.DataFrame, future: pd.DataFrame, series_id: str,
                         history_periods: int = 180) -> go.Figure:
    """Recent history and the uploaded model's forecast of the next periods, for one series."""
    fig = go.Figure()
    h = history[history["unique_id"] == series_id].sort_values("ds").tail(history_periods)
    f = future[future["unique_id"] == series_id].sort_values("ds")
    fig.add_scatter(x=h["ds"], y=h["y"], name=t("runs.chart.actual"), mode="lines",
                    line={"color": COLOURS["actual"]})
    fig.add_scatter(x=f["ds"], y=f["yhat"], name=t("runs.bundle.chart_forecast"), mode="lines+markers",
                    line={"color": COLOURS["future"]})
    fig.update_xaxes(title=t("runs.chart.date"))
    return apply_layout(fig, t("runs.bundle.chart_title", series=series_id), yaxis_title=t("runs.chart.value"),
                        **TIME_CHART)
