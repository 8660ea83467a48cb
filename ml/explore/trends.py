"""The trend chart: every measure per day, Monday-starting week or month of the range, partial periods marked."""

from __future__ import annotations

import pandas as pd

from ml.explore.periods import DAY, Period, resolve_period, select_rows
from ml.explore.totals import period_totals, with_aov
from ml.schema import Col, ConfigError
from ml.series import FREQUENCIES, Filters, period_start


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
    if isinstance(frame, pd.DataFrame):
        rows = select_rows(frame, filters, period)
        table = period_totals(rows, period_start(rows[Col.DATE], freq).rename("period"))
    else:  # a saved dataset queried in place (ml.pushdown)
        from ml.pushdown.explore import query_period_totals

        table = query_period_totals(frame, period.as_filters(filters), freq)
    first = period_start(pd.Series([period.start]), freq).iloc[0]
    index = pd.date_range(first, period.end, freq=FREQUENCIES[freq], name="period")
    table = table.reindex(index).fillna({c: 0 for c in table.columns})
    table = with_aov(table)
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
