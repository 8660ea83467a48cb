"""Cached pricing computations for the page, keyed by the dataset fingerprint, the filters and the settings.

The estimation over all products takes well under a second on the bundled sample once statsmodels is imported
(bench/pricing.py), so it runs in the script under st.cache_data rather than as a background job; suggestions are
recomputed every run (they are cheap) so moving a limit answers at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ml.pricing import (
    ElasticityConfig,
    GradientBoostingDemandModel,
    OptimiserConfig,
    PricePanel,
    co_purchases,
    estimate_elasticities,
    make_price_panel,
    suggest_prices,
)
from ml.pricing.whatif import BaselineForecast, PriceForecast, at_prices, baseline_forecast
from ml.series import Filters


@st.cache_data(max_entries=8, show_spinner=False)
def cached_estimates(_frame: pd.DataFrame, fingerprint: str, filters: tuple, freq: str, cov_type: str,
                     _in_place: Filters | None = None) -> tuple[PricePanel, pd.DataFrame]:
    """``_in_place``: the filters of a saved dataset queried in place (``ml.pushdown``; ``filters`` is their key)."""
    config = ElasticityConfig(freq=freq, cov_type=cov_type)
    panel = make_price_panel(_frame, freq, _in_place)
    return panel, estimate_elasticities(panel, config)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_suggestions(_estimates: pd.DataFrame, _optimiser: OptimiserConfig,
                       _bounds: dict[str, tuple[float | None, float | None]], key: tuple) -> pd.DataFrame:
    """Suggested prices for every product (about 0.6 s for UCI's 3,941 products), kept while ``key`` (estimates'
    key, optimiser settings, per-product limits) is unchanged, so the what-if slider does not recompute them."""
    return suggest_prices(_estimates, _optimiser, _bounds)


def suggestions_key(estimates_key: tuple, optimiser: OptimiserConfig,
                    bounds: dict[str, tuple[float | None, float | None]]) -> tuple:
    return (*estimates_key, repr(optimiser), tuple(sorted(bounds.items())))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_ml_curve(_rows: pd.DataFrame, fingerprint: str, filters: tuple, product_id: str, freq: str,
                    _start: pd.Timestamp) -> tuple[float, np.ndarray, np.ndarray] | None:
    """The gradient-boosting model's implied elasticity and partial-dependence curve (None when it cannot fit)."""
    try:
        model = GradientBoostingDemandModel(elasticity_config=ElasticityConfig(freq=freq)).fit(_rows, _start)
    except ValueError:
        return None
    return model.implied_elasticity_, model.pd_prices_, model.pd_units_


@st.cache_data(max_entries=32, show_spinner=False)
def _cached_baseline(_frame: pd.DataFrame, fingerprint: str, filters: tuple, product_id: str,
                     horizon: int, _in_place: Filters | None = None) -> BaselineForecast:
    return baseline_forecast(_frame, product_id, horizon, _in_place)


def cached_forecast(frame: pd.DataFrame, fingerprint: str, filters: tuple, product_id: str, current_price: float,
                    suggested_price: float, elasticity: float, ci: tuple[float, float], horizon: int,
                    in_place: Filters | None = None) -> PriceForecast:
    """The forecast at two prices: the ETS fit is cached per product, so moving a limit or the what-if price only
    rescales it."""
    base = _cached_baseline(frame, fingerprint, filters, product_id, horizon, in_place)
    return at_prices(base, current_price, suggested_price, elasticity, ci)


@st.cache_data(max_entries=4, show_spinner=False)
def cached_pairs(_frame: pd.DataFrame, fingerprint: str, filters: tuple) -> tuple[pd.DataFrame, str]:
    return co_purchases(_frame)
