"""Plotly figures of the Runs page: runs overlaid on the same actuals, metrics side by side. Pure functions, no
Streamlit calls."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.common.theme import FORECAST_COLOURS as COLOURS
from components.common.theme import PALETTE, TIME_CHART, apply_layout
from ml.i18n import t

RUN_COLOURS = list(PALETTE)


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
    return apply_layout(fig, t("runs.chart.overlay_title", series=series_id), yaxis_title=t("runs.chart.value"),
                        **TIME_CHART)


def plot_metrics_side_by_side(table: pd.DataFrame, metric_labels: dict[str, str]) -> go.Figure:
    """One small panel per metric (each on its own scale), one bar per run. ``table``: runs as rows, metrics as
    columns."""
    metrics = list(table.columns)
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[metric_labels.get(m, m) for m in metrics],
                        horizontal_spacing=0.06)
    for i, (name, row) in enumerate(table.iterrows()):
        for j, metric in enumerate(metrics):
            fig.add_bar(x=[str(name)], y=[float(row[metric])], name=str(name), legendgroup=str(name),
                        showlegend=j == 0, marker_color=RUN_COLOURS[i % len(RUN_COLOURS)], row=1, col=j + 1)
    fig.update_xaxes(showticklabels=False)
    fig = apply_layout(fig, t("runs.chart.metrics_title"), yaxis_title=t("runs.chart.metric_value"), **TIME_CHART)
    fig.update_layout(height=440, hovermode="closest", barmode="group", margin={"l": 10, "r": 10, "t": 80, "b": 10},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.04, "x": 0})
    return fig
