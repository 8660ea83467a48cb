"""The DuckDB path of ``load_large_dataset``: a plain export read by DuckDB's CSV reader (``ml.outofcore.sqlread``)
into an in-memory DuckDB table that spills to the work folder past ``memory_limit``, cleaned there in SQL, and
written to Parquet by DuckDB, with the report, totals and fingerprint the in-memory path gives
(``ml.dataset.Cleaner``'s steps, in its order; per-product and per-return judgements in Python on the few rows or
products that need them).

Taken only where DuckDB reads the file as ``ml.ingest`` does (``ml.outofcore.sqlread``): the header on the first
line, every line with the header's number of fields (DuckDB's strict reader stops otherwise), quotes only where
well-formed CSV puts them and no newline inside a quoted value, ISO days written 'YYYY-MM-DD' or
'YYYY-MM-DD HH:MM:SS' (the moment then tells repeated rows apart), numbers in the shapes both read alike (decimal
point or comma, '.' or ',' grouping thousands). Files in another encoding than UTF-8 are read from their UTF-8 copy
in the work folder (``ml.outofcore.source.to_utf8``); a description column is read for the non-product rules
(``ml.outofcore.sqlproducts``). Anything else returns ``None`` and the caller streams the file in batches
(``ml.outofcore.cleaner``), not done in SQL because no test shows it exact yet: title or footer lines, other day
formats (day-first, month names: ``ml.parsing`` tries a dozen and normalises them), other number shapes (currency
signs, spaces or apostrophes grouping thousands, accounting negatives), a product-name column (it may stand in for
the product id and is held as categories), promotion flags. Memory: DuckDB's ``memory_limit`` plus, for the
control totals, the kept rows' day order and one float column (``ml.outofcore.sqltotals``: 12 bytes a row
and one block of rows).
"""

from __future__ import annotations

import base64
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.dataset import MAX_EXAMPLES, CleaningOptions, ReturnsPolicy
from ml.dataset.cleaner import OUTLIER_FLOOR, Cleaner
from ml.dataset.convert import number_text
from ml.dataset.report import Action
from ml.dataset.returns import match_returns
from ml.limits import IngestLimits
from ml.outofcore.connection import connect_duckdb
from ml.outofcore.sqlproducts import ProductTexts
from ml.outofcore.sqlread import (
    DICTIONARY_COLUMNS,
    ISO_DAY,
    MOMENT,
    NUMBER_COLUMNS,
    TEXT_COLUMNS,
    Ineligible,
    count_lines,
    sample_lines,
    select_sql,
    sql_name,
    sql_readable,
    sql_text,
)
from ml.outofcore.sqltotals import day_order, sorted_sums
from ml.outofcore.stored import ROW_GROUP, StoredDataset, StoredTotals
from ml.products import (
    MIN_BEHAVIOUR_LINES,
    NEGATIVE_SHARE_LIMIT,
    PRICE_RATIO_LIMIT,
    SERVICE_CODES,
    NonProducts,
)
from ml.schema import Col, DataError

MEMORY_LIMIT_MB = 512  # DuckDB's working memory; it spills to the work folder past it
THREADS = 2



