"""Step 3 of ``load_dataset``: canonical string columns -> one clean typed frame, every change counted in the
validation report.

How it is organised for speed on million-row exports: the mapped columns are converted once, in parallel (pyarrow
kernels release the GIL), into numpy/Arrow arrays over *all* rows; every check then narrows one ``keep`` mask and
counts only rows still kept, so each dropped row is explained by exactly one reason and ``rows_read - rows_kept``
equals the sum of the dropped counts; the frame is built at the end with a single take that both filters and (when
needed) sorts by date. Raw and converted columns are let go as soon as the next form exists, to keep the peak low.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.dataset.columns import MAX_EXAMPLES
from ml.dataset.convert import (
    clean_text,
    encode_categorical,
    number_text,
    parse_flags,
    release_memory,
    to_numpy,
)
from ml.dataset.duplicates import find_repeats, text_lengths
from ml.dataset.options import CleaningOptions, ReturnsPolicy
from ml.dataset.report import Action, ValidationReport
from ml.dataset.returns import match_returns
from ml.parsing import DateStyle, NumberStyle, parse_dates_keyed, parse_numbers
from ml.products import find_non_products
from ml.schema import CANONICAL_COLUMNS, NUMERIC_COLUMNS, Col

CATEGORICAL_COLUMNS = (Col.PRODUCT_ID, Col.PRODUCT_NAME, Col.CATEGORY, Col.REGION)
# A line is an outlier when it is over 50x its product's median line and 30 median-absolute-deviations above it;
# both bounds are at least OUTLIER_FLOOR units, so smaller lines are never outliers and need no median.
OUTLIER_FLOOR = 50


class Cleaner:
    """Typed columns, checks and the returns policy over all rows with one keep mask (see the module docstring).

    One use: ``Cleaner(...).run()`` consumes ``table`` and returns the frame; ``report`` is filled on the way.
    """

    def __init__(
        self,
        table: pa.Table,
        date_style: DateStyle,
        number_style: NumberStyle,
        options: CleaningOptions,
        report: ValidationReport,
        origin: list[tuple[str, int]],
        pool: Executor,
    ) -> None:
        self.table: pa.Table | None = table  # let go as soon as its columns are being converted
        self.date_style = date_style
        self.number_style = number_style
        self.options = options
        self.report = report
        self.origin = origin  # (file name, rows) per source table, to locate examples
        self.pool = pool
        self.n = table.num_rows
        self.keep = np.ones(self.n, dtype=bool)  # rows still in the data
        self.days = np.zeros(self.n, dtype=np.int64)  # seconds since the epoch, midnight of each row's day
        self.date_key = np.zeros(self.n, dtype=np.int64)  # tells apart moments of the same day (duplicates)
        self.values: dict[str, np.ndarray] = {}  # numeric columns, float64 with NaN
        self.cats: dict[str, pa.DictionaryArray] = {}  # product, category, region
        self.texts: dict[str, pa.Array] = {}  # order, customer, description: trimmed, blank -> null
        self.flags: dict[str, np.ndarray] = {}  # promotion
        self.product_from_name = False  # no product id column: the product names stand in for it

    # ---------------------------------------------------------------------------------------------- steps

    def run(self, converted: Callable[[], object] | None = None) -> pd.DataFrame:
        self._convert()
        release_memory()  # the raw text columns are gone: let the allocator give their pages back
        if converted is not None:
            converted()
        self._drop_unusable()
        self._derive_measures()
        if self.options.drop_duplicates:
            self._drop_duplicates()
        self._find_non_products()
        self._apply_returns_policy()
        self._flag_outliers()
        self._flag_missing_customers()
        return self._frame()

    def _convert(self) -> None:
        """Every mapped column to its type, in parallel; unreadable values are counted here."""
        assert self.table is not None, "a Cleaner runs once"
        cols = {name: self.table.column(name) for name in self.table.column_names}
        self.table = None  # the converted columns replace it; ``cols`` is the last reference, gone after this step
        jobs = self._submit_conversions(cols)
        self._take_dates(jobs.pop(Col.DATE), cols.pop(Col.DATE))
        for name, job in jobs.items():
            self._take_column(name, job.result(), cols.pop(name))  # each raw column goes once converted
        if Col.PRODUCT_ID not in self.cats and Col.PRODUCT_NAME in self.cats:
            self.cats[Col.PRODUCT_ID] = self.cats[Col.PRODUCT_NAME]
            self.product_from_name = True

    def _submit_conversions(self, cols: dict[str, pa.ChunkedArray]) -> dict[str, Future]:
        jobs = {Col.DATE: self.pool.submit(parse_dates_keyed, cols[Col.DATE], self.date_style)}
        for name, col in cols.items():
            if name == Col.DATE:
                continue
            if name in NUMERIC_COLUMNS:
                jobs[name] = self.pool.submit(parse_numbers, col, self.number_style)
            elif name == Col.PROMO:
                jobs[name] = self.pool.submit(parse_flags, col)
            elif name in CATEGORICAL_COLUMNS:
                jobs[name] = self.pool.submit(encode_categorical, col)
            else:
                jobs[name] = self.pool.submit(clean_text, col)
        return jobs

    def _take_dates(self, job: Future, raw: pa.ChunkedArray) -> None:
        days, failed, self.date_key = job.result()
        seconds = days.cast(pa.int64())
        self.days = to_numpy(seconds if days.null_count == 0 else pc.fill_null(seconds, 0))
        failed = to_numpy(failed)
        missing = to_numpy(pc.is_null(days)) & ~failed
        self._drop("bad_date", failed, examples=self._raw_examples(raw, failed))
        self._drop("missing_date", missing, examples=self._raw_examples(None, missing))

    def _take_column(self, name: str, result, raw: pa.ChunkedArray) -> None:
        if name in NUMERIC_COLUMNS:
            values, bad = result
            self.values[name] = to_numpy(values.cast(pa.float64()))
            bad = to_numpy(bad) & self.keep
            examples = self._raw_examples(raw, bad)
            if name == Col.QUANTITY:
                self._drop("bad_quantity", bad, examples=examples)
            else:
                self.report.add(f"bad_{name}", int(bad.sum()), Action.CHANGED, examples)
        elif name == Col.PROMO:
            self.flags[name] = result
        elif name in CATEGORICAL_COLUMNS:
            self.cats[name] = result
        else:
            self.texts[name] = result

    def _drop_unusable(self) -> None:
        q = self.values.get(Col.QUANTITY)
        price = self.values.get(Col.UNIT_PRICE)
        if q is not None:
            if Col.REVENUE not in self.values:
                self._drop("missing_quantity", np.isnan(q))
            self._drop("zero_quantity", q == 0)
        if price is not None:
            negative = price < 0
            self._drop("negative_price", negative, examples=self._row_examples(negative & self.keep, Col.UNIT_PRICE))
            self.report.add("zero_price", int((self.keep & (price == 0)).sum()), Action.FLAGGED)

    def _derive_measures(self) -> None:
        """Revenue from quantity x price, or price from revenue / quantity, whichever is missing; then rows with no
        measure at all go, and negative costs are cleared."""
        v, keep = self.values, self.keep
        q, price, rev = v.get(Col.QUANTITY), v.get(Col.UNIT_PRICE), v.get(Col.REVENUE)
        if q is not None and price is not None and rev is None:
            v[Col.REVENUE] = q * price
            self.report.add("derived_revenue", int(keep.sum()), Action.INFO)
        elif q is not None and rev is not None and price is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                v[Col.UNIT_PRICE] = np.abs(rev / np.where(q != 0, q, np.nan))
            self.report.add("derived_price", int(keep.sum()), Action.INFO)
        elif q is not None and rev is not None and price is not None:
            fill = keep & np.isnan(rev) & ~np.isnan(price)
            if fill.any():
                v[Col.REVENUE] = np.where(fill, q * price, rev)
                self.report.add("derived_revenue", int(fill.sum()), Action.CHANGED)
        rev = v.get(Col.REVENUE)
        if q is not None and rev is not None:
            no_measure = np.isnan(q) & np.isnan(rev)
        else:
            no_measure = np.isnan(rev if rev is not None else q)
        self._drop("no_measure", no_measure)
        cost = v.get(Col.UNIT_COST)
        if cost is not None:
            bad_cost = self.keep & (cost < 0)
            if bad_cost.any():
                v[Col.UNIT_COST] = np.where(bad_cost, np.nan, cost)
                self.report.add("negative_cost", int(bad_cost.sum()), Action.CHANGED)
        if self.product_from_name:
            self.report.add("product_id_from_name", int(self.keep.sum()), Action.INFO)

    def _drop_duplicates(self) -> None:
        """Exact repeats of an earlier row: every mapped column equal, the date to the time written."""
        arrays = {**self.cats, **self.texts}
        if self.product_from_name:
            arrays.pop(Col.PRODUCT_ID)  # the product names, already compared under their own column
        repeats = find_repeats(np.flatnonzero(self.keep), self.date_key, self.values, arrays, self.flags,
                               self._text_key, self.pool)
        self._drop("duplicates", repeats)

    def _text_key(self, arr: pa.Array) -> np.ndarray:
        """Equal texts get equal keys (here their lengths: cheap; ml/outofcore hashes the values)."""
        return text_lengths(arr)

    def _find_non_products(self) -> None:
        """Postage, fees, adjustments and write-off notes (``ml.products``): dropped, or flagged when kept."""
        product = self.cats.get(Col.PRODUCT_ID)
        if product is None or self.product_from_name:
            return
        kept = self.keep.copy()  # masks filter several times faster than row numbers take
        if not kept.any():
            return
        mask = pa.array(kept)
        text = next((s[c] for c in (Col.PRODUCT_NAME, Col.DESCRIPTION) for s in (self.cats, self.texts) if c in s), None)
        q, price = self.values.get(Col.QUANTITY), self.values.get(Col.UNIT_PRICE)
        found = find_non_products(
            product.filter(mask).to_pandas(), None if text is None else text.filter(mask).to_pandas(),
            None if q is None else q[kept], None if price is None else price[kept],
        )
        by_code = np.zeros(self.n, dtype=bool)
        by_code[kept] = found.rows & ~found.write_offs
        write_offs = np.zeros(self.n, dtype=bool)
        write_offs[kept] = found.write_offs
        column = Col.QUANTITY if q is not None else Col.REVENUE
        notes = self._text_examples(write_offs, text)
        if self.options.keep_non_products:
            self.report.add("non_product", int(by_code.sum()), Action.FLAGGED, found.describe())
            self.report.add("write_off", int(write_offs.sum()), Action.FLAGGED, notes)
        else:
            self._drop("non_product", by_code, examples=found.describe())
            self._drop("write_off", write_offs, examples=notes or self._row_examples(write_offs, column))

    def _apply_returns_policy(self) -> None:
        q = self.values.get(Col.QUANTITY)
        measure = q if q is not None else self.values[Col.REVENUE]
        returns = self.keep & (measure < 0)
        n_returns = int(returns.sum())
        order = self.texts.get(Col.ORDER_ID)
        if order is not None and n_returns:
            ids = order.take(pa.array(np.flatnonzero(returns)))
            cancelled = pc.sum(pc.fill_null(pc.starts_with(ids, "C", ignore_case=True), False)).as_py() or 0
            self.report.add("cancellations", cancelled, Action.INFO)
        if not n_returns:
            return
        policy = self.options.returns
        column = Col.QUANTITY if q is not None else Col.REVENUE
        if policy == ReturnsPolicy.KEEP:
            self.report.add("returns", n_returns, Action.KEPT, self._row_examples(returns, column))
        elif policy == ReturnsPolicy.EXCLUDE or q is None or Col.PRODUCT_ID not in self.cats:
            self._drop("returns", returns, examples=self._row_examples(returns, column))
        else:
            self._net_returns(returns)

    def _net_returns(self, returns: np.ndarray) -> None:
        """Each return cancels units of the same customer's purchases of the product made on or before the
        return's day, latest first; returns are removed, purchases keep what was not returned. Returns by
        unknown customers cannot be matched; their units are reported as unmatched."""
        q = self.values[Col.QUANTITY]
        customer, key = self._customer_product_keys()
        buys = self.keep & (q > 0)
        guests = returns & (customer < 0)
        remaining, unmatched = match_returns(q, self.days, key, buys & (customer >= 0), returns & ~guests)
        unmatched += float(-q[guests].sum())
        changed = buys & (remaining != q)
        emptied = changed & (remaining <= 0)
        rev = self.values.get(Col.REVENUE)
        if rev is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                self.values[Col.REVENUE] = np.where(changed, rev * remaining / q, rev)
        self.values[Col.QUANTITY] = remaining
        self.report.add("returns", int(returns.sum()), Action.NETTED)
        self.keep &= ~returns
        self._drop("netted_purchases", emptied)
        if unmatched > 0:
            self.report.add("unmatched_return_units", int(round(unmatched)), Action.DROPPED)

    def _customer_product_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(customer code per row, -1 when unknown; one integer per customer and product pair)."""
        product = to_numpy(pc.fill_null(self.cats[Col.PRODUCT_ID].indices, -1)).astype(np.int64)
        customer = self.texts.get(Col.CUSTOMER_ID)
        if customer is not None:
            codes = pc.dictionary_encode(customer).indices
            cust = to_numpy(pc.fill_null(codes, -1)).astype(np.int64)
        else:
            cust = np.zeros(self.n, dtype=np.int64)
        return cust, cust * (int(product.max(initial=0)) + 2) + product + 1

    def _flag_outliers(self) -> None:
        """Lines far above their product's usual size (see ``OUTLIER_FLOOR``), flagged, not dropped."""
        q = self.values.get(Col.QUANTITY)
        if q is None or self.keep.sum() < 20:
            return
        size = np.abs(q)
        big = self.keep & (size > OUTLIER_FLOOR)
        if not big.any():
            return
        if Col.PRODUCT_ID in self.cats:
            group = to_numpy(pc.fill_null(self.cats[Col.PRODUCT_ID].indices, -1))
        else:
            group = np.zeros(self.n, dtype=np.int64)
        rows = np.flatnonzero(self.keep & np.isin(group, np.unique(group[big])))
        sub = pd.DataFrame({"g": group[rows], "q": size[rows]})
        med = sub.groupby("g")["q"].transform("median")
        mad = (sub["q"] - med).abs().groupby(sub["g"]).transform("median")
        threshold = np.maximum(med + 30 * mad.clip(lower=1), 50 * med.clip(lower=1))
        outliers = np.zeros(self.n, dtype=bool)
        outliers[rows[(sub["q"] > threshold).to_numpy()]] = True
        examples = self._row_examples(outliers, Col.QUANTITY)
        self.report.add("outlier_quantity", int(outliers.sum()), Action.FLAGGED, examples)

    def _flag_missing_customers(self) -> None:
        customer = self.texts.get(Col.CUSTOMER_ID)
        if customer is not None:
            missing = self.keep & to_numpy(pc.is_null(customer))
            self.report.add("missing_customer", int(missing.sum()), Action.FLAGGED)

    def _frame(self) -> pd.DataFrame:
        """The kept rows, in date order, as a frame of the canonical columns."""
        rows = self._kept_in_date_order()  # None: every row as it stands
        pick = None if rows is None else pa.array(rows)
        # The Arrow columns are taken and handed to pandas in the pool (pyarrow releases the GIL) while the numpy
        # columns are picked here; each column leaves the cleaner as soon as its output exists, to keep the peak low.
        arrays = {name: store.pop(name) for store in (self.cats, self.texts) for name in list(store)}
        jobs = {name: self.pool.submit(_to_pandas, arr, pick) for name, arr in arrays.items()}
        days = self.days if rows is None else self.days[rows]
        columns: dict[str, object] = {Col.DATE: days.astype("datetime64[s]").astype("datetime64[ns]")}
        for store in (self.values, self.flags):
            for name in list(store):
                values = store.pop(name)
                columns[name] = values if rows is None else values[rows]
        for name, job in jobs.items():  # a job no worker has started yet is done here
            columns[name] = _to_pandas(arrays.pop(name), pick) if job.cancel() else job.result()
            arrays.pop(name, None)
        frame = pd.DataFrame(columns, copy=False)
        return frame[[c for c in CANONICAL_COLUMNS if c in frame.columns]]

    def _kept_in_date_order(self) -> np.ndarray | None:
        """The kept rows in day order (stable): a mask when they are in that order already, else row numbers; None
        when that is every row as it stands."""
        if self.keep.all():
            take, days = None, self.days
        else:
            take = self.keep  # a mask filters several times faster than a list of row numbers takes
            days = self.days[take]
        if len(days) > 1 and (np.diff(days) < 0).any():
            order = np.argsort(days, kind="stable")
            take = order if take is None else np.flatnonzero(take)[order]
        return take

    # ---------------------------------------------------------------------------------------------- helpers

    def _drop(self, reason: str, mask: np.ndarray, examples: list[str] | None = None) -> None:
        mask = mask & self.keep
        count = int(mask.sum())
        if count:
            self.report.add(reason, count, Action.DROPPED, examples)
            self.keep &= ~mask

    def _locate(self, i: int) -> str:
        for fname, n in self.origin:
            if i < n:
                return f"{fname} row {i + 1}" if len(self.origin) > 1 else f"row {i + 1}"
            i -= n
        return f"row {i + 1}"

    def _raw_examples(self, source, mask: np.ndarray) -> list[str]:
        out = []
        for i in np.flatnonzero(mask)[:MAX_EXAMPLES].tolist():
            value = source[i].as_py() if source is not None else None
            out.append(f"{self._locate(i)}: {value!r}" if value is not None else f"{self._locate(i)}: (empty)")
        return out

    def _row_examples(self, mask: np.ndarray, column: str) -> list[str]:
        out = []
        context = [c for c in (Col.PRODUCT_ID, Col.ORDER_ID) if c in self.cats or c in self.texts]
        for i in np.flatnonzero(mask)[:MAX_EXAMPLES].tolist():
            day = np.datetime64(int(self.days[i]), "s").astype("datetime64[D]")
            where = ", ".join(f"{c}={(self.cats[c] if c in self.cats else self.texts[c])[i].as_py()}" for c in context)
            out.append(f"{day} {where}: {column}={number_text(self.values[column][i])}")
        return out

    def _text_examples(self, mask: np.ndarray, text) -> list[str]:
        if text is None:
            return []
        return [f"{self._locate(i)}: {text[i].as_py()!r}" for i in np.flatnonzero(mask)[:MAX_EXAMPLES].tolist()]


def _to_pandas(arr: pa.Array, pick: pa.Array | None):
    """An Arrow column as pandas, of the rows ``pick`` selects (a boolean mask filters, row numbers take)."""
    if pick is not None:
        arr = arr.filter(pick) if pa.types.is_boolean(pick.type) else arr.take(pick)
    return arr.to_pandas()
