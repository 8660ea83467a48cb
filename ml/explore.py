"""Aggregates behind the Explore page: KPIs against a comparison period, trends, top-N rankings and weekday
seasonality matrices. Pure pandas (no Streamlit), so every number on the page is testable on a tiny frame.

Every function takes the full canonical frame plus the analyst's ``Filters`` and resolves the date range itself:
the comparison period needs rows outside the filtered range, and "no sales on a day" must be told apart from
"outside the range". Definitions used throughout:

- revenue and units are net sums (returns are negative lines, as the Data page's returns policy left them);
- orders and customers count distinct ids among *sale* lines (quantity, else revenue, above zero), so a return
  or a cancellation is not an extra order and a customer who only returned something is not a buyer;
- average order value = net revenue / orders; without an order id it is revenue per sale line (flagged).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ml.products import product_label, product_names
from ml.schema import Col, ConfigError
from ml.series import FREQUENCIES, Filters, apply_filters, period_start

MEASURES = ("revenue", "units", "orders", "customers", "aov")
RANK_MEASURES = ("revenue", "units")
DIMENSIONS = {"product": Col.PRODUCT_ID, "category": Col.CATEGORY, "region": Col.REGION}
COMPARISONS = ("previous", "year")
HEATMAP_LAYOUTS = ("week", "month")
DAY = pd.Timedelta(days=1)
MIN_PATTERN_DAYS = 28  # fewer days than four weeks say nothing about a weekday pattern


# ------------------------------------------------------------------------------------------------ periods


@dataclass(frozen=True)
class Period:
    """A run of whole days, both ends included (timestamps at midnight)."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> int:
        return int((self.end - self.start) / DAY) + 1

    def as_filters(self, filters: Filters | None) -> Filters:
        """The same product/category/region choice, restricted to this period."""
        return replace(filters or Filters(), date_from=self.start.date(), date_to=self.end.date())


def resolve_period(frame: pd.DataFrame, filters: Filters | None) -> Period:
    """The analyst's date range; an open end takes the data's first or last day."""
    filters = filters or Filters()
    start = pd.Timestamp(filters.date_from) if filters.date_from else frame[Col.DATE].min().normalize()
    end = pd.Timestamp(filters.date_to) if filters.date_to else frame[Col.DATE].max().normalize()
    return Period(start.normalize(), end.normalize())


def comparison_period(period: Period, compare: str = "previous") -> Period:
    """``previous``: the same number of days right before; ``year``: the same dates one year earlier."""
    if compare == "previous":
        return Period(period.start - period.days * DAY, period.start - DAY)
    if compare == "year":
        return Period(period.start - pd.DateOffset(years=1), period.end - pd.DateOffset(years=1))
    raise ConfigError("explore.error.unknown_comparison", compare=compare)


def data_coverage(frame: pd.DataFrame, period: Period) -> float:
    """Share of the period's days that lie inside the data's date span (0 = the data starts after it)."""
    first, last = frame[Col.DATE].min().normalize(), frame[Col.DATE].max().normalize()
    overlap = (min(period.end, last) - max(period.start, first)) / DAY + 1
    return float(np.clip(overlap / period.days, 0.0, 1.0))


def select_rows(frame: pd.DataFrame, filters: Filters | None, period: Period | None = None) -> pd.DataFrame:
    """Rows matching the filters, restricted to ``period`` when given (instead of the filters' own dates)."""
    if period is not None:
        filters = period.as_filters(filters)
    return apply_filters(frame, filters)


# ---------------------------------------------------------------------------------------------------- KPIs


def available_measures(columns) -> list[str]:
    """The measures this data can give, in display order."""
    cols = set(columns)
    out = []
    if Col.REVENUE in cols:
        out.append("revenue")
    if Col.QUANTITY in cols:
        out.append("units")
    if Col.ORDER_ID in cols:
        out.append("orders")
    if Col.CUSTOMER_ID in cols:
        out.append("customers")
    if Col.REVENUE in cols:
        out.append("aov")
    return out


@dataclass
class KpiValues:
    revenue: float | None = None
    units: float | None = None
    orders: int | None = None
    customers: int | None = None
    aov: float | None = None
    lines: int = 0

    def get(self, measure: str) -> float | None:
        return getattr(self, measure)


