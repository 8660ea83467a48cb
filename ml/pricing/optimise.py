"""Constrained price suggestion for a constant-elasticity demand curve, searched over a price grid.

Demand through the current point: Q(p) = Q0·(p/p0)^ε. Revenue p·Q(p), profit (p − c)·Q(p). The search space is
the intersection of the analyst's limits (maximum change from the current price, floor, ceiling, minimum margin,
allowed price endings), so every suggestion respects every limit by construction; when the best price sits on a
limit and the objective would still improve beyond it, ``bound`` names that limit. With |ε| < 1 revenue and profit
keep rising with price, so an inelastic estimate always ends on an upper limit, never at an unbounded price.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ml.pricing.config import OptimiserConfig

# Why a suggestion stopped where it did (None: the objective peaks inside the limits).
BOUNDS = ("max_increase", "max_decrease", "floor", "ceiling", "min_margin")
SUGGESTION_STATUSES = ("ok", "not_estimable", "no_cost", "infeasible", "held_back")
INFEASIBLE_REASONS = ("constraints_conflict", "no_price_with_ending")
COST_SOURCES = ("data", "margin")
_EPS = 1e-9


@dataclass
class PriceSuggestion:
    """The suggested price of one product and what it is expected to do, per period of the estimation."""

    status: str
    reason: str | None = None
    current_price: float = math.nan
    suggested_price: float = math.nan
    unit_cost: float = math.nan
    cost_source: str | None = None
    bound: str | None = None
    lower: float = math.nan  # the feasible price range after all limits
    upper: float = math.nan
    units_now: float = math.nan
    units_new: float = math.nan
    revenue_now: float = math.nan
    revenue_new: float = math.nan
    profit_now: float = math.nan
    profit_new: float = math.nan
    units_change: float = math.nan  # relative: 0.05 = +5%
    revenue_change: float = math.nan
    profit_change: float = math.nan
    units_change_low: float = math.nan  # band from the elasticity's confidence interval
    units_change_high: float = math.nan
    revenue_change_low: float = math.nan
    revenue_change_high: float = math.nan
    profit_change_low: float = math.nan
    profit_change_high: float = math.nan

    def to_dict(self) -> dict:
        return asdict(self)


def demand_curves(prices: np.ndarray | float, current_price: float, baseline_units: float, elasticity: float,
                  unit_cost: float = math.nan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(units, revenue, profit) per period at ``prices`` on the constant-elasticity curve through the current point."""
    p = np.asarray(prices, dtype=float)
    units = baseline_units * (p / current_price) ** elasticity
    return units, p * units, (p - unit_cost) * units


def optimal_profit_price(unit_cost: float, elasticity: float) -> float:
    """The unconstrained profit-maximising price c·ε/(1+ε) (Lerner rule); infinite when ε ≥ -1."""
    return unit_cost * elasticity / (1 + elasticity) if elasticity < -1 else math.inf


def feasible_range(current_price: float, unit_cost: float, config: OptimiserConfig, floor: float | None = None,
                   ceiling: float | None = None) -> tuple[float, str, float, str]:
    """(lower, the limit that sets it, upper, the limit that sets it)."""
    floor = config.floor if floor is None else floor
    ceiling = config.ceiling if ceiling is None else ceiling
    lows = [(current_price * (1 - config.max_change), "max_decrease")]
    if floor is not None:
        lows.append((float(floor), "floor"))
    if config.min_margin is not None and np.isfinite(unit_cost):
        lows.append((unit_cost / (1 - config.min_margin), "min_margin"))
    highs = [(current_price * (1 + config.max_change), "max_increase")]
    if ceiling is not None:
        highs.append((float(ceiling), "ceiling"))
    lower, lower_by = max(lows, key=lambda item: item[0])
    upper, upper_by = min(highs, key=lambda item: item[0])
    return lower, lower_by, upper, upper_by


def price_grid(lower: float, upper: float, current_price: float, config: OptimiserConfig) -> np.ndarray:
    """Candidate prices inside [lower, upper]: every cent (an even grid of ``grid_points`` when that would be more
    than 20 × grid_points candidates), or only the prices with an allowed ending; the current price is a candidate
    whenever it is inside the limits (keeping a price is always allowed)."""
    if config.endings:
        whole = np.arange(math.floor(lower) - 1, math.ceil(upper) + 1, dtype=float)
        grid = np.round((whole[:, None] + np.asarray(config.endings)[None, :]).ravel(), 2)
    else:
        first, last = math.ceil(lower * 100 - 1e-6), math.floor(upper * 100 + 1e-6)
        if first <= last and last - first <= 20 * config.grid_points:
            grid = np.arange(first, last + 1) / 100.0
        else:
            grid = np.linspace(lower, upper, config.grid_points)
    grid = grid[(grid >= lower - _EPS) & (grid <= upper + _EPS) & (grid > 0)]
    if lower - _EPS <= current_price <= upper + _EPS:
        grid = np.append(grid, current_price)
    return np.unique(grid)


