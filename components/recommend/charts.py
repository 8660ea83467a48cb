"""Plotly figures of the Recommendations page: evaluation bars, a customer's scores, segment sizes. No Streamlit calls."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.common.theme import apply_layout
from ml.i18n import format_number, format_percent_value, t

BEST, OTHER, BASELINE = "#2563eb", "#9ca3af", "#f59e0b"


def plot_evaluation(table: pd.DataFrame, metric: str, k: int, best: str | None, baseline: str = "popularity") -> go.Figure:
    """One bar per algorithm for one metric at k; the best blue, popularity amber, the rest grey."""
    rows = table.sort_values(metric, ascending=True)
    names = [t(f"recommend.algo.{a}") for a in rows["algorithm"]]
    colours = [BEST if a == best else BASELINE if a == baseline else OTHER for a in rows["algorithm"]]
    labels = [format_number(v, 3) for v in rows[metric]]
    fig = go.Figure(go.Bar(x=rows[metric], y=names, orientation="h", marker_color=colours, text=labels, textposition="auto",
                           hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.update_xaxes(title=t(f"recommend.metric.{metric}").replace("@k", f"@{k}"), rangemode="tozero")
    title = t("recommend.chart.evaluation_title", metric=t(f"recommend.metric.{metric}").replace("@k", f"@{k}"))
    return apply_layout(fig, title, height=max(300, 48 * len(rows) + 120), top=60, localise=False)


def plot_scores(recommendations: pd.DataFrame) -> go.Figure:
    """A customer's recommendations by score, best at the top."""
    rows = recommendations.iloc[::-1]
    labels = [f"{name} ({pid})" for name, pid in zip(rows["product_name"], rows["product_id"], strict=True)]
    fig = go.Figure(go.Bar(x=rows["score"], y=labels, orientation="h", marker_color=BEST,
                           customdata=[format_number(s, 3) for s in rows["score"]], hovertemplate="%{y}: %{customdata}<extra></extra>"))
    fig.update_xaxes(title=t("recommend.chart.score"))
    return apply_layout(fig, t("recommend.chart.scores_title"), height=max(300, 34 * len(rows) + 120), top=60,
                        localise=False)


def plot_segments(summary: pd.DataFrame) -> go.Figure:
    """Customers per segment, labelled with each segment's top category."""
    labels = [t("recommend.segment.name", segment=int(s)) for s in summary["segment"]]
    tops = [row[0][0] if row else "" for row in summary["top_categories"]] if "top_categories" in summary else [""] * len(summary)
    text = [f"{top} · {format_percent_value(share)}" if top else format_percent_value(share) for top, share in zip(tops, summary["share"], strict=True)]
    fig = go.Figure(go.Bar(x=labels, y=summary["customers"], marker_color=BEST, text=text, textposition="auto",
                           customdata=[format_number(c) for c in summary["customers"]], hovertemplate="%{x}: %{customdata}<extra></extra>"))
    fig.update_yaxes(title=t("recommend.chart.customers"))
    return apply_layout(fig, t("recommend.chart.segments_title"), height=420, top=60, localise=False)
