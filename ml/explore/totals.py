"""Counting sales the same way for every Explore figure: sale lines, distinct orders and customers, and totals per
day or period. Orders and customers are counted among *sale* lines (quantity, else revenue, above zero), so a
return is not an extra order and a customer who only returned something is not a buyer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.schema import Col


def sale_mask(frame: pd.DataFrame) -> pd.Series:
    measure = Col.QUANTITY if Col.QUANTITY in frame else Col.REVENUE
    return frame[measure] > 0


def id_codes(values: pd.Series) -> np.ndarray:
    """Integer codes of an id column, -1 for a missing or empty id (codes pass through unchanged)."""
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype=np.int64)
    codes, _ = pd.factorize(values.where(values != ""), use_na_sentinel=True)
    return codes.astype(np.int64)


def distinct(values: pd.Series) -> int:
    codes = id_codes(values)
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
            out[column] = id_codes(out[column])
    return out


def period_totals(rows: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Lines, revenue, units, sale lines, orders and customers per value of ``keys`` (a day or period start)."""
    group, uniques = pd.factorize(keys, sort=True)
    n = len(uniques)
    out = pd.DataFrame(index=pd.Index(uniques, name=keys.name))
    out["lines"] = np.bincount(group, minlength=n)
    for column, name in ((Col.REVENUE, "revenue"), (Col.QUANTITY, "units")):
        if column in rows:
            weights = np.nan_to_num(rows[column].to_numpy(dtype=float))
            out[name] = np.bincount(group, weights=weights, minlength=n)
    is_sale = sale_mask(rows).to_numpy()
    out["sale_lines"] = np.bincount(group[is_sale], minlength=n)
    for column, name in ((Col.ORDER_ID, "orders"), (Col.CUSTOMER_ID, "customers")):
        if column in rows:
            out[name] = _distinct_per_group(group[is_sale], id_codes(rows[column])[is_sale], n)
    return out


def with_aov(table: pd.DataFrame) -> pd.DataFrame:
    if "revenue" in table:
        denominator = table["orders"] if "orders" in table else table["sale_lines"]
        table["aov"] = table["revenue"] / denominator.where(denominator > 0)
    return table.drop(columns=[c for c in ("sale_lines",) if c in table])
