"""All products at once: estimate, suggest, and sum up what taking every suggestion would do."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ml.pricing.config import ElasticityConfig, OptimiserConfig
from ml.pricing.elasticity import OK, estimate_elasticities
from ml.pricing.optimise import PriceSuggestion, optimise_price
from ml.pricing.panel import PricePanel, make_price_panel
from ml.progress import ProgressSink

SUGGESTION_COLUMNS = tuple(PriceSuggestion.__dataclass_fields__)
# Units that move more than 4% per 1% of price (log units change / log price change) is more than retail price
# studies find (the meta-analysis of Bijmolt, van Heerde & Pieters 2005: mean -2.6, few beyond -4); a suggestion
# that needs it is more likely a sign of prices set by order size or customer than of demand, and is held back.
MAX_UNITS_PER_PRICE = 4.0
# A suggestion is also held back when the elasticity's interval allows a loss as large as the gain expected (the
# objective at the interval's worse end falls by more than the central estimate rises): a coin toss, not advice.
HOLD_REASONS = ("implausible_units", "interval_too_wide")
N_DRIVERS = 3


@dataclass
class PortfolioSummary:
    """Totals per 30 days over the products with a suggestion. Bands add the products' band ends (the worst and
    best case if every estimate erred the same way), so they are wide on purpose."""

    n_products: int
    n_estimable: int
    n_suggested: int
    n_raise: int
    n_cut: int
    n_keep: int
    n_bound: int
    bound_counts: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    revenue_now: float = 0.0
    revenue_new: float = 0.0
    revenue_change_low: float = 0.0
    revenue_change_high: float = 0.0
    profit_now: float = math.nan
    profit_new: float = math.nan
    profit_change_low: float = math.nan
    profit_change_high: float = math.nan
    n_low_confidence: int = 0  # suggestions resting on low-confidence estimates (in the totals only when included)
    include_low_confidence: bool = False
    n_held_back: int = 0  # suggestions whose implied unit change the data do not support (never in the totals)
    drivers: list[dict] = field(default_factory=list)  # the products that move the revenue total most
    median_elasticity: float = math.nan  # of the counted suggestions: how elastic the total assumes demand to be
    n_year_baseline: int = 0  # counted products whose baseline is their last year's average (lower than recent weeks)
    year_baseline: bool = False  # the data cover a year: baselines are the lower of recent weeks and the year's average
    baseline_periods: int = 8  # the recent window, in periods of ``freq``
    freq: str = "W"

    @property
    def revenue_change(self) -> float:
        return self.revenue_new - self.revenue_now

    @property
    def profit_change(self) -> float:
        return self.profit_new - self.profit_now

    def to_dict(self) -> dict:
        return {**asdict(self), "revenue_change": self.revenue_change, "profit_change": self.profit_change}


@dataclass
class PricingResult:
    """What the page, the CLI and the benchmark show: the panel behind the estimates, the per-product table
    (estimate + suggestion columns) and the portfolio summary."""

    panel: PricePanel
    table: pd.DataFrame
    summary: PortfolioSummary
    elasticity_config: ElasticityConfig
    optimiser_config: OptimiserConfig
    seconds: float = 0.0


def suggest_prices(estimates: pd.DataFrame, config: OptimiserConfig | None = None,
                   bounds: dict[str, tuple[float | None, float | None]] | None = None) -> pd.DataFrame:
    """The estimates table with one suggestion per product appended (``PriceSuggestion`` fields).

    ``bounds`` maps a product to its own (floor, ceiling), overriding the config's.
    """
    cfg = (config or OptimiserConfig()).validate()
    bounds = bounds or {}
    rows = []
    for est in estimates.itertuples(index=False):
        if est.status != OK:
            suggestion = PriceSuggestion(status="not_estimable", reason=est.reason, current_price=est.current_price)
        else:
            floor, ceiling = bounds.get(est.product_id, (None, None))
            suggestion = optimise_price(est.current_price, est.elasticity, est.baseline_units, est.unit_cost, cfg,
                                        ci=(est.ci_low, est.ci_high), floor=floor, ceiling=ceiling)
        if suggestion.status == "ok":
            hold = hold_back_reason(suggestion, cfg.objective)
            if hold:
                suggestion.status, suggestion.reason = "held_back", hold
        rows.append(suggestion.to_dict())
    suggestions = pd.DataFrame(rows, columns=list(SUGGESTION_COLUMNS), index=estimates.index)
    out = estimates.drop(columns=["current_price"]).join(
        suggestions.rename(columns={"status": "suggestion_status", "reason": "suggestion_reason",
                                    "unit_cost": "cost_used"}))
    return out


def hold_back_reason(suggestion: PriceSuggestion, objective: str = "revenue") -> str | None:
    """Why a suggestion should not be followed although it is the optimum of the fitted curve, or None."""
    p0, p1 = suggestion.current_price, suggestion.suggested_price
    price_change = p1 / p0 - 1 if p0 > 0 else 0.0
    units = suggestion.units_change
    if abs(price_change) < 1e-9 or not np.isfinite(units):
        return None
    if units <= -1 or abs(np.log1p(units)) > MAX_UNITS_PER_PRICE * abs(np.log1p(price_change)) + 1e-9:
        return "implausible_units"
    if objective == "profit":
        central, worst = suggestion.profit_change, suggestion.profit_change_low
    else:
        central, worst = suggestion.revenue_change, suggestion.revenue_change_low
    if np.isfinite(worst) and np.isfinite(central) and worst < 0 and -worst >= central:
        return "interval_too_wide"
    return None


def revenue_drivers(ok: pd.DataFrame, scale: float, n: int = N_DRIVERS) -> list[dict]:
    """The products whose suggestions change the revenue total most, with their share of the absolute changes."""
    change = (ok["revenue_new"] - ok["revenue_now"]) * scale
    total = float(change.abs().sum())
    if not total:
        return []
    top = change.abs().sort_values(ascending=False, kind="stable").index[:n]
    names = ok["name"] if "name" in ok else ok["product_id"]
    return [{"product_id": str(ok.at[i, "product_id"]), "name": str(names.at[i] or ""), "change": float(change.at[i]),
             "share": float(abs(change.at[i]) / total)} for i in top]


def summarise_portfolio(table: pd.DataFrame, periods_per_30_days: float,
                        include_low_confidence: bool = False, config: ElasticityConfig | None = None) -> PortfolioSummary:
    """Totals over the products with a suggestion. Suggestions resting on a low-confidence elasticity (an interval
    that includes zero, or an implausible estimate) are left out unless asked for: one such product with an interval
    like (-40, -1) would otherwise make the band meaningless and the total a coin toss."""
    ok = table.loc[table["suggestion_status"] == "ok"]
    low = ok["confidence"].eq("low") if "confidence" in ok else pd.Series(False, index=ok.index)
    n_low = int(low.sum())
    if not include_low_confidence:
        ok = ok.loc[~low]
    changed = ok["suggested_price"] - ok["current_price"]
    summary = PortfolioSummary(
        n_products=len(table),
        n_estimable=int((table["status"] == OK).sum()),
        n_suggested=len(ok),
        n_raise=int((changed > 1e-9).sum()),
        n_cut=int((changed < -1e-9).sum()),
        n_keep=int((changed.abs() <= 1e-9).sum()),
        n_bound=int(ok["bound"].notna().sum()),
        bound_counts={str(k): int(v) for k, v in ok["bound"].value_counts().items()},
        status_counts={str(k): int(v) for k, v in table["suggestion_status"].value_counts().items()},
        n_low_confidence=n_low,
        include_low_confidence=include_low_confidence,
        n_held_back=int((table["suggestion_status"] == "held_back").sum()),
    )
    scale = periods_per_30_days
    summary.drivers = revenue_drivers(ok, scale)
    if config is not None:
        summary.freq, summary.baseline_periods = config.freq, config.effective_baseline_periods
    if len(ok):
        summary.median_elasticity = float(ok["elasticity"].median())
    if "baseline_source" in ok:
        summary.n_year_baseline = int(ok["baseline_source"].eq("year").sum())
        summary.year_baseline = bool(ok["baseline_source"].isin(["year", "recent"]).any())
    summary.revenue_now = float(ok["revenue_now"].sum() * scale)
    summary.revenue_new = float(ok["revenue_new"].sum() * scale)
    summary.revenue_change_low = float((ok["revenue_now"] * ok["revenue_change_low"]).sum() * scale)
    summary.revenue_change_high = float((ok["revenue_now"] * ok["revenue_change_high"]).sum() * scale)
    with_profit = ok.loc[np.isfinite(ok["profit_now"])]
    if len(with_profit):
        summary.profit_now = float(with_profit["profit_now"].sum() * scale)
        summary.profit_new = float(with_profit["profit_new"].sum() * scale)
        low = (with_profit["profit_now"] * with_profit["profit_change_low"]).fillna(0)
        high = (with_profit["profit_now"] * with_profit["profit_change_high"]).fillna(0)
        summary.profit_change_low = float(low.sum() * scale)
        summary.profit_change_high = float(high.sum() * scale)
    return summary


def price_products(
    frame: pd.DataFrame,
    elasticity_config: ElasticityConfig | None = None,
    optimiser_config: OptimiserConfig | None = None,
    bounds: dict[str, tuple[float | None, float | None]] | None = None,
    progress: ProgressSink | None = None,
) -> PricingResult:
    """Transactions -> elasticities, suggestions and the portfolio summary (the CLI's and the page's one call).
    ``progress``: as ``estimate_elasticities`` (the estimation is the long part)."""
    import time

    started = time.perf_counter()
    ecfg = (elasticity_config or ElasticityConfig()).validate()
    ocfg = (optimiser_config or OptimiserConfig()).validate()
    panel = make_price_panel(frame, ecfg.freq)
    estimates = estimate_elasticities(panel, ecfg, progress=progress)
    table = suggest_prices(estimates, ocfg, bounds)
    summary = summarise_portfolio(table, ecfg.periods_per_30_days, ocfg.include_low_confidence, ecfg)
    return PricingResult(panel, table, summary, ecfg, ocfg, time.perf_counter() - started)
