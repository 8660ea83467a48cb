"""Date ranges of the Explore page: the analyst's range, its comparison period, and how much of a period the data
spans ("no sales on a day" is told apart from "outside the data")."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ml.schema import Col, ConfigError
from ml.series import Filters, apply_filters

DAY = pd.Timedelta(days=1)


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


def date_span(frame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the data: a frame's, or a saved dataset's queried in place (``ml.pushdown``)."""
    if isinstance(frame, pd.DataFrame):
        return frame[Col.DATE].min().normalize(), frame[Col.DATE].max().normalize()
    return frame.date_span


def resolve_period(frame: pd.DataFrame, filters: Filters | None) -> Period:
    """The analyst's date range; an open end takes the data's first or last day."""
    filters = filters or Filters()
    first, last = date_span(frame) if not (filters.date_from and filters.date_to) else (None, None)
    start = pd.Timestamp(filters.date_from) if filters.date_from else first
    end = pd.Timestamp(filters.date_to) if filters.date_to else last
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
    first, last = date_span(frame)
    overlap = (min(period.end, last) - max(period.start, first)) / DAY + 1
    return float(np.clip(overlap / period.days, 0.0, 1.0))


def select_rows(frame: pd.DataFrame, filters: Filters | None, period: Period | None = None) -> pd.DataFrame:
    """Rows matching the filters, restricted to ``period`` when given (instead of the filters' own dates)."""
    if period is not None:
        filters = period.as_filters(filters)
    return apply_filters(frame, filters)
