"""Session-state and widget keys of the pricing area (re-exported by components.state)."""

from __future__ import annotations

# Widget keys (those kept across page switches are listed in components.state.persist)
PRICING_OBJECTIVE = "pricing_objective"
PRICING_MAX_CHANGE = "pricing_max_change"
PRICING_MIN_MARGIN = "pricing_min_margin"
PRICING_MARGIN = "pricing_margin"
PRICING_ENDINGS = "pricing_endings"
PRICING_FREQ = "pricing_freq"
PRICING_COV_TYPE = "pricing_cov_type"
PRICING_INCLUDE_LOW = "pricing_include_low"  # count low-confidence suggestions in the portfolio totals
PRICING_PRODUCT = "pricing_product"
PRICING_SHOW_NOT_ESTIMABLE = "pricing_show_not_estimable"
PRICING_SECOND_OPINION = "pricing_second_opinion"
PRICING_HORIZON = "pricing_horizon"
PRICING_DEMAND_CHART = "pricing_demand_chart"
PRICING_VALUE_CHART = "pricing_value_chart"
PRICING_FORECAST_CHART = "pricing_forecast_chart"
PRICING_TABLE_CHART = "pricing_table_chart"  # the product table (a dataframe element; not a value to keep)
PRICING_DOWNLOAD_CSV = "pricing_download_csv"


def pricing_floor_key(product_id: str) -> str:
    """Number input of one product's price floor."""
    return f"pricing_floor_{product_id}"


def pricing_ceiling_key(product_id: str) -> str:
    """Number input of one product's price ceiling."""
    return f"pricing_ceiling_{product_id}"


def pricing_whatif_key(product_id: str) -> str:
    """What-if price slider of one product."""
    return f"pricing_whatif_{product_id}"
