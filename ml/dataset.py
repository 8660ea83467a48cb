"""Uploaded files -> one clean canonical transactions frame plus a validation report that explains every change.

``load_dataset`` is the single entry point used by the Data page, the CLI and the benchmarks.

How the cleaning is organised (for speed on million-row exports): the mapped columns are converted once, in
parallel (pyarrow kernels release the GIL), into numpy/Arrow arrays over *all* rows; every check then narrows one
``keep`` mask and counts only rows still kept, so each dropped row is explained by exactly one reason and
``rows_read - rows_kept`` equals the sum of the dropped counts; the frame is built at the end with a single take
that both filters and (when needed) sorts by date.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.currency import detect_currency
from ml.ingest import FileFormat, RawTable, read_upload
from ml.limits import LIMITS, IngestLimits
from ml.mapping import apply_overrides, propose_mapping
from ml.parsing import (
    DateStyle,
    detect_date_style,
    detect_number_style,
    parse_dates_keyed,
    parse_numbers,
)
from ml.products import find_non_products
from ml.schema import CANONICAL_COLUMNS, NUMERIC_COLUMNS, Col, ColumnMapping, DataError

SAMPLE_ROWS = 2000
MAX_EXAMPLES = 3
CATEGORICAL_COLUMNS = (Col.PRODUCT_ID, Col.PRODUCT_NAME, Col.CATEGORY, Col.REGION)
_TRUE_WORDS = {"1", "true", "yes", "y", "t", "x", "是", "有", "促销", "on"}
_FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "无", "off", ""}
# A line is an outlier when it is over 50x its product's median line and 30 median-absolute-deviations above it;
# both bounds are at least OUTLIER_FLOOR units, so smaller lines are never outliers and need no median.
OUTLIER_FLOOR = 50
_WORKERS = max(1, min(4, os.cpu_count() or 1))


class ReturnsPolicy(StrEnum):
    """What to do with return lines (negative quantities) and cancellations."""

    KEEP = "keep"  # keep them with their sign: totals are net of returns
    EXCLUDE = "exclude"  # drop them: totals are gross sales
    NET = "net"  # offset each return against the same customer's earlier purchases of the product


@dataclass
class CleaningOptions:
    returns: ReturnsPolicy = ReturnsPolicy.KEEP
    day_first: bool | None = None  # None: detect; asked of the user when the data cannot tell
    drop_duplicates: bool = True
    encoding: str | None = None  # None: detect
    keep_non_products: bool = False  # postage, fees, adjustments, write-offs: out of the data unless asked for


@dataclass
class Problem:
    """One reason rows were dropped, changed or flagged. ``reason`` is a message id under ``report.reason``."""

    reason: str
    count: int
    action: str  # dropped | changed | flagged | kept | netted | info
    examples: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return {"reason": self.reason, "count": int(self.count), "action": self.action, "examples": self.examples}


@dataclass
class ValidationReport:
    rows_read: int = 0
    rows_kept: int = 0
    problems: list[Problem] = field(default_factory=list)
    formats: list[FileFormat] = field(default_factory=list)
    number_style: str = "."
    date_format: str | None = None
    date_ambiguous: bool = False
    date_alternative: str | None = None
    returns_policy: str = ReturnsPolicy.KEEP
    currency: str | None = None  # ISO code read from the data (symbols in prices, the shop's countries), else None

    def add(self, reason: str, count: int, action: str, examples: list[str] | None = None) -> None:
        if count:
            self.problems.append(Problem(reason, int(count), action, examples or []))

    def count(self, reason: str) -> int:
        return sum(p.count for p in self.problems if p.reason == reason)

    @property
    def rows_dropped(self) -> int:
        return self.rows_read - self.rows_kept

    def to_json_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "problems": [p.to_json_dict() for p in self.problems],
            "formats": [f.to_json_dict() for f in self.formats],
            "decimal_separator": self.number_style,
            "date_format": self.date_format,
            "date_order_ambiguous": self.date_ambiguous,
            "returns_policy": str(self.returns_policy),
            "currency": self.currency,
        }


@dataclass
class Dataset:
    name: str
    frame: pd.DataFrame  # canonical columns only
    mapping: ColumnMapping  # canonical -> source header
    report: ValidationReport
    source_columns: list[str]
    fingerprint: str
    options: CleaningOptions = field(default_factory=CleaningOptions)

    @property
    def date_min(self) -> pd.Timestamp:
        return self.frame[Col.DATE].min()

    @property
    def date_max(self) -> pd.Timestamp:
        return self.frame[Col.DATE].max()

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def control_totals(self) -> dict:
        f = self.frame
        return {
            "total_quantity": float(f[Col.QUANTITY].sum()) if Col.QUANTITY in f else None,
            "total_revenue": float(f[Col.REVENUE].sum()) if Col.REVENUE in f else None,
            "date_min": self.date_min.date().isoformat(),
            "date_max": self.date_max.date().isoformat(),
        }

    def profile_json(self) -> dict:
        """The object printed by ``python -m ml profile --json``."""
        return {
            "name": self.name,
            "rows_read": self.report.rows_read,
            "rows_kept": self.report.rows_kept,
            "mapping": self.mapping.to_dict(),
            "problems": [p.to_json_dict() for p in self.report.problems],
            **self.control_totals(),
            "format": self.report.to_json_dict()["formats"],
            "decimal_separator": self.report.number_style,
            "date_format": self.report.date_format,
            "date_order_ambiguous": self.report.date_ambiguous,
            "fingerprint": self.fingerprint,
        }


# ---------------------------------------------------------------------------------------------------- loading


def read_tables(files: Sequence[tuple[str, bytes]], limits: IngestLimits, encoding: str | None) -> list[RawTable]:
    if not files:
        raise DataError("ingest.error.no_files")
    if len(files) > limits.max_files:
        raise DataError("ingest.error.too_many_files", count=len(files), limit=limits.max_files)
    declared = 0  # what the archives say they hold: a near-cap upload of several files is refused before reading
    for name, data in files:
        declared += _declared_size(data)
        if declared > limits.max_total_inflated_bytes and len(files) > 1:
            raise DataError("ingest.error.total_too_large", name=name, limit_mb=limits.max_total_inflated_mb)
    tables: list[RawTable] = []
    unpacked = 0  # text read so far, across the files: one upload may not unpack past max_total_inflated_mb
    for name, data in files:
        left_mb = (limits.max_total_inflated_bytes - unpacked) // 2**20
        if left_mb < 1:
            raise DataError("ingest.error.total_too_large", name=name, limit_mb=limits.max_total_inflated_mb)
        file_limits = replace(limits, max_inflated_mb=min(limits.max_inflated_mb, left_mb))
        read = read_upload(name, data, file_limits, encoding)
        unpacked += sum(_text_bytes(t.table) for t in read)
        tables.extend(read)
    if unpacked > limits.max_total_inflated_bytes and len(files) > 1:
        raise DataError("ingest.error.total_too_large", name=files[-1][0], limit_mb=limits.max_total_inflated_mb)
    total_rows = sum(t.table.num_rows for t in tables)
    if total_rows > limits.max_rows:
        raise DataError("ingest.error.too_many_rows", name=files[0][0], limit=limits.max_rows)
    return tables


def _declared_size(data: bytes) -> int:
    """The unpacked size a file declares (zip directory, gzip trailer), else its size. Declarations can lie; the
    caps enforced while inflating still hold."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                return sum(info.file_size for info in zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return len(data)
    if data[:2] == b"\x1f\x8b" and len(data) >= 4:
        return max(len(data), int.from_bytes(data[-4:], "little"))
    return len(data)