def _objective(prices: np.ndarray, objective: str, current_price: float, baseline_units: float, elasticity: float,
               unit_cost: float) -> np.ndarray:
    units, revenue, profit = demand_curves(prices, current_price, baseline_units, elasticity, unit_cost)
    return revenue if objective == "revenue" else profit


def optimise_price(
    current_price: float,
    elasticity: float,
    baseline_units: float,
    unit_cost: float | None,
    config: OptimiserConfig | None = None,
    ci: tuple[float, float] | None = None,
    floor: float | None = None,
    ceiling: float | None = None,
) -> PriceSuggestion:
    """The grid price that maximises the objective within every limit, with the expected changes and their band.

    ``unit_cost`` None or NaN: the cost is ``current_price × (1 − config.margin)`` when a margin is set, else
    unknown (then a profit objective gives status ``no_cost``). ``floor``/``ceiling`` override the config's.
    """
    cfg = (config or OptimiserConfig()).validate()
    out = PriceSuggestion(status="ok", current_price=float(current_price))
    if not (np.isfinite(elasticity) and np.isfinite(current_price) and current_price > 0):
        out.status, out.reason = "not_estimable", "no_elasticity"
        return out
    cost = math.nan if unit_cost is None else float(unit_cost)
    if np.isfinite(cost) and cost > 0:
        out.cost_source = "data"
    elif cfg.margin is not None:
        cost, out.cost_source = current_price * (1 - cfg.margin), "margin"
    else:
        cost = math.nan
    out.unit_cost = cost
    if cfg.objective == "profit" and not np.isfinite(cost):
        out.status, out.reason = "no_cost", "needs_margin"
        return out
    lower, lower_by, upper, upper_by = feasible_range(current_price, cost, cfg, floor, ceiling)
    out.lower, out.upper = lower, upper
    if lower > upper + _EPS:
        out.status, out.reason, out.bound = "infeasible", "constraints_conflict", f"{lower_by}+{upper_by}"
        return out
    grid = price_grid(lower, upper, current_price, cfg)
    if grid.size == 0:
        out.status, out.reason = "infeasible", "no_price_with_ending"
        return out
    base = max(float(baseline_units), 0.0) if np.isfinite(baseline_units) else 0.0
    values = _objective(grid, cfg.objective, current_price, 1.0, elasticity, cost)  # the argmax does not need Q0
    best = values.max()
    ties = np.flatnonzero(values >= best - 1e-12 * max(1.0, abs(best)))
    choice = grid[ties[np.argmin(np.abs(grid[ties] - current_price))]]
    out.suggested_price = float(choice)
    out.bound = _binding_limit(choice, grid, cfg.objective, current_price, elasticity, cost, lower_by, upper_by)
    _fill_expectations(out, base, elasticity, ci)
    return out


def _binding_limit(choice: float, grid: np.ndarray, objective: str, current_price: float, elasticity: float,
                   cost: float, lower_by: str, upper_by: str) -> str | None:
    """The limit the optimum is pressed against: the objective still improves just beyond the chosen price and no
    candidate lies further in that direction."""
    step = 1e-4 * choice
    here, up, down = _objective(np.array([choice, choice + step, choice - step]), objective, current_price, 1.0,
                                elasticity, cost)
    if up > here and choice >= grid.max() - _EPS:
        return upper_by
    if down > here and choice <= grid.min() + _EPS:
        return lower_by
    return None


def _fill_expectations(out: PriceSuggestion, base: float, elasticity: float, ci: tuple[float, float] | None) -> None:
    p0, p1, cost = out.current_price, out.suggested_price, out.unit_cost
    u0, r0, m0 = demand_curves(p0, p0, base, elasticity, cost)
    u1, r1, m1 = demand_curves(p1, p0, base, elasticity, cost)
    out.units_now, out.revenue_now, out.profit_now = float(u0), float(r0), float(m0)
    out.units_new, out.revenue_new, out.profit_new = float(u1), float(r1), float(m1)
    out.units_change, out.revenue_change, out.profit_change = _relative_changes(p0, p1, elasticity, cost)
    if ci is not None and all(np.isfinite(ci)):
        ends = [_relative_changes(p0, p1, e, cost) for e in ci]
        (out.units_change_low, out.units_change_high), (out.revenue_change_low, out.revenue_change_high), \
            (out.profit_change_low, out.profit_change_high) = (
                (min(a, b), max(a, b)) for a, b in zip(ends[0], ends[1], strict=True))


def _relative_changes(p0: float, p1: float, elasticity: float, cost: float) -> tuple[float, float, float]:
    ratio = (p1 / p0) ** elasticity
    units = ratio - 1
    revenue = p1 / p0 * ratio - 1
    margin_now = p0 - cost
    profit = (p1 - cost) * ratio / margin_now - 1 if np.isfinite(cost) and margin_now > 0 else math.nan
    return float(units), float(revenue), float(profit)
