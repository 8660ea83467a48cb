"""The widget keys whose values survive a page switch, declared in one place.

Streamlit forgets a widget's value when its page is not drawn; re-assigning the keys below at the top of each run
(``keep_widget_values``, called by app.py) keeps the analyst's settings when they visit another page and come back.
Only keys listed here are kept: buttons, uploaders, charts and download buttons refuse a value and are left out, and
app state (results, jobs, messages) lives in plain keys that Streamlit never forgets. A new widget whose value should
outlive its page goes in ``PERSISTENT_KEYS`` (or, for keys made per item, its key function in ``PERSISTENT_FAMILIES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

import streamlit as st

from components import state as k
from ml.forecast.config import ForecastConfig

PERSISTENT_KEYS: frozenset[str] = frozenset({
    # Explore: filters, period, charts' settings
    k.EXPLORE_FREQ, k.EXPLORE_METRIC, k.EXPLORE_DATES, k.EXPLORE_CATEGORIES, k.EXPLORE_PRODUCTS, k.EXPLORE_REGIONS,
    k.EXPLORE_TOP_N, k.EXPLORE_HEATMAP, k.EXPLORE_PERIOD, k.EXPLORE_COMPARE, k.EXPLORE_SHOW_PREVIOUS, k.EXPLORE_RANK_BY,
    k.EXPLORE_HEATMAP_METRIC,
    # Forecast: what to forecast, the form (every ForecastConfig field, below), results view, search settings
    k.FORECAST_TARGET, k.FORECAST_LEVEL, k.FORECAST_FREQ, k.FORECAST_CATEGORY, k.FORECAST_PRODUCT, k.FORECAST_PRODUCTS,
    k.FORECAST_PRESET, k.FORECAST_FOLDS, k.FORECAST_INTERVAL, k.FORECAST_SERIES, k.FORECAST_SHOW_BASELINES,
    k.FORECAST_SEARCH_BUDGET, k.FORECAST_SEARCH_TRIALS, k.FORECAST_SEARCH_EPOCHS,
    *(k.forecast_widget_key(f.name) for f in fields(ForecastConfig)),
    # Recommendations: settings and the results view
    k.RECOMMEND_ALGORITHMS, k.RECOMMEND_ALGORITHM, k.RECOMMEND_K, k.RECOMMEND_TEST_DAYS, k.RECOMMEND_WEIGHTING,
    k.RECOMMEND_HALF_LIFE, k.RECOMMEND_REPEAT, k.RECOMMEND_VIEW, k.RECOMMEND_LIST_ALGORITHM,
    k.RECOMMEND_CUSTOMER_SEARCH, k.RECOMMEND_CUSTOMER, k.RECOMMEND_PRODUCT, k.RECOMMEND_SEGMENT_METHOD,
    k.RECOMMEND_SEGMENT_COUNT, k.RECOMMEND_EVAL_METRIC,
    # Pricing: settings, the product shown, the results view
    k.PRICING_OBJECTIVE, k.PRICING_MAX_CHANGE, k.PRICING_MIN_MARGIN, k.PRICING_MARGIN, k.PRICING_ENDINGS,
    k.PRICING_FREQ, k.PRICING_COV_TYPE, k.PRICING_INCLUDE_LOW, k.PRICING_PRODUCT, k.PRICING_SHOW_NOT_ESTIMABLE,
    k.PRICING_SECOND_OPINION, k.PRICING_HORIZON,
    # Runs: filters, the compared runs, the run acted on
    k.RUNS_FILTER_DATASET, k.RUNS_FILTER_MODEL, k.RUNS_FILTER_PERIOD, k.RUNS_SELECTED, k.RUNS_SERIES, k.RUNS_ACTIVE,
    k.RUNS_LABEL,
})

# Keys made per item (one price floor per product, ...): kept when made by one of these functions.
PERSISTENT_FAMILIES: tuple[Callable[[str], str], ...] = (
    k.pricing_floor_key, k.pricing_ceiling_key, k.pricing_whatif_key, k.runs_delete_confirm_key,
)
_FAMILY_PREFIXES = tuple(make("") for make in PERSISTENT_FAMILIES)


def is_persistent(key: object) -> bool:
    return isinstance(key, str) and (key in PERSISTENT_KEYS or key.startswith(_FAMILY_PREFIXES))


def keep_widget_values() -> None:
    for key in list(st.session_state.keys()):
        if is_persistent(key):
            try:
                st.session_state[key] = st.session_state[key]
            except st.errors.StreamlitAPIException:  # a widget whose state cannot be set
                pass