def _memory_mb(limits: IngestLimits) -> int:
    """DuckDB's memory_limit: MEMORY_LIMIT_MB, or a third of a smaller parse budget (the rest is Python, the
    control totals' day order and float column and DuckDB's own overhead beyond its limit)."""
    from ml.isolated import memory_budget

    return max(64, min(MEMORY_LIMIT_MB, memory_budget(limits) // 3 // 2**20))



# ------------------------------------------------------------------------------------------------ cleaning


def _group_quantile(groups, values: np.ndarray, counts: np.ndarray, q: float):
    """(group keys, the ``q`` quantile of each group), linearly interpolated as pandas does, from the distinct
    values of each group and how many rows hold each."""
    codes, uniques = pd.factorize(pd.Series(groups), use_na_sentinel=False)
    order = np.lexsort((values, codes))
    k, v, c = codes[order], values[order], counts[order].astype(np.int64)
    starts = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1]
    cum = np.cumsum(c)
    total = np.add.reduceat(c, starts)
    before = cum[starts] - c[starts]
    h = (total - 1) * q
    low = np.floor(h)
    frac = h - low
    a = v[np.searchsorted(cum, before + low.astype(np.int64), side="right")]
    b = v[np.searchsorted(cum, before + np.minimum(low + 1, total - 1).astype(np.int64), side="right")]
    found = (a + b) / 2 if q == 0.5 else a + (b - a) * frac  # pandas: the median's mean of two, else lerp
    if q == 0.5:
        found = np.where(frac == 0, a, found)
    return np.asarray(uniques)[k[starts]], found


class SqlCleaner:
    """``Cleaner``'s steps over the DuckDB table ``t`` (one row per data line, ``rowid`` = line number, ``gone`` =
    why the row was dropped, NULL while kept); the report is filled in the cleaner's order."""

    def __init__(self, con, columns: list[str], mapping, options: CleaningOptions, report, origin,
                 times: bool = False) -> None:
        self.con = con
        self.times = times  # t holds MOMENT: the day with its time of day
        self.columns = columns  # canonical columns of t, in frame order
        self.mapping = mapping
        self.options = options
        self.report = report
        self.origin = origin

    def has(self, col: str) -> bool:
        return col in self.columns

    def scalar(self, sql: str):
        return self.con.execute(sql).fetchall()[0][0]

    def drop_rows(self, reason: str, rows: np.ndarray) -> None:
        if len(rows) == 0:
            return
        self.con.register("ids", pa.table({"i": pa.array(np.asarray(rows, dtype=np.int64))}))
        self.con.execute(f"UPDATE t SET gone = {sql_text(reason)} WHERE gone IS NULL AND rowid IN (SELECT i FROM ids)")
        self.con.unregister("ids")

    # -------------------------------------------------------------------------------------------- examples

    locate = Cleaner._locate  # "row N", or "file row N" across files: reads only ``self.origin``

    def row_examples(self, where: str, column: str) -> list[str]:
        context = [c for c in (Col.PRODUCT_ID, Col.ORDER_ID) if self.has(c)]
        picked = ", ".join([sql_name(Col.DATE), *(sql_name(c) for c in context), sql_name(column)])
        out = []
        for row in self.con.execute(f"SELECT {picked} FROM t WHERE {where} ORDER BY rowid LIMIT {MAX_EXAMPLES}"
                                    ).fetchall():
            where_text = ", ".join(f"{c}={v}" for c, v in zip(context, row[1:-1], strict=True))
            value = row[-1]
            out.append(f"{row[0]} {where_text}: {column}={number_text(value if value is not None else np.nan)}")
        return out

    # -------------------------------------------------------------------------------------------- steps

    def run(self) -> None:
        self.row_checks()
        if self.options.drop_duplicates:
            self.drop_duplicates()
        self.find_non_products()
        self.apply_returns_policy()
        self.flag_outliers()
        if self.has(Col.CUSTOMER_ID):
            self.report.add("missing_customer", self.scalar(
                f"SELECT count(*) FROM t WHERE gone IS NULL AND {sql_name(Col.CUSTOMER_ID)} IS NULL"), Action.FLAGGED)

    def row_checks(self) -> None:
        """``_take_dates``, ``_drop_unusable`` and ``_derive_measures``: their counts from the ``gone`` column."""
        counts = dict(self.con.execute("SELECT gone, count(*) FROM t WHERE gone IS NOT NULL GROUP BY gone").fetchall())
        cols = self.mapping.columns
        rep = self.report
        if counts.get("missing_date"):
            rows = [r[0] for r in self.con.execute(f"SELECT rowid FROM t WHERE gone = 'missing_date' ORDER BY rowid "
                                                   f"LIMIT {MAX_EXAMPLES}").fetchall()]
            rep.add("missing_date", counts["missing_date"], Action.DROPPED, [f"{self.locate(i)}: (empty)" for i in rows])
        for reason in ("missing_quantity", "zero_quantity"):
            rep.add(reason, counts.get(reason, 0), Action.DROPPED)
        late = "(gone IS NULL OR gone = 'no_measure')"  # still kept when the price and measures are looked at
        if Col.UNIT_PRICE in cols:
            if counts.get("negative_price"):
                rep.add("negative_price", counts["negative_price"], Action.DROPPED,
                        self.row_examples("gone = 'negative_price'", Col.UNIT_PRICE))
            rep.add("zero_price", self.scalar(f"SELECT count(*) FROM t WHERE {late} AND {sql_name(Col.UNIT_PRICE)} = 0"), Action.FLAGGED)
        q, price, rev = (c in cols for c in (Col.QUANTITY, Col.UNIT_PRICE, Col.REVENUE))
        if q and price and not rev:
            rep.add("derived_revenue", self.scalar(f"SELECT count(*) FROM t WHERE {late}"), Action.INFO)
        elif q and rev and not price:
            rep.add("derived_price", self.scalar(f"SELECT count(*) FROM t WHERE {late}"), Action.INFO)
        elif q and rev and price:
            rep.add("derived_revenue", self.scalar(f"SELECT count(*) FROM t WHERE {late} AND filled"), Action.CHANGED)
        rep.add("no_measure", counts.get("no_measure", 0), Action.DROPPED)
        if Col.UNIT_COST in cols:
            rep.add("negative_cost", self.scalar("SELECT count(*) FROM t WHERE gone IS NULL AND negative_cost"),
                    Action.CHANGED)

    def _compared(self) -> list[str]:
        """The columns two rows must agree on to repeat each other (numbers with -0 read as 0, as numpy does)."""
        return [f"({sql_name(c)} + 0.0)" if c in NUMBER_COLUMNS else
                sql_name(MOMENT) if c == Col.DATE and self.times else sql_name(c) for c in self.columns]

    def drop_duplicates(self) -> None:
        """Exact repeats of an earlier kept row: a hash finds the few candidates, a window compares them exactly."""
        cols = ", ".join(self._compared())
        # sorting the 64-bit hashes in numpy: 9.7 s on 20M lines where DuckDB grouping by them took 34.5 s (load 26)
        hashes = np.sort(self.con.execute(f"SELECT hash({cols}) AS h FROM t WHERE gone IS NULL").fetchnumpy()["h"])
        repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        del hashes
        if not len(repeated):
            return
        self.con.register("dup_h", pa.table({"h": pa.array(repeated, pa.uint64())}))
        found = self.con.execute(
            f"SELECT i FROM (SELECT rowid AS i, row_number() OVER (PARTITION BY {cols} ORDER BY rowid) AS n "
            f"FROM t WHERE gone IS NULL AND hash({cols}) IN (SELECT h FROM dup_h)) WHERE n > 1").fetchnumpy()["i"]
        self.con.unregister("dup_h")
        self.report.add("duplicates", len(found), Action.DROPPED)
        self.drop_rows("duplicates", found)

    def find_non_products(self) -> None:
        """``ml.products.find_non_products``: the per-product figures it judges by (lines, price percentiles,
        negative lines) summed in SQL, the judgement made here on one row per product; with a description column,
        the products' usual texts and the write-off notes too (``ml.outofcore.sqlproducts``)."""
        if not self.has(Col.PRODUCT_ID):
            return
        p = sql_name(Col.PRODUCT_ID)
        q, price = (sql_name(c) if self.has(c) else None for c in (Col.QUANTITY, Col.UNIT_PRICE))
        # one pass: lines per product and each price a sold line had (quantile_cont would hold every value in
        # memory; a GROUP BY spills), summed up per product here
        positive = f"{price} > 0" + (f" AND {q} > 0" if q else "") if price else "false"
        value = f"CASE WHEN {positive} THEN {price} END" if price else "NULL::DOUBLE"
        negative = f"count(*) FILTER ({q} < 0)" if q else "0"
        pairs = self.con.execute(f"SELECT {p} AS g, {value} AS v, count(*) AS n, {negative} AS neg FROM t "
                                 f"WHERE gone IS NULL AND {p} IS NOT NULL GROUP BY 1, 2").df()
        texts = None
        if self.has(Col.DESCRIPTION):
            booked = " OR ".join([*([f"NOT coalesce({price} > 0, false)"] if price else []),
                                  *([f"coalesce({q} < 0, false)"] if q else [])]) or "true"
            texts = ProductTexts(self.con, p, sql_name(Col.DESCRIPTION), booked)
        per = pairs.groupby("g", sort=False).agg(lines=("n", "sum"), negative=("neg", "sum")).reset_index()
        per = per.rename(columns={"g": "product"})
        ids = per["product"].astype(str)
        why = np.where(ids.str.strip().str.upper().isin(SERVICE_CODES), "code", "").astype(object)
        names = texts.names(per["product"]) if texts is not None else np.full(len(per), "", dtype=object)
        if texts is not None and len(per):
            why[(why == "") & ProductTexts.named_as_service(names)] = "name"
        lines = per["lines"].to_numpy()
        if price and len(per):
            prices = pairs.loc[pairs["v"].notna()]
            at = pd.Index(per["product"])
            q10 = np.full(len(per), np.nan)
            q90 = np.full(len(per), np.nan)
            if len(prices):
                keys, low = _group_quantile(prices["g"], prices["v"].to_numpy(), prices["n"].to_numpy(), 0.1)
                _, high = _group_quantile(prices["g"], prices["v"].to_numpy(), prices["n"].to_numpy(), 0.9)
                where = at.get_indexer(keys)
                q10[where], q90[where] = low, high
            with np.errstate(divide="ignore", invalid="ignore"):
                varies = (lines >= MIN_BEHAVIOUR_LINES) & (q90 / q10 > PRICE_RATIO_LIMIT)
            why[(why == "") & varies] = "price_varies"
        if q and len(per):
            share = per["negative"].to_numpy() / lines
            why[(why == "") & (lines >= 3) & (share >= NEGATIVE_SHARE_LIMIT)] = "negative_lines"
        flagged = why != ""
        codes = pd.DataFrame({"product_id": ids.to_numpy()[flagged], "name": names[flagged], "lines": lines[flagged],
                              "why": why[flagged]}).sort_values(["lines", "product_id"], ascending=[False, True])
        found = NonProducts(rows=np.zeros(0, bool), write_offs=np.zeros(0, bool), codes=codes.reset_index(drop=True))
        count = int(codes["lines"].sum())
        notes = texts.write_offs(per["product"][flagged].tolist()) if texts is not None else np.zeros(0, np.int64)
        examples = []
        if len(notes):
            first = ", ".join(str(int(i)) for i in notes[:MAX_EXAMPLES])
            examples = [f"{self.locate(i)}: {d!r}" for i, d in self.con.execute(
                f"SELECT rowid, {sql_name(Col.DESCRIPTION)} FROM t WHERE rowid IN ({first}) ORDER BY rowid").fetchall()]
        action = Action.FLAGGED if self.options.keep_non_products else Action.DROPPED
        self.report.add("non_product", count, action, found.describe())
        if count and not self.options.keep_non_products:
            self.con.register("names", pa.table({"product": pa.array(codes["product_id"].tolist(), pa.string())}))
            self.con.execute(f"UPDATE t SET gone = 'non_product' WHERE gone IS NULL AND {p} IN (SELECT product FROM names)")
            self.con.unregister("names")
        self.report.add("write_off", len(notes), action, examples)
        if not self.options.keep_non_products:
            self.drop_rows("write_off", notes)

    def apply_returns_policy(self) -> None:
        q = sql_name(Col.QUANTITY) if self.has(Col.QUANTITY) else None
        measure = q or sql_name(Col.REVENUE)
        returns = f"gone IS NULL AND {measure} < 0"
        n_returns = self.scalar(f"SELECT count(*) FROM t WHERE {returns}")
        if self.has(Col.ORDER_ID) and n_returns:
            cancelled = self.scalar(f"SELECT count(*) FROM t WHERE {returns} AND "
                                    f"lower({sql_name(Col.ORDER_ID)}) LIKE 'c%'")
            self.report.add("cancellations", cancelled, Action.INFO)
        if not n_returns:
            return
        policy = self.options.returns
        column = Col.QUANTITY if q else Col.REVENUE
        if policy == ReturnsPolicy.KEEP:
            self.report.add("returns", n_returns, Action.KEPT, self.row_examples(returns, column))
        elif policy == ReturnsPolicy.EXCLUDE or q is None or not self.has(Col.PRODUCT_ID):
            self.report.add("returns", n_returns, Action.DROPPED, self.row_examples(returns, column))
            self.con.execute(f"UPDATE t SET gone = 'returns' WHERE {returns}")
        else:
            self._net_returns(n_returns)

    def _net_returns(self, n_returns: int) -> None:
        """``Cleaner._net_returns`` on the rows of the customer x product pairs that have a return (the only ones
        ``match_returns`` visits), then the changed quantities and revenues written back."""
        q, c, p = sql_name(Col.QUANTITY), sql_name(Col.CUSTOMER_ID), sql_name(Col.PRODUCT_ID)
        has_c = self.has(Col.CUSTOMER_ID)
        cust = f"t.{c}" if has_c else "''"  # no customer column: one customer, no guests
        guest_units = self.scalar(f"SELECT coalesce(-sum({q}), 0) FROM t WHERE gone IS NULL AND {q} < 0 "
                                  f"AND {cust} IS NULL") if has_c else 0.0
        rev = sql_name(Col.REVENUE) if self.has(Col.REVENUE) else "NULL"
        part = self.con.execute(
            f"WITH k AS (SELECT DISTINCT {cust} AS c, t.{p} AS p FROM t WHERE gone IS NULL AND {q} < 0 "
            f"AND {cust} IS NOT NULL) "
            f"SELECT t.rowid AS i, epoch(t.{sql_name(Col.DATE)})::BIGINT AS d, {q} AS q, {rev} AS r, {cust} AS c, "
            f"t.{p} AS p FROM t JOIN k ON {cust} = k.c AND t.{p} IS NOT DISTINCT FROM k.p "
            f"WHERE gone IS NULL AND {q} <> 0 ORDER BY i").df()
        unmatched = float(guest_units or 0.0)
        if len(part):
            qty = part["q"].to_numpy(dtype=float)
            key = pd.MultiIndex.from_arrays([part["c"], part["p"].fillna("\0")]).factorize()[0].astype(np.int64)
            is_return = qty < 0
            remaining, left = match_returns(qty, part["d"].to_numpy(), key, qty > 0, is_return)
            unmatched += left
            changed = (qty > 0) & (remaining != qty)
            if changed.any():
                r = part["r"].to_numpy(dtype=float)
                with np.errstate(divide="ignore", invalid="ignore"):
                    new_rev = r * remaining / qty
                self.con.register("upd", pa.table({"i": pa.array(part["i"].to_numpy()[changed]),
                                                   "q": pa.array(remaining[changed]), "r": pa.array(new_rev[changed])}))
                sets = f"{q} = upd.q" + (f", {rev} = upd.r" if rev != "NULL" else "")
                self.con.execute(f"UPDATE t SET {sets} FROM upd WHERE t.rowid = upd.i")
                self.con.unregister("upd")
        self.report.add("returns", n_returns, Action.NETTED)
        self.con.execute(f"UPDATE t SET gone = 'returns' WHERE gone IS NULL AND {q} < 0")
        emptied = self.scalar(f"SELECT count(*) FROM t WHERE gone IS NULL AND {q} <= 0")
        if emptied:
            self.report.add("netted_purchases", emptied, Action.DROPPED)
            self.con.execute(f"UPDATE t SET gone = 'netted_purchases' WHERE gone IS NULL AND {q} <= 0")
        if unmatched > 0:
            self.report.add("unmatched_return_units", int(round(unmatched)), Action.DROPPED)

    def flag_outliers(self) -> None:
        """Lines far above their product's usual size (``ml.dataset.cleaner.OUTLIER_FLOOR``), flagged."""
        if not self.has(Col.QUANTITY):
            return
        q = sql_name(Col.QUANTITY)
        if self.scalar("SELECT count(*) FROM t WHERE gone IS NULL") < 20:
            return
        g = sql_name(Col.PRODUCT_ID) if self.has(Col.PRODUCT_ID) else "0"
        kept = f"gone IS NULL AND {g} IN (SELECT DISTINCT {g} FROM t WHERE gone IS NULL AND abs({q}) > {OUTLIER_FLOOR})"
        if self.has(Col.PRODUCT_ID):
            kept = f"gone IS NULL AND ({g} IN (SELECT DISTINCT {g} FROM t WHERE gone IS NULL AND abs({q}) > " \
                   f"{OUTLIER_FLOOR}) OR {g} IS NULL AND EXISTS (SELECT 1 FROM t WHERE gone IS NULL AND {g} IS NULL " \
                   f"AND abs({q}) > {OUTLIER_FLOOR}))"
        # medians from each group's distinct sizes and their counts (median() holds every value in memory)
        sizes = self.con.execute(f"SELECT {g} AS g, abs({q}) AS v, count(*) AS n FROM t WHERE {kept} "
                                 f"AND {q} IS NOT NULL GROUP BY 1, 2").df()
        if sizes.empty:
            return
        groups = pd.Series(pd.factorize(sizes["g"], use_na_sentinel=False)[0])
        v, n = sizes["v"].to_numpy(), sizes["n"].to_numpy()
        keys, med = _group_quantile(groups, v, n, 0.5)
        m = pd.Series(med, index=keys).reindex(groups).to_numpy()
        _, mad = _group_quantile(groups, np.abs(v - m), n, 0.5)
        d = pd.Series(mad, index=keys).reindex(groups).to_numpy()
        threshold = np.maximum(m + 30 * np.maximum(d, 1), 50 * np.maximum(m, 1))
        over = sizes.loc[v > threshold, ["g", "v"]]
        if over.empty:
            return
        self.con.register("over", pa.Table.from_pandas(over, preserve_index=False))
        found = self.con.execute(f"SELECT t.rowid AS i FROM t JOIN over ON {g} IS NOT DISTINCT FROM over.g "
                                 f"AND abs({q}) = over.v WHERE gone IS NULL ORDER BY i").fetchnumpy()["i"]
        self.con.unregister("over")
        if not len(found):
            return
        first = ", ".join(str(int(i)) for i in found[:MAX_EXAMPLES])
        self.report.add("outlier_quantity", len(found), Action.FLAGGED,
                        self.row_examples(f"rowid IN ({first})", Col.QUANTITY))

    # -------------------------------------------------------------------------------------------- output

    def write(self, output: Path | None, rows: int) -> StoredTotals:
        """The kept rows in date order (stable) to Parquet by DuckDB (its writer is parallel; the Arrow schema
        written beside them gives the frame's types back: products as categories); the totals summed in that
        order as ``Dataset.control_totals`` sums the frame's columns (``ml.outofcore.sqltotals``)."""
        order = f"ORDER BY {sql_name(Col.DATE)}, rowid"
        if output is not None:
            fields = [pa.field(Col.DATE, pa.timestamp("ns"))]
            for c in self.columns[1:]:
                kind = pa.float64() if c in NUMBER_COLUMNS else pa.dictionary(pa.int32(), pa.string()) \
                    if c in DICTIONARY_COLUMNS else pa.string()
                fields.append(pa.field(c, kind))
            meta = base64.b64encode(pa.schema(fields).serialize().to_pybytes()).decode()
            picked = ", ".join([f"CAST({sql_name(Col.DATE)} AS TIMESTAMP_NS) AS {sql_name(Col.DATE)}",
                                *(sql_name(c) for c in self.columns[1:])])
            self.con.execute(f"COPY (SELECT {picked} FROM t WHERE gone IS NULL {order}) TO {sql_text(str(output))} "
                             f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP}, "
                             f"KV_METADATA {{'ARROW:schema': {sql_text(meta)}}})")
        measures = [c for c in (Col.QUANTITY, Col.REVENUE) if self.has(c)]
        by_day, first, last = day_order(self.con, sql_name(Col.DATE), rows)
        totals = sorted_sums(self.con, [sql_name(c) for c in measures], measures, rows, by_day)
        return StoredTotals(rows=rows, total_quantity=totals.get(Col.QUANTITY), total_revenue=totals.get(Col.REVENUE),
                            date_min=pd.Timestamp(np.datetime64(first, "D")) if first is not None else pd.NaT,
                            date_max=pd.Timestamp(np.datetime64(last, "D")) if last is not None else pd.NaT)


