"""The KPI cards: revenue, units, orders, customers and average order value of the filtered range, against a
comparison period."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.explore.periods import Period, comparison_period, data_coverage, resolve_period, select_rows
from ml.explore.totals import distinct, sale_mask
from ml.schema import Col
from ml.series import Filters

MEASURES = ("revenue", "units", "orders", "customers", "aov")


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


def measure_kpis(rows: pd.DataFrame) -> KpiValues:
    """KPIs of already-selected rows."""
    out = KpiValues(lines=len(rows))
    if Col.REVENUE in rows:
        out.revenue = float(rows[Col.REVENUE].sum())
    if Col.QUANTITY in rows:
        out.units = float(rows[Col.QUANTITY].sum())
    sales = rows.loc[sale_mask(rows)] if (Col.ORDER_ID in rows or Col.CUSTOMER_ID in rows) else rows
    if Col.ORDER_ID in rows:
        out.orders = distinct(sales[Col.ORDER_ID])
    if Col.CUSTOMER_ID in rows:
        out.customers = distinct(sales[Col.CUSTOMER_ID])
    if out.revenue is not None:
        if Col.ORDER_ID in rows:
            out.aov = out.revenue / out.orders if out.orders else None
        else:
            sale_lines = int(sale_mask(rows).sum())
            out.aov = out.revenue / sale_lines if sale_lines else None
    return out


def make_kpis(frame: pd.DataFrame, filters: Filters | None, compare: str = "previous") -> KpiReport:
    period = resolve_period(frame, filters)
    before = comparison_period(period, compare)
    coverage = data_coverage(frame, before)
    if isinstance(frame, pd.DataFrame):
        def measure(p: Period) -> KpiValues:
            return measure_kpis(select_rows(frame, filters, p))
    else:  # a saved dataset queried in place (ml.pushdown)
        from ml.pushdown.explore import query_kpis

        def measure(p: Period) -> KpiValues:
            return query_kpis(frame, p.as_filters(filters))
    current = measure(period)
    previous = measure(before) if coverage > 0 else None
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
