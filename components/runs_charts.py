"""Plotly figures of the workspace: runs overlaid on the same actuals, metrics side by side, search trials, and a
forecast made with an uploaded model. Pure functions, no Streamlit calls."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.forecast_charts import COLOURS, _layout
from ml.i18n import t

RUN_COLOURS = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#0ea5e9", "#eab308", "#64748b"]


def plot_runs_overlay(actual: pd.DataFrame, predictions: list[tuple[str, pd.DataFrame]], series_id: str) -> go.Figure:
    """Actuals of the held-out period and each run's network prediction of it (one line per run).

    ``actual``: [unique_id, ds, y]; ``predictions``: (run name, holdout frame [unique_id, ds, network]).
    """
    fig = go.Figure()
    a = actual[actual["unique_id"] == series_id].sort_values("ds")
    fig.add_scatter(x=a["ds"], y=a["y"], name=t("runs.chart.actual"), mode="lines+markers",
                    line={"color": COLOURS["actual"], "width": 3})
    for i, (name, frame) in enumerate(predictions):
        p = frame[frame["unique_id"] == series_id].sort_values("ds")
        fig.add_scatter(x=p["ds"], y=p["network"], name=name, mode="lines+markers",
                        line={"color": RUN_COLOURS[i % len(RUN_COLOURS)], "dash": "dot" if i % 2 else "solid"})
    fig.update_xaxes(title=t("runs.chart.date"))
    return _layout(fig, t("runs.chart.overlay_title", series=series_id), t("runs.chart.value"))


def plot_metrics_side_by_side(table: pd.DataFrame, metric_labels: dict[str, str]) -> go.Figure:
    """One small panel per metric (each on its own scale), one bar per run. ``table``: runs as rows, metrics as
    columns."""
    from plotly.subplots import make_subplots

    metrics = list(table.columns)
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[metric_labels.get(m, m) for m in metrics],
                        horizontal_spacing=0.06)
    for i, (name, row) in enumerate(table.iterrows()):
        for j, metric in enumerate(metrics):
            fig.add_bar(x=[str(name)], y=[float(row[metric])], name=str(name), legendgroup=str(name),
                        showlegend=j == 0, marker_color=RUN_COLOURS[i % len(RUN_COLOURS)], row=1, col=j + 1)
    fig.update_xaxes(showticklabels=False)
    fig = _layout(fig, t("runs.chart.metrics_title"), t("runs.chart.metric_value"))
    fig.update_layout(height=440, hovermode="closest", barmode="group", margin={"l": 10, "r": 10, "t": 80, "b": 10},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.04, "x": 0})
    return fig


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
    fig = _layout(fig, t("runs.search.chart.title"), t("forecast.metric.mase"))
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
    return _layout(fig, t("runs.bundle.chart_title", series=series_id), t("runs.chart.value"))
