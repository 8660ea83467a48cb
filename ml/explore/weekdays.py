"""Weekday seasonality: daily values laid out by weekday and week or month, the average day per weekday, and the
busiest, quietest and closed weekdays."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ml.explore.periods import resolve_period, select_rows
from ml.explore.totals import period_totals, with_aov
from ml.schema import Col, ConfigError
from ml.series import Filters, period_start

HEATMAP_LAYOUTS = ("week", "month")
MIN_PATTERN_DAYS = 28  # fewer days than four weeks say nothing about a weekday pattern


def daily_values(frame: pd.DataFrame, filters: Filters | None, measure: str = "revenue") -> pd.Series:
    """``measure`` for every day of the filtered range, zero on days without sales (index: the days)."""
    period = resolve_period(frame, filters)
    if isinstance(frame, pd.DataFrame):
        rows = select_rows(frame, filters, period)
        table = with_aov(period_totals(rows, rows[Col.DATE].dt.floor("D").rename("day")))
    else:  # a saved dataset queried in place (ml.pushdown)
        from ml.pushdown.explore import query_period_totals

        distinct = measure in ("orders", "customers", "aov")  # the one measure asked for decides the query
        table = with_aov(query_period_totals(frame, period.as_filters(filters), "D", name="day", distinct=distinct))
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
