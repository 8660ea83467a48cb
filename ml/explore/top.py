"""Top-N rankings: the largest products, categories or regions of the range, with share and change."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.explore.periods import comparison_period, data_coverage, resolve_period, select_rows
from ml.products import product_label, product_names
from ml.schema import Col, ConfigError
from ml.series import Filters

RANK_MEASURES = ("revenue", "units")
DIMENSIONS = {"product": Col.PRODUCT_ID, "category": Col.CATEGORY, "region": Col.REGION}


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


def _group_sums(frame: pd.DataFrame, filters: Filters, column: str) -> pd.DataFrame:
    """Revenue and units per member of ``column`` (index: the member as text) over the rows ``filters`` select."""
    rows = select_rows(frame, filters)
    measures = [c for c in (Col.REVENUE, Col.QUANTITY) if c in rows]
    table = rows.groupby(column, observed=True)[measures].sum()
    table = table.rename(columns={Col.REVENUE: "revenue", Col.QUANTITY: "units"})
    table.index = table.index.astype(str)
    return table


def _query_group_sums(table, filters: Filters, column: str) -> pd.DataFrame:
    from ml.pushdown.explore import query_group_sums

    return query_group_sums(table, filters, column)


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
    sums = _group_sums if isinstance(frame, pd.DataFrame) else _query_group_sums
    table = sums(frame, period.as_filters(filters), column)
    total = float(table[measure].sum())
    table["share"] = table[measure] / total if total else np.nan

    before = comparison_period(period, compare)
    if data_coverage(frame, before) > 0:
        previous = sums(frame, before.as_filters(filters), column)[measure]
        table["previous"] = previous.reindex(table.index).fillna(0.0)
        table["change"] = (table[measure] - table["previous"]) / table["previous"].where(table["previous"] != 0).abs()
    else:
        table["previous"] = np.nan
        table["change"] = np.nan

    table = table.rename_axis("key").reset_index()
    table = table.sort_values([measure, "key"], ascending=[False, True], kind="stable")
    top, rest = table.head(n).reset_index(drop=True), table.iloc[n:]
    if dimension == "product":
        keys = pd.Index(top["key"])
        if isinstance(frame, pd.DataFrame):
            rows = select_rows(frame, filters, period)
            labels = _product_labels(rows, keys)
            cats = rows.groupby(Col.PRODUCT_ID, observed=True)[Col.CATEGORY].first() if Col.CATEGORY in rows else None
        else:  # a saved dataset queried in place (ml.pushdown): names and categories of the shown products only
            from ml.pushdown.explore import query_first_values, query_product_names

            names = query_product_names(frame, period.as_filters(filters), [str(k) for k in keys])
            labels = pd.Series([product_label(str(k), names) for k in keys], index=keys)
            cats = query_first_values(frame, period.as_filters(filters), Col.PRODUCT_ID, Col.CATEGORY) \
                if Col.CATEGORY in frame else None
        top.insert(1, "label", labels.to_numpy())
        if cats is not None:
            cats.index = cats.index.astype(str)
            top.insert(2, "category", cats.reindex(top["key"]).astype(str).to_numpy())
    else:
        top.insert(1, "label", top["key"])
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    return TopItems(top, dimension, measure, total, float(rest[measure].sum()), len(rest))
