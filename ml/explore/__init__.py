"""Aggregates behind the Explore page: KPIs against a comparison period, trends, top-N rankings and weekday
seasonality matrices. Pure pandas (no Streamlit), so every number on the page is testable on a tiny frame.

Every function takes the full canonical frame plus the analyst's ``Filters`` and resolves the date range itself
(``periods``): the comparison period needs rows outside the filtered range, and "no sales on a day" must be told
apart from "outside the range". Definitions used throughout (``totals``):

- revenue and units are net sums (returns are negative lines, as the Data page's returns policy left them);
- orders and customers count distinct ids among *sale* lines (quantity, else revenue, above zero), so a return
  or a cancellation is not an extra order and a customer who only returned something is not a buyer;
- average order value = net revenue / orders; without an order id it is revenue per sale line (flagged).

One module per figure: ``kpis``, ``trends``, ``top``, ``weekdays``. Every name is importable from ``ml.explore``.
"""

from ml.explore.kpis import MEASURES, KpiReport, KpiValues, available_measures, make_kpis, measure_kpis
from ml.explore.periods import DAY, Period, comparison_period, data_coverage, resolve_period, select_rows
from ml.explore.top import DIMENSIONS, RANK_MEASURES, TopItems, make_top
from ml.explore.totals import prepare_frame
from ml.explore.trends import make_trend
from ml.explore.weekdays import (
    CLOSED_SHARE,
    HEATMAP_LAYOUTS,
    MIN_PATTERN_DAYS,
    WeekdayMatrix,
    daily_values,
    describe_trading_week,
    describe_weekdays,
    find_closed_weekdays,
    make_weekday_matrix,
)

__all__ = [
    "CLOSED_SHARE",
    "DAY",
    "DIMENSIONS",
    "HEATMAP_LAYOUTS",
    "MEASURES",
    "MIN_PATTERN_DAYS",
    "RANK_MEASURES",
    "KpiReport",
    "KpiValues",
    "Period",
    "TopItems",
    "WeekdayMatrix",
    "available_measures",
    "comparison_period",
    "daily_values",
    "data_coverage",
    "describe_trading_week",
    "describe_weekdays",
    "find_closed_weekdays",
    "make_kpis",
    "make_top",
    "make_trend",
    "make_weekday_matrix",
    "measure_kpis",
    "prepare_frame",
    "resolve_period",
    "select_rows",
]