# ------------------------------------------------------------------------------------------------ entry


_ALLOWED = {Col.DATE, *NUMBER_COLUMNS, *TEXT_COLUMNS}


def load_with_duckdb(sources, paths, names, mapping_overrides, options: CleaningOptions, limits: IngestLimits,
                     name, output, work: Path | None = None) -> StoredDataset | None:
    """``load_large_dataset`` done by DuckDB, or None when the files need the batch path (see the module
    docstring). Refusals (too many rows, no date column...) are raised as the batch path raises them."""
    import duckdb

    from ml.outofcore.clean import _fingerprint, detect, finish_fingerprint

    if not all(sql_readable(s) for s in sources):
        return None
    try:
        counts = []
        for source in sources:
            counts.append(count_lines(source))
            if sum(counts) > limits.max_rows:
                raise DataError("ingest.error.too_many_rows", name=names[0], limit=limits.max_rows)
    except Ineligible:
        return None
    samples = sample_lines(sources[0], counts[0])
    mapping, style, date_style, report = detect(sources, samples, mapping_overrides, options)
    days = samples[mapping.columns[Col.DATE]]
    times = bool(len(days.drop_null())) and pc.max(pc.utf8_length(days)).as_py() > 10  # longer than YYYY-MM-DD
    del samples
    if (date_style.format != ISO_DAY or not set(mapping.columns) <= _ALLOWED
            or Col.PRODUCT_ID not in mapping.columns and Col.PRODUCT_NAME in mapping.columns):
        return None

    hashed: dict = {}
    hasher = threading.Thread(target=lambda: hashed.update(d=_fingerprint(paths, names)), daemon=True)
    hasher.start()

    with tempfile.TemporaryDirectory(prefix="saleslens-duckdb-", dir=work) as folder:
        # in memory: a table on disk is written twice as slowly; past memory_limit DuckDB spills to ``spill``
        con = connect_duckdb(_memory_mb(limits), THREADS, Path(folder) / "spill", keep_order=True)
        try:
            origin = []
            try:
                # One thread reads: rowid must be the line number (examples, the first of repeated rows, the
                # stable date sort), and a parallel read into a table larger than memory_limit was measured to
                # insert the lines out of order despite preserve_insertion_order (19.7M of 20M rows moved).
                con.execute("SET threads = 1")
                for i, source in enumerate(sources):
                    sql, columns = select_sql(source, mapping, style.decimal, times)
                    con.execute(("CREATE TABLE t AS " if i == 0 else "INSERT INTO t ") + sql)
                    origin.append((source.format.name, counts[i]))
                con.execute(f"SET threads = {THREADS}")
            except (duckdb.Error, Ineligible):
                return None  # a line with another number of fields, or text that is not UTF-8
            read, bad = con.execute("SELECT count(*), count(*) FILTER (NOT ok) FROM t").fetchall()[0]
            if bad or read != sum(counts):
                return None
            report.rows_read = read
            cleaner = SqlCleaner(con, columns, mapping, options, report, origin, times)
            cleaner.run()
            kept = cleaner.scalar("SELECT count(*) FROM t WHERE gone IS NULL")
            if kept < 2:
                return None  # the batch path words the refusal (it quotes the raw values)
            report.rows_kept = kept
            totals = cleaner.write(Path(output) if output is not None else None, kept)
        finally:
            con.close()
    hasher.join()
    return StoredDataset(
        path=Path(output) if output is not None else None, totals=totals,
        name=name or (names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1})"),
        mapping=mapping, report=report, source_columns=sources[0].columns,
        fingerprint=finish_fingerprint(hashed["d"], mapping, options), options=options, engine="duckdb",
    )