@dataclass
class KpiReport:
    """KPIs of the filtered range and of its comparison period (``previous`` is None when the data has no day
    in that period); ``coverage`` is the share of the comparison period the data spans."""

    current: KpiValues
    previous: KpiValues | None
    period: Period
    previous_period: Period
    coverage: float
    aov_per_line: bool
    missing: tuple[str, ...] = field(default_factory=tuple)

    def change(self, measure: str) -> float | None:
        """Relative change against the comparison period (0.1 = +10 %); None when it cannot be computed."""
        now = self.current.get(measure)
        before = self.previous.get(measure) if self.previous else None
        if now is None or before is None or before == 0 or not np.isfinite(before):
            return None
        return float((now - before) / abs(before))

    def difference(self, measure: str) -> float | None:
        now = self.current.get(measure)
        before = self.previous.get(measure) if self.previous else None
        if now is None or before is None:
            return None
        return float(now - before)


def _sale_mask(frame: pd.DataFrame) -> pd.Series:
    measure = Col.QUANTITY if Col.QUANTITY in frame else Col.REVENUE
    return frame[measure] > 0


def _id_codes(values: pd.Series) -> np.ndarray:
    """Integer codes of an id column, -1 for a missing or empty id (codes pass through unchanged)."""
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype=np.int64)
    codes, _ = pd.factorize(values.where(values != ""), use_na_sentinel=True)
    return codes.astype(np.int64)


def _distinct(values: pd.Series) -> int:
    codes = _id_codes(values)
    return int(len(pd.unique(codes[codes >= 0])))


