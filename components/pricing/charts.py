"""Plotly figures of the Pricing page: demand curve with its band, revenue/profit curves with the current,
suggested and what-if prices, and the forecast at two prices. No Streamlit calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.common.theme import LEGEND_BELOW, TEMPLATE, apply_layout
from ml.i18n import format_money, format_number, t
from ml.pricing import demand_curves

PRICING_CHART = {"height": 500, "top": 50, "legend": LEGEND_BELOW, "template": TEMPLATE}
COLOURS = {
    "observed": "#64748b", "promo": "#f97316", "fitted": "#2563eb", "band": "rgba(37, 99, 235, 0.15)",
    "ml": "#10b981", "revenue": "#2563eb", "profit": "#16a34a", "current": "#1f2937", "suggested": "#dc2626",
    "whatif": "#a855f7", "history": "#1f2937",
}


def _axes(fig: go.Figure, x_title: str, y_title: str) -> go.Figure:
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return fig


def price_range(observed: pd.Series | np.ndarray, *prices: float) -> np.ndarray:
    """An even price grid covering the observed prices and the marked ones, with a margin."""
    values = np.concatenate([np.asarray(observed, dtype=float), np.asarray([p for p in prices if np.isfinite(p)])])
    low, high = float(values.min()), float(values.max())
    return np.linspace(low * 0.9, high * 1.1, 120)


def plot_demand_curve(observations: pd.DataFrame, product: str, current_price: float, baseline_units: float,
                      elasticity: float, ci: tuple[float, float], suggested_price: float, currency: str,
                      ml_curve: tuple[np.ndarray, np.ndarray] | None = None) -> go.Figure:
    """Observed periods (units adjusted to recent conditions) against price, the fitted constant-elasticity curve
    through the current point and its band from the elasticity's interval, and optionally the tree model's curve."""
    fig = go.Figure()
    grid = price_range(observations["price"], current_price, suggested_price)
    if np.isfinite(ci[0]) and np.isfinite(ci[1]):
        ends = np.stack([demand_curves(grid, current_price, baseline_units, e)[0] for e in ci])
        fig.add_scatter(x=grid, y=ends.max(axis=0), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=grid, y=ends.min(axis=0), mode="lines", line={"width": 0}, fill="tonexty",
                        fillcolor=COLOURS["band"], name=t("pricing.chart.band"), hoverinfo="skip")
    promo = observations["promo"].to_numpy() >= 0.5
    for mask, name, colour in ((~promo, "pricing.chart.observed", COLOURS["observed"]),
                               (promo, "pricing.chart.observed_promo", COLOURS["promo"])):
        if mask.any():
            rows = observations.loc[mask]
            fig.add_scatter(
                x=rows["price"], y=rows["adjusted_units"], mode="markers", name=t(name),
                marker={"color": colour, "size": 7, "opacity": 0.7},
                text=[f"{format_money(p, currency)} · {format_number(u, 1)}" for p, u in zip(rows["price"], rows["adjusted_units"], strict=True)],
                hovertemplate="%{text}<extra></extra>",
            )
    fitted = demand_curves(grid, current_price, baseline_units, elasticity)[0]
    fig.add_scatter(x=grid, y=fitted, mode="lines", name=t("pricing.chart.fitted"), line={"color": COLOURS["fitted"], "width": 3},
                    text=[f"{format_money(p, currency)} · {format_number(u, 1)}" for p, u in zip(grid, fitted, strict=True)],
                    hovertemplate="%{text}<extra></extra>")
    if ml_curve is not None:
        fig.add_scatter(x=ml_curve[0], y=ml_curve[1], mode="lines", name=t("pricing.chart.ml"),
                        line={"color": COLOURS["ml"], "dash": "dash", "width": 2})
    _mark_prices(fig, current_price, suggested_price, None, currency)
    _axes(fig, t("pricing.chart.price"), t("pricing.chart.units"))
    return apply_layout(fig, t("pricing.chart.demand_title", product=product), **PRICING_CHART)


def plot_value_curves(product: str, current_price: float, baseline_units: float, elasticity: float, unit_cost: float,
                      suggested_price: float, whatif_price: float | None, periods_per_30_days: float, currency: str,
                      lower: float = np.nan, upper: float = np.nan) -> go.Figure:
    """Revenue and (with a cost) profit per 30 days across prices, with the current, suggested and what-if prices
    marked and the allowed range shaded."""
    grid = price_range(np.array([current_price * 0.7, current_price * 1.3]), suggested_price,
                       whatif_price if whatif_price is not None else np.nan)
    _, revenue, profit = demand_curves(grid, current_price, baseline_units * periods_per_30_days, elasticity, unit_cost)
    fig = go.Figure()
    if np.isfinite(lower) and np.isfinite(upper):
        fig.add_vrect(x0=lower, x1=upper, fillcolor="rgba(148,163,184,0.15)", line_width=0)
    fig.add_scatter(x=grid, y=revenue, mode="lines", name=t("pricing.chart.revenue"), line={"color": COLOURS["revenue"], "width": 3},
                    text=[f"{format_money(p, currency)} → {format_money(v, currency)}" for p, v in zip(grid, revenue, strict=True)],
                    hovertemplate="%{text}<extra></extra>")
    if np.isfinite(unit_cost):
        fig.add_scatter(x=grid, y=profit, mode="lines", name=t("pricing.chart.profit"), line={"color": COLOURS["profit"], "width": 3},
                        text=[f"{format_money(p, currency)} → {format_money(v, currency)}" for p, v in zip(grid, profit, strict=True)],
                        hovertemplate="%{text}<extra></extra>")
    _mark_prices(fig, current_price, suggested_price, whatif_price, currency)
    _axes(fig, t("pricing.chart.price"), t("pricing.chart.money_30"))
    fig = apply_layout(fig, t("pricing.chart.value_title", product=product), **PRICING_CHART)
    fig.update_yaxes(rangemode="normal")
    return fig


def _mark_prices(fig: go.Figure, current: float, suggested: float, whatif: float | None, currency: str) -> None:
    """Vertical lines at the current, suggested and what-if prices, as legend entries (labels on the plot would
    overlap when the prices are close)."""
    values = [np.asarray(trace.y, dtype=float) for trace in fig.data if trace.y is not None and len(trace.y)]
    finite = np.concatenate(values) if values else np.array([0.0, 1.0])
    finite = finite[np.isfinite(finite)]
    low, high = (min(0.0, float(finite.min())), float(finite.max())) if finite.size else (0.0, 1.0)
    marks = [(current, "pricing.chart.current", COLOURS["current"], "dot"),
             (suggested, "pricing.chart.suggested", COLOURS["suggested"], "dash")]
    if whatif is not None:
        marks.append((whatif, "pricing.chart.whatif", COLOURS["whatif"], "dashdot"))
    for price, message, colour, dash in marks:
        if price is not None and np.isfinite(price):
            fig.add_scatter(x=[price, price], y=[low, high], mode="lines", name=t(message, price=format_money(price, currency)),
                            line={"color": colour, "dash": dash, "width": 2}, hoverinfo="name")


def plot_forecast_at_prices(history: pd.DataFrame, forecast: pd.DataFrame, product: str) -> go.Figure:
    """Weekly units: the last year of history, and the next weeks at the current and at the suggested price."""
    fig = go.Figure()
    fig.add_scatter(x=history["ds"], y=history["y"], mode="lines", name=t("pricing.chart.history"),
                    line={"color": COLOURS["history"], "width": 1.5})
    if forecast["low"].notna().any():
        fig.add_scatter(x=forecast["ds"], y=forecast["high"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=forecast["ds"], y=forecast["low"], mode="lines", line={"width": 0}, fill="tonexty",
                        fillcolor="rgba(220, 38, 38, 0.12)", name=t("pricing.chart.band"), hoverinfo="skip")
    fig.add_scatter(x=forecast["ds"], y=forecast["at_current"], mode="lines+markers", name=t("pricing.chart.at_current"),
                    line={"color": COLOURS["fitted"], "width": 2.5})
    fig.add_scatter(x=forecast["ds"], y=forecast["at_suggested"], mode="lines+markers", name=t("pricing.chart.at_suggested"),
                    line={"color": COLOURS["suggested"], "width": 2.5, "dash": "dash"})
    fig.update_layout(hovermode="x unified")
    _axes(fig, t("pricing.chart.date"), t("pricing.chart.units"))
    return apply_layout(fig, t("pricing.chart.forecast_title", product=product), **PRICING_CHART)