def _text_bytes(table: pa.Table) -> int:
    """The characters of a string table (its values without delimiters: never more than the text it came from)."""
    total = 0
    for column in table.columns:
        for chunk in column.chunks:
            buffers = chunk.buffers()
            if len(buffers) == 3 and buffers[2] is not None:
                total += buffers[2].size
    return total


def sample_columns(table: pa.Table, n: int = SAMPLE_ROWS) -> dict[str, pa.Array]:
    """An evenly spread sample of each column (head and body), for detection."""
    rows = table.num_rows
    if rows > n:
        idx = np.unique(np.r_[np.arange(n // 2), np.linspace(0, rows - 1, n // 2).astype(np.int64)])
        table = table.take(pa.array(idx))
    return {name: table.column(name).combine_chunks() for name in table.column_names}


def _fingerprint(files: Sequence[tuple[str, bytes]]):
    digest = hashlib.sha256()
    for fname, data in files:
        digest.update(fname.encode())
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest


def load_dataset(
    files: Sequence[tuple[str, bytes]],
    mapping_overrides: dict[str, str | None] | None = None,
    options: CleaningOptions | None = None,
    limits: IngestLimits = LIMITS,
    name: str | None = None,
) -> Dataset:
    """Read, map, parse and clean one or more files (monthly exports with the same columns are concatenated)."""
    options = options or CleaningOptions()
    with ThreadPoolExecutor(_WORKERS) as pool:
        hashing = pool.submit(_fingerprint, files)  # hashlib releases the GIL: overlaps with reading
        tables = read_tables(files, limits, options.encoding)
        first = tables[0]
        samples = sample_columns(first.table)
        all_values = [v for arr in samples.values() for v in arr.drop_null().slice(0, 300).to_pylist()]
        style = detect_number_style([str(v) for v in all_values])
        proposal = propose_mapping(samples, style).mapping
        mapping = apply_overrides(proposal, mapping_overrides or {}, first.source_columns)
        if not mapping.has(Col.DATE):
            raise DataError("ingest.error.no_date", columns=", ".join(first.source_columns[:12]))
        if not (mapping.has(Col.QUANTITY) or mapping.has(Col.REVENUE)):
            raise DataError("ingest.error.no_measure", columns=", ".join(first.source_columns[:12]))

        parts = []
        origin = []  # (file name, rows) for examples
        for raw in tables:
            missing = [src for src in mapping.columns.values() if src not in raw.source_columns]
            if missing:
                raise DataError(
                    "ingest.error.columns_differ", name=raw.format.name, first=first.format.name, missing=", ".join(missing)
                )
            sub = raw.table.select(list(mapping.columns.values()))
            parts.append(sub.rename_columns(list(mapping.columns.keys())))
            origin.append((raw.format.name, raw.table.num_rows))
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]

        report = ValidationReport(formats=[t.format for t in tables], number_style=style.decimal)
        malformed = sum(t.format.malformed_rows for t in tables)
        short = sum(t.format.short_rows for t in tables)
        report.rows_read = table.num_rows + malformed
        report.add("malformed_rows", malformed - short, "dropped")
        report.add("short_rows", short, "dropped")
        report.returns_policy = options.returns
        money = [v for c in (Col.UNIT_PRICE, Col.REVENUE, Col.UNIT_COST) if mapping.has(c)
                 for v in samples[mapping.columns[c]].drop_null().to_pylist()]
        regions = samples[mapping.columns[Col.REGION]].to_pylist() if mapping.has(Col.REGION) else None
        report.currency = detect_currency(money, regions)

        date_style = _choose_date_style(samples[mapping.columns[Col.DATE]], options.day_first)
        report.date_format = date_style.format
        report.date_ambiguous = date_style.ambiguous
        report.date_alternative = date_style.alternative

        # What an error about an empty result would quote; then the raw text columns are let go as soon as the
        # cleaner has converted them (they are the largest thing in memory: ~3x the file for a 1M-row export).
        heads = {c: table.column(c).drop_null().slice(0, MAX_EXAMPLES).to_pylist() for c in (Col.DATE, Col.QUANTITY, Col.REVENUE) if c in table.column_names}
        first_name, source_columns = first.format.name, first.source_columns
        cleaner = _Cleaner(table, date_style, style, options, report, origin, pool)
        del table, tables, parts, first, raw, sub
        frame = cleaner.run()
        del cleaner
        report.rows_kept = len(frame)
        _refuse_empty(report, mapping, heads, first_name)

        digest = hashing.result()
    digest.update(repr(sorted(mapping.columns.items())).encode())
    digest.update(repr((str(options.returns), options.day_first, options.drop_duplicates)).encode())
    if options.keep_non_products:
        digest.update(b"keep_non_products")
    return Dataset(
        name=name or (files[0][0] if len(files) == 1 else f"{files[0][0]} (+{len(files) - 1})"),
        frame=frame,
        mapping=mapping,
        report=report,
        source_columns=source_columns,
        fingerprint=digest.hexdigest()[:32],
        options=options,
    )


def _refuse_empty(report: ValidationReport, mapping: ColumnMapping, heads: dict[str, list], first_name: str) -> None:
    """``heads``: the first non-empty raw values of the date and measure columns, to quote in the message."""
    if report.rows_kept >= 2:
        return
    if report.rows_read == 0:
        raise DataError("ingest.error.no_rows", name=first_name)
    if report.rows_kept == 1:
        raise DataError("ingest.error.too_few_rows", rows=report.rows_kept)
    dropped = [p for p in report.problems if p.action == "dropped"]
    top = max(dropped, key=lambda p: p.count, default=None)
    reason = top.reason if top else ""
    if reason in ("bad_date", "missing_date"):
        column = Col.DATE
        message_id = "ingest.error.no_valid_dates"
    elif reason in ("bad_quantity", "missing_quantity", "zero_quantity", "no_measure"):
        column = Col.QUANTITY if mapping.has(Col.QUANTITY) else Col.REVENUE
        message_id = "ingest.error.no_valid_measures"
    else:
        raise DataError("ingest.error.no_valid_rows", rows=report.rows_read, reason=reason)
    values = heads.get(column, [])
    examples = ", ".join(f"“{v}”" for v in values) or "–"
    if message_id == "ingest.error.no_valid_dates":
        raise DataError("ingest.error.no_valid_dates", rows=report.rows_read, column=mapping.source_for(column), examples=examples)
    raise DataError("ingest.error.no_valid_measures", rows=report.rows_read, column=mapping.source_for(column), examples=examples)


def _choose_date_style(sample: pa.Array, day_first: bool | None) -> DateStyle:
    style = detect_date_style(sample)
    if style.ambiguous and day_first is not None:
        wants_day_first = style.day_first
        chosen = style.format if wants_day_first == day_first else style.alternative
        # The user's choice settles it: no longer ambiguous for the report.
        return DateStyle(chosen, ambiguous=False, alternative=None)
    return style


# ---------------------------------------------------------------------------------------------------- cleaning


def _np(arr) -> np.ndarray:
    """Arrow boolean/numeric array -> numpy (nulls: False for booleans, NaN for floats)."""
    if arr.null_count:
        if pa.types.is_boolean(arr.type):
            arr = pc.fill_null(arr, False)
        elif pa.types.is_floating(arr.type):
            arr = pc.fill_null(arr, np.nan)
    return arr.to_numpy(zero_copy_only=False)


def _encode_categorical(col) -> pa.DictionaryArray:
    """Trimmed text as a dictionary array (blank -> null). Trimming runs on the dictionary, not on every row."""
    enc = pc.dictionary_encode(col)
    if isinstance(enc, pa.ChunkedArray):
        dictionary = enc.chunk(enc.num_chunks - 1).dictionary if enc.num_chunks else pa.array([], pa.string())
        indices = pa.concat_arrays([c.indices for c in enc.chunks]) if enc.num_chunks else pa.array([], pa.int32())
        enc = pa.DictionaryArray.from_arrays(indices, dictionary)
    trimmed = pc.utf8_trim_whitespace(enc.dictionary)
    if pc.all(pc.and_(pc.equal(trimmed, enc.dictionary), pc.not_equal(trimmed, ""))).as_py() in (True, None):
        return enc
    values = pc.take(trimmed, enc.indices)
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    return pc.dictionary_encode(values)


def _clean_text(col) -> pa.Array:
    """Trimmed text, blank -> null."""
    col = _as_array(col)
    trimmed = pc.utf8_trim_whitespace(col)
    blank = pc.equal(trimmed, "")
    if pc.any(blank).as_py():
        trimmed = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)
    return trimmed


def _parse_flags(col) -> np.ndarray:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(_as_array(col)))
    numeric = pd.to_numeric(text.to_pandas(), errors="coerce")
    flags = numeric.fillna(0).ne(0).to_numpy() | _np(pc.is_in(text, value_set=pa.array(sorted(_TRUE_WORDS))))
    return flags.astype(bool)


