"""Pricing: per-product price elasticity with confidence intervals, a constrained price optimiser, a portfolio
summary, price what-if on a baseline forecast, and cross-price hints from co-purchases. No Streamlit here."""

from ml.pricing.config import COV_TYPES, FREQS, OBJECTIVES, ElasticityConfig, OptimiserConfig
from ml.pricing.cross import KINDS, SOURCES, co_purchases, cross_price_hints
from ml.pricing.demand import DemandModelConfig, GradientBoostingDemandModel, implied_elasticity
from ml.pricing.elasticity import (
    CONFIDENCE_LEVELS,
    NOT_ESTIMABLE,
    OK,
    REASONS,
    ElasticityEstimate,
    ElasticityModel,
    adjusted_observations,
    confidence_flag,
    estimate_elasticities,
)
from ml.pricing.optimise import (
    BOUNDS,
    COST_SOURCES,
    INFEASIBLE_REASONS,
    SUGGESTION_STATUSES,
    PriceSuggestion,
    demand_curves,
    feasible_range,
    optimal_profit_price,
    optimise_price,
    price_grid,
)
from ml.pricing.panel import PricePanel, make_price_panel
from ml.pricing.portfolio import (
    PortfolioSummary,
    PricingResult,
    price_products,
    suggest_prices,
    summarise_portfolio,
)

# Message-id families the UI and CLI build at run time (prefix -> every value); tests/unit/test_i18n.py reads it.
MESSAGE_FAMILIES: dict[str, list[str]] = {
    "pricing.reason.": [*REASONS, "no_elasticity", "needs_margin", *INFEASIBLE_REASONS],
    "pricing.status.": [OK, NOT_ESTIMABLE, *[s for s in SUGGESTION_STATUSES if s not in (OK, NOT_ESTIMABLE)]],
    "pricing.bound.": list(BOUNDS),
    "pricing.headline.limit.": list(BOUNDS),
    "pricing.headline.window_": list(FREQS),
    "pricing.confidence.": list(CONFIDENCE_LEVELS),
    "pricing.objective.": list(OBJECTIVES),
    "pricing.freq.": list(FREQS),
    "pricing.cov_type.": list(COV_TYPES),
    "pricing.cost_source.": list(COST_SOURCES),
    "pricing.cross.": list(KINDS),
    "pricing.cross.source_": list(SOURCES),
}

__all__ = [
    "KINDS", "SOURCES", "adjusted_observations", "co_purchases", "cross_price_hints",
    "BOUNDS", "CONFIDENCE_LEVELS", "COST_SOURCES", "COV_TYPES", "FREQS", "INFEASIBLE_REASONS", "MESSAGE_FAMILIES",
    "NOT_ESTIMABLE", "OBJECTIVES", "OK", "REASONS", "SUGGESTION_STATUSES", "DemandModelConfig", "ElasticityConfig",
    "ElasticityEstimate", "ElasticityModel", "GradientBoostingDemandModel", "OptimiserConfig", "PortfolioSummary",
    "PriceSuggestion", "PricePanel", "PricingResult", "confidence_flag", "demand_curves", "estimate_elasticities",
    "feasible_range", "implied_elasticity", "make_price_panel", "optimal_profit_price",
    "optimise_price", "price_grid", "price_products", "suggest_prices", "summarise_portfolio",
]