def _distinct_per_group(group: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Distinct id codes per group code. Hashing (group, id) pairs once is several times faster than
    groupby().nunique() on a million string ids."""
    ok = codes >= 0
    width = int(codes.max()) + 1 if ok.any() else 1
    pairs = pd.unique(group[ok].astype(np.int64) * width + codes[ok])
    return np.bincount(pairs // width, minlength=n_groups)


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for repeated aggregation: order and customer ids become integer codes (-1 = none), which
    speeds every distinct count up; everything else is unchanged. Results equal those on ``frame``."""
    out = frame.copy(deep=False)
    for column in (Col.ORDER_ID, Col.CUSTOMER_ID):
        if column in out:
            out[column] = _id_codes(out[column])
    return out


def measure_kpis(rows: pd.DataFrame) -> KpiValues:
    """KPIs of already-selected rows."""
    out = KpiValues(lines=len(rows))
    if Col.REVENUE in rows:
        out.revenue = float(rows[Col.REVENUE].sum())
    if Col.QUANTITY in rows:
        out.units = float(rows[Col.QUANTITY].sum())
    sales = rows.loc[_sale_mask(rows)] if (Col.ORDER_ID in rows or Col.CUSTOMER_ID in rows) else rows
    if Col.ORDER_ID in rows:
        out.orders = _distinct(sales[Col.ORDER_ID])
    if Col.CUSTOMER_ID in rows:
        out.customers = _distinct(sales[Col.CUSTOMER_ID])
    if out.revenue is not None:
        if Col.ORDER_ID in rows:
            out.aov = out.revenue / out.orders if out.orders else None
        else:
            sale_lines = int(_sale_mask(rows).sum())
            out.aov = out.revenue / sale_lines if sale_lines else None
    return out


def make_kpis(frame: pd.DataFrame, filters: Filters | None, compare: str = "previous") -> KpiReport:
    period = resolve_period(frame, filters)
    before = comparison_period(period, compare)
    coverage = data_coverage(frame, before)
    current = measure_kpis(select_rows(frame, filters, period))
    previous = measure_kpis(select_rows(frame, filters, before)) if coverage > 0 else None
    missing = tuple(m for m in MEASURES if m not in available_measures(frame.columns))
    return KpiReport(
        current=current,
        previous=previous,
        period=period,
        previous_period=before,
        coverage=coverage,
        aov_per_line=Col.ORDER_ID not in frame and Col.REVENUE in frame,
        missing=missing,
    )


# --------------------------------------------------------------------------------------------------- trends


def _period_totals(rows: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Lines, revenue, units, sale lines, orders and customers per value of ``keys`` (a day or period start)."""
    group, uniques = pd.factorize(keys, sort=True)
    n = len(uniques)
    out = pd.DataFrame(index=pd.Index(uniques, name=keys.name))
    out["lines"] = np.bincount(group, minlength=n)
    for column, name in ((Col.REVENUE, "revenue"), (Col.QUANTITY, "units")):
        if column in rows:
            weights = np.nan_to_num(rows[column].to_numpy(dtype=float))
            out[name] = np.bincount(group, weights=weights, minlength=n)
    is_sale = _sale_mask(rows).to_numpy()
    out["sale_lines"] = np.bincount(group[is_sale], minlength=n)
    for column, name in ((Col.ORDER_ID, "orders"), (Col.CUSTOMER_ID, "customers")):
        if column in rows:
            out[name] = _distinct_per_group(group[is_sale], _id_codes(rows[column])[is_sale], n)
    return out


def _with_aov(table: pd.DataFrame) -> pd.DataFrame:
    if "revenue" in table:
        denominator = table["orders"] if "orders" in table else table["sale_lines"]
        table["aov"] = table["revenue"] / denominator.where(denominator > 0)
    return table.drop(columns=[c for c in ("sale_lines",) if c in table])


def make_trend(
    frame: pd.DataFrame, filters: Filters | None, freq: str = "D", period: Period | None = None
) -> pd.DataFrame:
    """One row per day, Monday-starting week or month of the range (periods without sales are zeros).

    Columns: the available measures (``aov`` is NaN where there were no orders), ``lines``, ``days`` (days of
    the period inside the range) and ``partial`` (the range covers only part of the period).
    """
    if freq not in FREQUENCIES:
        raise ConfigError("series.error.unknown_freq", freq=freq)
    period = period or resolve_period(frame, filters)
    rows = select_rows(frame, filters, period)
    keys = period_start(rows[Col.DATE], freq).rename("period")
    table = _period_totals(rows, keys)
    first = period_start(pd.Series([period.start]), freq).iloc[0]
    index = pd.date_range(first, period.end, freq=FREQUENCIES[freq], name="period")
    table = table.reindex(index).fillna({c: 0 for c in table.columns})
    table = _with_aov(table)
    ends = _period_ends(index, freq)
    inside = ends.where(ends <= period.end, period.end) - index.where(index >= period.start, period.start)
    table["days"] = (inside // DAY + 1).astype("int64")
    table["partial"] = (index < period.start) | (ends > period.end)
    for name in ("lines", "orders", "customers"):
        if name in table:
            table[name] = table[name].astype("int64")
    return table


def _period_ends(starts: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    if freq == "D":
        return starts
    if freq == "W":
        return starts + 6 * DAY
    return starts + pd.offsets.MonthEnd(0)


# --------------------------------------------------------------------------------------------------- top N


@dataclass
class TopItems:
    """The ``n`` largest members of a dimension; ``table`` has ``key, label, revenue, units, share, previous,
    change`` (label: product name with id, or the value itself), ``rest`` sums the members left out."""

    table: pd.DataFrame
    dimension: str
    measure: str
    total: float
    rest_value: float
    rest_count: int


def _product_labels(rows: pd.DataFrame, keys: pd.Index) -> pd.Series:
    """'NAME (id)' per product: its name, or its description when the data names products only there."""
    names = product_names(rows.loc[rows[Col.PRODUCT_ID].astype(str).isin(keys.astype(str))]) if len(keys) else {}
    return pd.Series([product_label(str(k), names) for k in keys], index=keys)


def make_top(
    frame: pd.DataFrame,
    filters: Filters | None,
    dimension: str = "product",
    measure: str = "revenue",
    n: int = 10,
    compare: str = "previous",
) -> TopItems:
    """Members of ``dimension`` ranked by ``measure`` over the filtered range (ties: by key), with their share of
    the total and their change against the comparison period."""
    column = DIMENSIONS[dimension]
    value_col = Col.REVENUE if measure == "revenue" else Col.QUANTITY
    if column not in frame or value_col not in frame:
        raise ConfigError("explore.error.missing_column", column=str(column if column not in frame else value_col))
    period = resolve_period(frame, filters)
    rows = select_rows(frame, filters, period)
    measures = [c for c in (Col.REVENUE, Col.QUANTITY) if c in rows]
    table = rows.groupby(column, observed=True)[measures].sum()
    table = table.rename(columns={Col.REVENUE: "revenue", Col.QUANTITY: "units"})
    table.index = table.index.astype(str)
    total = float(table[measure].sum())
    table["share"] = table[measure] / total if total else np.nan

    before = comparison_period(period, compare)
    if data_coverage(frame, before) > 0:
        prev_rows = select_rows(frame, filters, before)
        previous = prev_rows.groupby(column, observed=True)[value_col].sum()
        previous.index = previous.index.astype(str)
        table["previous"] = previous.reindex(table.index).fillna(0.0)
        table["change"] = (table[measure] - table["previous"]) / table["previous"].where(table["previous"] != 0).abs()
    else:
        table["previous"] = np.nan
        table["change"] = np.nan

    table = table.rename_axis("key").reset_index()
    table = table.sort_values([measure, "key"], ascending=[False, True], kind="stable")
    top, rest = table.head(n).reset_index(drop=True), table.iloc[n:]
    if dimension == "product":
        labels = _product_labels(rows, pd.Index(top["key"]))
        top.insert(1, "label", labels.to_numpy())
        if Col.CATEGORY in rows:
            cats = rows.groupby(Col.PRODUCT_ID, observed=True)[Col.CATEGORY].first()
            cats.index = cats.index.astype(str)
            top.insert(2, "category", cats.reindex(top["key"]).astype(str).to_numpy())
    else:
        top.insert(1, "label", top["key"])
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    return TopItems(top, dimension, measure, total, float(rest[measure].sum()), len(rest))


# ------------------------------------------------------------------------------------------- seasonality


def daily_values(frame: pd.DataFrame, filters: Filters | None, measure: str = "revenue") -> pd.Series:
    """``measure`` for every day of the filtered range, zero on days without sales (index: the days)."""
    period = resolve_period(frame, filters)
    rows = select_rows(frame, filters, period)
    day = rows[Col.DATE].dt.floor("D").rename("day")
    table = _with_aov(_period_totals(rows, day))
    if measure not in table:
        raise ConfigError("explore.error.unavailable_measure", measure=measure)
    days = pd.date_range(period.start, period.end, freq="D", name="day")
    values = table[measure].reindex(days)
    return values if measure == "aov" else values.fillna(0.0)


@dataclass
class WeekdayMatrix:
    """Rows Monday (0) .. Sunday (6); columns week starts (Mondays) or month starts.

    ``layout="week"``: each cell is one day's value (NaN outside the range). ``layout="month"``: the average
    over that month's days of that weekday inside the range (months hold four or five of each weekday, so sums
    would not compare). ``profile`` is the average day per weekday over the whole range.
    """

    values: pd.DataFrame
    days: pd.DataFrame  # how many days each cell averages
    profile: pd.Series
    layout: str
    measure: str


def make_weekday_matrix(
    frame: pd.DataFrame, filters: Filters | None, measure: str = "revenue", layout: str = "week"
) -> WeekdayMatrix:
    if layout not in HEATMAP_LAYOUTS:
        raise ConfigError("explore.error.unknown_layout", layout=layout)
    daily = daily_values(frame, filters, measure)
    index = daily.index
    weekday = pd.Series(index.day_of_week, index=index, name="weekday")
    column = period_start(pd.Series(index, index=index), "W" if layout == "week" else "M").rename("period")
    cells = daily.groupby([weekday, column])
    values = cells.mean().unstack("period").reindex(range(7))
    days = cells.count().unstack("period").reindex(range(7)).fillna(0).astype(int)
    profile = daily.groupby(weekday).mean().reindex(range(7))
    return WeekdayMatrix(values, days, profile, layout, measure)


CLOSED_SHARE = 0.05  # a weekday whose average day is under 5% of the average trading day is a closed day


def find_closed_weekdays(matrix: WeekdayMatrix) -> list[int]:
    """Weekdays on which the shop (nearly) never trades: UCI's shop is closed on Saturdays."""
    profile = matrix.profile.dropna()
    if len(profile) < 7 or profile.min() < 0:
        return []
    closed: list[int] = []
    for _ in range(6):  # peel the smallest day off while it is tiny next to the remaining days
        open_days = profile.drop(closed)
        low = int(open_days.idxmin())
        if open_days[low] > CLOSED_SHARE * open_days.drop(low).mean():
            break
        closed.append(low)
    return sorted(closed)


def describe_trading_week(matrix: WeekdayMatrix) -> tuple[int, float, int, float, list[int]] | None:
    """As ``describe_weekdays`` over the days the shop trades, plus the closed weekdays: a shop shut on Saturdays
    has its quietest *trading* day named, not "Saturday, 100% below"."""
    profile = matrix.profile.dropna()
    if len(profile) < 7 or int(matrix.days.to_numpy().sum()) < MIN_PATTERN_DAYS or profile.min() < 0:
        return None
    closed = find_closed_weekdays(matrix)
    trading = profile.drop(closed)
    if len(trading) < 2 or trading.mean() <= 0:
        return None
    mean = trading.mean()
    high, low = int(trading.idxmax()), int(trading.idxmin())
    return high, float(trading[high] / mean), low, float(trading[low] / mean), closed


def describe_weekdays(matrix: WeekdayMatrix) -> tuple[int, float, int, float] | None:
    """(busiest weekday, its index vs the average day, quietest weekday, its index): 1.25 = 25 % above."""
    profile = matrix.profile.dropna()
    if len(profile) < 7 or int(matrix.days.to_numpy().sum()) < MIN_PATTERN_DAYS or profile.min() < 0:
        return None
    mean = profile.mean()
    high, low = int(profile.idxmax()), int(profile.idxmin())
    return high, float(profile[high] / mean), low, float(profile[low] / mean)