def _release_memory() -> None:
    """Ask Arrow's allocator to return freed pages to the system (mimalloc and jemalloc keep them by default, which
    adds the CSV reader's temporary blocks to the ingest's memory peak)."""
    try:
        pa.default_memory_pool().release_unused()
    except (AttributeError, NotImplementedError):
        pass


def _as_array(col) -> pa.Array:
    """One array from a chunked column; text of 2 GiB or more becomes large_string (32-bit offsets would overflow,
    e.g. a long description column over three near-cap files)."""
    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks == 1:
            return col.chunk(0)
        if pa.types.is_string(col.type) and col.nbytes >= _MAX_STRING_BYTES:
            col = col.cast(pa.large_string())
        return col.combine_chunks()
    return col


_MAX_STRING_BYTES = 2**31 - 1


def _num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def _mix(h: np.ndarray, key: np.ndarray) -> np.ndarray:
    """One round of a 64-bit hash over whole columns (splitmix64's finaliser)."""
    h ^= key.astype(np.int64, copy=False).view(np.uint64)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(31)
    return h


class _Cleaner:
    """Typed columns, checks and the returns policy over all rows with one keep mask (see the module docstring)."""

    def __init__(self, table, date_style, number_style, options, report, origin, pool) -> None:
        self.table = table
        self.date_style = date_style
        self.number_style = number_style
        self.options = options
        self.report = report
        self.origin = origin
        self.pool = pool
        self.n = table.num_rows
        self.keep = np.ones(self.n, dtype=bool)
        self.values: dict[str, np.ndarray] = {}  # numeric columns, float64 with NaN
        self.cats: dict[str, pa.DictionaryArray] = {}
        self.texts: dict[str, pa.Array] = {}
        self.flags: dict[str, np.ndarray] = {}

    # ---------------------------------------------------------------------------------------------- steps

    def run(self) -> pd.DataFrame:
        self._convert()
        _release_memory()  # the raw text columns are gone: let the allocator give their pages back
        self._drop_unusable()
        self._derive_measures()
        if self.options.drop_duplicates:
            self._drop_duplicates()
        self._find_non_products()
        self._apply_returns_policy()
        self._flag()
        return self._frame()

    def _convert(self) -> None:
        """Every mapped column to its type, in parallel; unreadable values are counted here."""
        cols = {name: self.table.column(name) for name in self.table.column_names}
        self.table = None  # the converted columns replace it; ``cols`` is the last reference, gone after this step
        jobs = {Col.DATE: self.pool.submit(parse_dates_keyed, cols[Col.DATE], self.date_style)}
        for name, col in cols.items():
            if name == Col.DATE:
                continue
            if name in NUMERIC_COLUMNS:
                jobs[name] = self.pool.submit(parse_numbers, col, self.number_style)
            elif name == Col.PROMO:
                jobs[name] = self.pool.submit(_parse_flags, col)
            elif name in CATEGORICAL_COLUMNS:
                jobs[name] = self.pool.submit(_encode_categorical, col)
            else:
                jobs[name] = self.pool.submit(_clean_text, col)

        days, failed, self.date_key = jobs.pop(Col.DATE).result()
        self.days = _np(days.cast(pa.int64())) if days.null_count == 0 else _np(pc.fill_null(days.cast(pa.int64()), 0))
        failed = _np(failed)
        missing = _np(pc.is_null(days)) & ~failed
        self._drop("bad_date", failed, examples=self._raw_examples(cols.pop(Col.DATE), failed))
        self._drop("missing_date", missing, examples=self._raw_examples(None, missing))
        for name, job in jobs.items():
            result = job.result()
            raw = cols.pop(name)  # each raw text column goes as soon as its examples are taken (memory peak)
            if name in NUMERIC_COLUMNS:
                values, bad = result
                self.values[name] = _np(values.cast(pa.float64()))
                bad = _np(bad) & self.keep
                examples = self._raw_examples(raw, bad)
                if name == Col.QUANTITY:
                    self._drop("bad_quantity", bad, examples=examples)
                else:
                    self.report.add(f"bad_{name}", int(bad.sum()), "changed", examples)
            elif name == Col.PROMO:
                self.flags[name] = result
            elif name in CATEGORICAL_COLUMNS:
                self.cats[name] = result
            else:
                self.texts[name] = result
            del raw, result
        if Col.PRODUCT_ID not in self.cats and Col.PRODUCT_NAME in self.cats:
            self.cats[Col.PRODUCT_ID] = self.cats[Col.PRODUCT_NAME]
            self.product_from_name = True
        else:
            self.product_from_name = False

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
            self.report.add("zero_price", int((self.keep & (price == 0)).sum()), "flagged")

    def _derive_measures(self) -> None:
        v, keep = self.values, self.keep
        q, price, rev = v.get(Col.QUANTITY), v.get(Col.UNIT_PRICE), v.get(Col.REVENUE)
        if q is not None and price is not None and rev is None:
            v[Col.REVENUE] = q * price
            self.report.add("derived_revenue", int(keep.sum()), "info")
        elif q is not None and rev is not None and price is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                v[Col.UNIT_PRICE] = np.abs(rev / np.where(q != 0, q, np.nan))
            self.report.add("derived_price", int(keep.sum()), "info")
        elif q is not None and rev is not None and price is not None:
            fill = keep & np.isnan(rev) & ~np.isnan(price)
            if fill.any():
                v[Col.REVENUE] = np.where(fill, q * price, rev)
                self.report.add("derived_revenue", int(fill.sum()), "changed")
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
                self.report.add("negative_cost", int(bad_cost.sum()), "changed")
        if self.product_from_name:
            self.report.add("product_id_from_name", int(self.keep.sum()), "info")

    def _drop_duplicates(self) -> None:
        """Exact repeats of an earlier row (every mapped column equal, the date to the time written).

        A 64-bit hash over cheap per-column keys (numbers' bits, category codes, text lengths) finds the few rows
        that *might* repeat another; only those are compared value by value, so the answer is exact."""
        rows = np.flatnonzero(self.keep)
        if len(rows) < 2:
            return
        h = np.full(self.n, 0x9E3779B97F4A7C15, dtype=np.uint64)
        _mix(h, self.date_key)
        for values in self.values.values():
            _mix(h, np.where(np.isnan(values), np.inf, values + 0.0).view(np.int64))
        for name, arr in self.cats.items():
            if name == Col.PRODUCT_ID and self.product_from_name:
                continue
            _mix(h, _np(pc.fill_null(arr.indices, -1)))
        for arr in self.texts.values():
            _mix(h, self._text_key(arr))
        for flags in self.flags.values():
            _mix(h, flags)
        hashes = h[rows] if len(rows) < self.n else h
        del h
        ordered = np.sort(hashes)  # a sort of 64-bit keys is several times faster than a hash table here
        repeated_values = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        if len(repeated_values) == 0:
            return
        cand = rows[_np(pc.is_in(pa.array(hashes), value_set=pa.array(repeated_values)))]
        exact = {"_date": self.date_key[cand]}
        for name, values in self.values.items():
            exact[name] = values[cand]
        for name, arr in {**self.cats, **self.texts}.items():
            exact[name] = arr.take(pa.array(cand)).to_pandas().astype(object).to_numpy()
        for name, flags in self.flags.items():
            exact[name] = flags[cand]
        dup = np.zeros(self.n, dtype=bool)
        dup[cand[pd.DataFrame(exact).duplicated(keep="first").to_numpy()]] = True
        self._drop("duplicates", dup)

    def _text_key(self, arr) -> np.ndarray:
        """Equal texts get equal keys (here their lengths: cheap; ml/outofcore hashes the values)."""
        return _np(pc.fill_null(pc.binary_length(arr), -1))

    def _find_non_products(self) -> None:
        """Postage, fees, adjustments and write-off notes (``ml.products``): dropped, or flagged when kept."""
        product = self.cats.get(Col.PRODUCT_ID)
        if product is None or self.product_from_name:
            return
        rows = np.flatnonzero(self.keep)
        if len(rows) == 0:
            return
        idx = pa.array(rows)
        text = next((s[c] for c in (Col.PRODUCT_NAME, Col.DESCRIPTION) for s in (self.cats, self.texts) if c in s), None)
        q, price = self.values.get(Col.QUANTITY), self.values.get(Col.UNIT_PRICE)
        found = find_non_products(
            product.take(idx).to_pandas(), None if text is None else text.take(idx).to_pandas(),
            None if q is None else q[rows], None if price is None else price[rows],
        )
        by_code = np.zeros(self.n, dtype=bool)
        by_code[rows[found.rows & ~found.write_offs]] = True
        write_offs = np.zeros(self.n, dtype=bool)
        write_offs[rows[found.write_offs]] = True
        column = Col.QUANTITY if q is not None else Col.REVENUE
        notes = self._text_examples(write_offs, text)
        if self.options.keep_non_products:
            self.report.add("non_product", int(by_code.sum()), "flagged", found.describe())
            self.report.add("write_off", int(write_offs.sum()), "flagged", notes)
        else:
            self._drop("non_product", by_code, examples=found.describe())
            self._drop("write_off", write_offs, examples=notes or self._row_examples(write_offs, column))

    def _text_examples(self, mask: np.ndarray, text) -> list[str]:
        if text is None:
            return []
        return [f"{self._locate(i)}: {text[i].as_py()!r}" for i in np.flatnonzero(mask)[:MAX_EXAMPLES].tolist()]

    def _apply_returns_policy(self) -> None:
        q = self.values.get(Col.QUANTITY)
        measure = q if q is not None else self.values[Col.REVENUE]
        returns = self.keep & (measure < 0)
        n_returns = int(returns.sum())
        order = self.texts.get(Col.ORDER_ID)
        if order is not None and n_returns:
            ids = order.take(pa.array(np.flatnonzero(returns)))
            cancelled = pc.sum(pc.fill_null(pc.starts_with(ids, "C", ignore_case=True), False)).as_py() or 0
            self.report.add("cancellations", cancelled, "info")
        if not n_returns:
            return
        policy = self.options.returns
        column = Col.QUANTITY if q is not None else Col.REVENUE
        if policy == ReturnsPolicy.KEEP:
            self.report.add("returns", n_returns, "kept", self._row_examples(returns, column))
        elif policy == ReturnsPolicy.EXCLUDE or q is None or Col.PRODUCT_ID not in self.cats:
            self._drop("returns", returns, examples=self._row_examples(returns, column))
        else:
            self._net_returns(returns)

    def _net_returns(self, returns: np.ndarray) -> None:
        """Each return cancels units of the same customer's purchases of the product made on or before the
        return's day, latest first; returns are removed, purchases keep what was not returned. Returns by
        unknown customers cannot be matched; their units are reported as unmatched."""
        q = self.values[Col.QUANTITY]
        product = _np(pc.fill_null(self.cats[Col.PRODUCT_ID].indices, -1)).astype(np.int64)
        customer = self.texts.get(Col.CUSTOMER_ID)
        if customer is not None:
            codes = pc.dictionary_encode(customer).indices
            cust = _np(pc.fill_null(codes, -1)).astype(np.int64)
        else:
            cust = np.zeros(self.n, dtype=np.int64)
        key = cust * (int(product.max(initial=0)) + 2) + product + 1
        buys = self.keep & (q > 0)
        guests = returns & (cust < 0)
        unmatched = float(-q[guests].sum())
        matchable = returns & ~guests
        cand = np.flatnonzero((buys | matchable) & (cust >= 0) & np.isin(key, np.unique(key[matchable])))
        order = cand[np.lexsort((cand, matchable[cand], self.days[cand], key[cand]))]
        remaining = q.copy()
        stacks: dict[int, list[int]] = defaultdict(list)
        keys, is_return, qty = key[order].tolist(), matchable[order].tolist(), q[order].tolist()
        for i, k, r, units in zip(order.tolist(), keys, is_return, qty, strict=True):
            if not r:
                stacks[k].append(i)
                continue
            need, stack = -units, stacks[k]
            while need > 0 and stack:
                top = stack[-1]
                take = min(need, remaining[top])
                remaining[top] -= take
                need -= take
                if remaining[top] <= 0:
                    stack.pop()
            unmatched += need
        changed = buys & (remaining != q)
        emptied = changed & (remaining <= 0)
        rev = self.values.get(Col.REVENUE)
        if rev is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                self.values[Col.REVENUE] = np.where(changed, rev * remaining / q, rev)
        self.values[Col.QUANTITY] = remaining
        self.report.add("returns", int(returns.sum()), "netted")
        self.keep &= ~returns
        self._drop("netted_purchases", emptied)
        if unmatched > 0:
            self.report.add("unmatched_return_units", int(round(unmatched)), "dropped")

    def _flag(self) -> None:
        q = self.values.get(Col.QUANTITY)
        if q is not None and self.keep.sum() >= 20:
            size = np.abs(q)
            big = self.keep & (size > OUTLIER_FLOOR)
            if big.any():
                if Col.PRODUCT_ID in self.cats:
                    group = _np(pc.fill_null(self.cats[Col.PRODUCT_ID].indices, -1))
                else:
                    group = np.zeros(self.n, dtype=np.int64)
                rows = np.flatnonzero(self.keep & np.isin(group, np.unique(group[big])))
                sub = pd.DataFrame({"g": group[rows], "q": size[rows]})
                med = sub.groupby("g")["q"].transform("median")
                mad = (sub["q"] - med).abs().groupby(sub["g"]).transform("median")
                threshold = np.maximum(med + 30 * mad.clip(lower=1), 50 * med.clip(lower=1))
                outliers = np.zeros(self.n, dtype=bool)
                outliers[rows[(sub["q"] > threshold).to_numpy()]] = True
                self.report.add(
                    "outlier_quantity", int(outliers.sum()), "flagged", self._row_examples(outliers, Col.QUANTITY)
                )
        customer = self.texts.get(Col.CUSTOMER_ID)
        if customer is not None:
            missing = self.keep & _np(pc.is_null(customer))
            self.report.add("missing_customer", int(missing.sum()), "flagged")

    def _frame(self) -> pd.DataFrame:
        take = None
        if not self.keep.all():
            take = np.flatnonzero(self.keep)
        days = self.days if take is None else self.days[take]
        if len(days) > 1 and (np.diff(days) < 0).any():
            order = np.argsort(days, kind="stable")
            take = order if take is None else take[order]
            days = days[order]
        idx = None if take is None else pa.array(take)
        columns: dict[str, object] = {Col.DATE: days.astype("datetime64[s]").astype("datetime64[ns]")}
        # Each source column is dropped from the cleaner as soon as its output exists, to keep the peak low.
        for name in list(self.values):
            values = self.values.pop(name)
            columns[name] = values if take is None else values[take]
        for store in (self.cats, self.texts):
            for name in list(store):
                arr = store.pop(name)
                columns[name] = (arr if idx is None else arr.take(idx)).to_pandas()
                del arr
        for name in list(self.flags):
            flags = self.flags.pop(name)
            columns[name] = flags if take is None else flags[take]
        frame = pd.DataFrame(columns, copy=False)
        return frame[[c for c in CANONICAL_COLUMNS if c in frame.columns]]

    # ---------------------------------------------------------------------------------------------- helpers

    def _drop(self, reason: str, mask: np.ndarray, examples: list[str] | None = None) -> None:
        mask = mask & self.keep
        count = int(mask.sum())
        if count:
            self.report.add(reason, count, "dropped", examples)
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
            out.append(f"{day} {where}: {column}={_num_text(self.values[column][i])}")
        return out
