"""Large files -> the cleaned dataset as Parquet on disk, with the same report and control totals as
``ml.dataset.load_dataset``, without ever holding the file's text in memory.

The file is read three times as a stream of record batches (``ml.outofcore.source``): once to count its lines, once
to take the same evenly spread sample the in-memory path detects on, and once to convert each batch with the same
functions (``ml.parsing``, the cleaner's encoders). Only the typed columns are kept (numbers, day numbers, category
codes, the text columns), never the raw text: a 1 GB export needs a few hundred MB instead of ~7x its size. The
checks that look at every row at once (duplicates, non-products, returns, outliers) are ``ml.dataset._Cleaner``'s
own steps on those arrays, so the answer is the same row for row; the result is written to Parquet with pyarrow
and its totals summed the way ``Dataset.control_totals`` sums them.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ml.currency import detect_currency
from ml.dataset import (
    CATEGORICAL_COLUMNS,
    MAX_EXAMPLES,
    SAMPLE_ROWS,
    CleaningOptions,
    Dataset,
    Problem,
    ValidationReport,
    _as_array,
    _choose_date_style,
    _clean_text,
    _Cleaner,
    _encode_categorical,
    _np,
    _parse_flags,
    _refuse_empty,
    _release_memory,
)
from ml.limits import LIMITS, IngestLimits
from ml.mapping import apply_overrides, propose_mapping
from ml.outofcore.source import (
    BLOCK_BYTES,
    Inflater,
    NotUtf8,
    TextSource,
    describe_text,
    iter_batches,
    to_utf8,
)
from ml.parsing import detect_number_style, parse_dates_keyed, parse_numbers
from ml.schema import CANONICAL_COLUMNS, NUMERIC_COLUMNS, Col, DataError

_WORKERS = max(1, min(4, os.cpu_count() or 1))
_ISO = "%Y-%m-%d"
# Text columns held dictionary-encoded (a description or a customer repeats on many lines; the cleaner's steps read
# them through take, is_null, dictionary codes and to_pandas, which give the same answers on either form). Order ids
# are mostly unique and are tested with starts_with: plain text.
DICTIONARY_TEXTS = frozenset({Col.CUSTOMER_ID, Col.DESCRIPTION})
ROW_GROUP = 1_000_000


class _TextKeys(Exception):
    """A batch of ISO dates did not cast in one go: every batch must use text keys, as the in-memory path does."""


@dataclass
class StoredTotals:
    rows: int
    total_quantity: float | None
    total_revenue: float | None
    date_min: pd.Timestamp
    date_max: pd.Timestamp


class StoredDataset(Dataset):
    """A ``Dataset`` whose cleaned frame lives in a Parquet file and is read only when asked for."""

    def __init__(self, *, path: Path | None, totals: StoredTotals, **fields) -> None:
        self.__dict__.update(fields)
        self.path = path
        self.totals = totals

    @cached_property
    def frame(self) -> pd.DataFrame:  # type: ignore[override]
        if self.path is None:
            raise DataError("ingest.error.parse_failed", code=0)
        return pq.read_table(self.path).to_pandas()

    @property
    def date_min(self) -> pd.Timestamp:
        return self.totals.date_min

    @property
    def date_max(self) -> pd.Timestamp:
        return self.totals.date_max

    def has(self, column: str) -> bool:
        if "frame" in self.__dict__ or self.path is None:
            return column in self.frame.columns if "frame" in self.__dict__ else False
        return column in pq.read_schema(self.path).names

    def control_totals(self) -> dict:
        t = self.totals
        return {"total_quantity": t.total_quantity, "total_revenue": t.total_revenue,
                "date_min": t.date_min.date().isoformat(), "date_max": t.date_max.date().isoformat()}

    def write_frame(self, target: Path) -> None:
        """The cleaned Parquet copied to ``target`` (how ``Workspace.save_dataset`` stores it)."""
        if self.path is None:
            raise DataError("ingest.error.parse_failed", code=0)
        shutil.copyfile(self.path, target)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("frame", None)  # sent between processes without the frame
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


def _trim() -> None:
    """Arrow's and the C library's freed pages back to the system (numpy's temporaries, freed in the converting
    threads, otherwise stay in glibc's per-thread arenas and count in the parse's resident memory)."""
    _release_memory()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------------------------------- reading


def _fingerprint(paths: list[Path], names: list[str]):
    digest = hashlib.sha256()
    for path, name in zip(paths, names, strict=True):
        digest.update(name.encode())
        digest.update(path.stat().st_size.to_bytes(8, "little"))
        with open(path, "rb") as fh:
            while chunk := fh.read(4 * 2**20):
                digest.update(chunk)
    return digest


def open_sources(paths: list[Path], names: list[str], limits: IngestLimits, encoding: str | None,
                 workdir: Path, legacy: frozenset[str] = frozenset()) -> list[TextSource]:
    if not paths:
        raise DataError("ingest.error.no_files")
    if len(paths) > limits.max_files:
        raise DataError("ingest.error.too_many_files", count=len(paths), limit=limits.max_files)
    inflater = Inflater(workdir, limits)
    sources = []
    for path, name in zip(paths, names, strict=True):
        for inner, plain, compression in inflater.expand(name, path):
            text, offset, enc = to_utf8(inner, plain, workdir, encoding, inner in legacy)
            source = describe_text(inner, text, offset, enc, limits)
            source.format.compression = compression
            sources.append(source)
    return sources


def _count_rows(source: TextSource) -> int:
    return sum(b.num_rows for b in iter_batches(source, columns=source.columns[:1]))


def _sample(source: TextSource, rows: int, n: int = SAMPLE_ROWS) -> dict[str, pa.Array]:
    """``ml.dataset.sample_columns`` of the first table, gathered from the stream."""
    want = None
    if rows > n:
        want = np.unique(np.r_[np.arange(n // 2), np.linspace(0, rows - 1, n // 2).astype(np.int64)])
    parts, offset = [], 0
    for batch in iter_batches(source):
        if want is None:
            parts.append(batch)
        else:
            local = want[(want >= offset) & (want < offset + batch.num_rows)] - offset
            if len(local):
                parts.append(batch.take(pa.array(local)))
        offset += batch.num_rows
    table = pa.Table.from_batches(parts, schema=pa.schema([(c, pa.string()) for c in source.columns]))
    return {name: table.column(name).combine_chunks() for name in table.column_names}


def load_large_dataset(paths: list[str | Path], mapping_overrides: dict[str, str | None] | None = None,
                       options: CleaningOptions | None = None, limits: IngestLimits = LIMITS,
                       name: str | None = None, output: str | Path | None = None,
                       names: list[str] | None = None, block_bytes: int | None = None,
                       workdir: str | Path | None = None) -> StoredDataset:
    """``load_dataset`` for files on disk, streamed: the cleaned frame is written to ``output`` (Parquet) when
    given. ``names``: the files' names as the user knows them (default: their base names). ``workdir``: where
    archives are unpacked (default: a temporary folder removed afterwards; a caller that may kill this process
    passes its own and removes it)."""
    options = options or CleaningOptions()
    paths = [Path(p) for p in paths]
    names = list(names) if names is not None else [p.name for p in paths]
    legacy: frozenset[str] = frozenset()
    with tempfile.TemporaryDirectory(prefix="saleslens-import-", dir=workdir) as work:
        for _attempt in range(3):
            try:
                sources = open_sources(paths, names, limits, options.encoding, Path(work), legacy)
                return _load(sources, paths, names, mapping_overrides, options, limits, name, output, block_bytes)
            except NotUtf8 as exc:
                if options.encoding is not None:
                    raise DataError("ingest.error.wrong_encoding", name=names[0], encoding=options.encoding) from exc
                bad = str(exc.args[1]) if len(exc.args) > 1 else None
                legacy = legacy | ({bad} if bad else set(names))
        raise DataError("ingest.error.unparseable", name=names[0])


def _load(sources, paths, names, mapping_overrides, options, limits, name, output, block_bytes) -> StoredDataset:
    block = block_bytes or BLOCK_BYTES
    first = sources[0]
    try:
        rows = _count_rows(first)
        total = rows
        for source in sources[1:]:  # every file's lines, before any is converted: a refusal costs one read
            if total > limits.max_rows:
                break
            total += _count_rows(source)
        if total > limits.max_rows:
            raise DataError("ingest.error.too_many_rows", name=names[0], limit=limits.max_rows)
        samples = _sample(first, rows)
    except NotUtf8 as exc:
        raise NotUtf8(str(exc), first.format.name) from exc
    all_values = [v for arr in samples.values() for v in arr.drop_null().slice(0, 300).to_pylist()]
    style = detect_number_style([str(v) for v in all_values])
    proposal = propose_mapping(samples, style).mapping
    mapping = apply_overrides(proposal, mapping_overrides or {}, first.columns)
    if not mapping.has(Col.DATE):
        raise DataError("ingest.error.no_date", columns=", ".join(first.columns[:12]))
    if not (mapping.has(Col.QUANTITY) or mapping.has(Col.REVENUE)):
        raise DataError("ingest.error.no_measure", columns=", ".join(first.columns[:12]))
    for source in sources:
        missing = [src for src in mapping.columns.values() if src not in source.columns]
        if missing:
            raise DataError("ingest.error.columns_differ", name=source.format.name, first=first.format.name,
                            missing=", ".join(missing))
    report = ValidationReport(formats=[s.format for s in sources], number_style=style.decimal)
    report.returns_policy = options.returns
    money = [v for c in (Col.UNIT_PRICE, Col.REVENUE, Col.UNIT_COST) if mapping.has(c)
             for v in samples[mapping.columns[c]].drop_null().to_pylist()]
    regions = samples[mapping.columns[Col.REGION]].to_pylist() if mapping.has(Col.REGION) else None
    report.currency = detect_currency(money, regions)
    date_style = _choose_date_style(samples[mapping.columns[Col.DATE]], options.day_first)
    report.date_format = date_style.format
    report.date_ambiguous = date_style.ambiguous
    report.date_alternative = date_style.alternative
    del samples

    with ThreadPoolExecutor(_WORKERS) as pool:
        hashing = pool.submit(_fingerprint, paths, names)
        cleaner = None
        for text_keys in (date_style.format != _ISO, True):
            try:
                cleaner = StreamCleaner(sources, mapping, date_style, style, options, report, pool, block,
                                        text_keys=text_keys)
                cleaner.convert()
                break
            except _TextKeys:
                report.formats = [s.format for s in sources]
                continue
            except NotUtf8 as exc:
                raise NotUtf8(str(exc), cleaner.current if cleaner else first.format.name) from exc
        report.rows_read = cleaner.n + sum(s.format.malformed_rows for s in sources)
        malformed = sum(s.format.malformed_rows for s in sources)
        short = sum(s.format.short_rows for s in sources)
        # The in-memory path reports the malformed lines before the cleaning steps: keep that order.
        head = []
        if malformed - short:
            head.append(("malformed_rows", malformed - short))
        if short:
            head.append(("short_rows", short))
        table, totals = cleaner.finish()
        report.problems[:0] = [Problem(r, int(c), "dropped") for r, c in head]
        report.rows_kept = totals.rows
        _refuse_empty(report, mapping, cleaner.heads, first.format.name)
        digest = hashing.result()
    if output is not None:
        write_parquet(table, Path(output))
    del table
    digest.update(repr(sorted(mapping.columns.items())).encode())
    digest.update(repr((str(options.returns), options.day_first, options.drop_duplicates)).encode())
    if options.keep_non_products:
        digest.update(b"keep_non_products")
    return StoredDataset(
        path=Path(output) if output is not None else None, totals=totals,
        name=name or (names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1})"),
        mapping=mapping, report=report, source_columns=first.columns, fingerprint=digest.hexdigest()[:32],
        options=options,
    )


# ---------------------------------------------------------------------------------------------------- cleaning


class StreamCleaner(_Cleaner):
    """``_Cleaner`` whose conversion step reads batches from the stream; every later step is the cleaner's own."""

    def __init__(self, sources, mapping, date_style, number_style, options, report, pool, block, text_keys):
        super().__init__(pa.table({}), date_style, number_style, options, report, [], pool)
        self.sources = sources
        self.mapping = mapping
        self.block = block
        self.text_keys = text_keys
        self.current = sources[0].format.name
        self._key_codes: dict[str, int] = {}
        self.heads: dict[str, list] = {}

    def _date_batch(self, arr: pa.Array):
        if not self.text_keys:
            try:
                moments = pc.cast(arr, pa.timestamp("ms"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise _TextKeys() from None
            days = pc.cast(pc.floor_temporal(moments, unit="day"), pa.timestamp("s"))
            key = pc.fill_null(moments.cast(pa.int64()), np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
            return days, pa.array(np.zeros(len(arr), dtype=bool)), key
        days, failed, _ = parse_dates_keyed(arr, self.date_style)
        return days, failed, self._global_text_key(arr)

    def _global_text_key(self, arr: pa.Array) -> np.ndarray:
        """Codes of the trimmed text that are the same across batches (the in-memory path codes the whole column)."""
        enc = pc.dictionary_encode(pc.utf8_trim_whitespace(arr))
        codes = self._key_codes
        lookup = np.array([codes.setdefault(v, len(codes)) for v in enc.dictionary.to_pylist()] or [0],
                          dtype=np.int64)
        idx = pc.fill_null(enc.indices.cast(pa.int64()), -1).to_numpy(zero_copy_only=False)
        return np.where(idx >= 0, lookup[np.maximum(idx, 0)], -1)

    def convert(self) -> None:
        """The columns of every batch to their types; the unreadable values are counted and quoted as
        ``_Cleaner._convert`` does (examples: the first rows over the whole upload)."""
        names = list(self.mapping.columns.keys())
        sources_cols = list(self.mapping.columns.values())
        days, failed, missing, keys = [], [], [], []
        nums: dict[str, list] = {c: [] for c in names if c in NUMERIC_COLUMNS}
        bad: dict[str, list] = {c: [] for c in nums}
        parts: dict[str, list] = {c: [] for c in names if c != Col.DATE and c not in NUMERIC_COLUMNS}
        examples: dict[str, list] = {c: [] for c in [Col.DATE, "_missing", *nums]}
        heads = {c: [] for c in (Col.DATE, Col.QUANTITY, Col.REVENUE) if c in names}
        offset = 0
        for source in self.sources:
            self.current = source.format.name
            counts: dict = {}
            before = offset
            for batch in iter_batches(source, sources_cols, counts, self.block):
                cols = dict(zip(names, batch.columns, strict=True))
                n = batch.num_rows
                jobs = {Col.DATE: self.pool.submit(self._date_batch, cols[Col.DATE])}
                for name, col in cols.items():
                    if name in nums:
                        jobs[name] = self.pool.submit(parse_numbers, col, self.number_style)
                    elif name == Col.PROMO:
                        jobs[name] = self.pool.submit(_parse_flags, col)
                    elif name in CATEGORICAL_COLUMNS or name in DICTIONARY_TEXTS:
                        jobs[name] = self.pool.submit(_encode_categorical, col)
                    elif name != Col.DATE:
                        jobs[name] = self.pool.submit(_clean_text, col)
                for name, values in heads.items():
                    if len(values) < MAX_EXAMPLES:
                        values.extend(cols[name].drop_null().slice(0, MAX_EXAMPLES - len(values)).to_pylist())
                d, f, k = jobs.pop(Col.DATE).result()
                d_np = _np(pc.fill_null(d.cast(pa.int64()), 0)) if d.null_count else _np(d.cast(pa.int64()))
                f_np = _np(f)
                m_np = _np(pc.is_null(d)) & ~f_np
                days.append(d_np)
                failed.append(f_np)
                missing.append(m_np)
                dated = ~f_np & ~m_np
                plain_days = not self.text_keys and bool((k[dated] == d_np[dated] * 1000).all())
                keys.append(None if plain_days else k)  # None: dates without a time, the key is the day (below)
                _collect(examples[Col.DATE], f_np, offset, cols[Col.DATE])
                _collect(examples["_missing"], m_np, offset, None)
                keep = ~f_np & ~m_np
                for name, job in jobs.items():
                    result = job.result()
                    if name in nums:
                        values, b = result
                        nums[name].append(_np(values.cast(pa.float64())))
                        b = _np(b) & keep
                        bad[name].append(b)
                        _collect(examples[name], b, offset, cols[name])
                    else:
                        parts[name].append(result)
                offset += n
                _trim()
            source.format.malformed_rows = counts["rows"]
            source.format.short_rows = counts["short"]
            self.origin.append((source.format.name, offset - before))
        self.n = offset
        self.keep = np.ones(self.n, dtype=bool)
        self.days = _cat(days, np.int64)
        if all(k is None for k in keys):
            # Only rows with a date are compared as duplicates, and for them the key is the day in ms: the day
            # numbers tell the same rows apart, without a second array as long as the file.
            self.date_key = self.days
        else:
            self.date_key = _cat([d * 1000 if k is None else k for d, k in zip(days, keys, strict=True)], np.int64)
        failed_all, missing_all = _cat(failed, bool), _cat(missing, bool)
        self.heads = heads
        self._drop("bad_date", failed_all, examples=self._format_examples(examples[Col.DATE]))
        self._drop("missing_date", missing_all, examples=self._format_examples(examples["_missing"]))
        del failed_all, missing_all
        for name in names:
            if name == Col.DATE:
                continue
            if name in nums:
                self.values[name] = _cat(nums.pop(name), np.float64)
                b = _cat(bad.pop(name), bool) & self.keep
                ex = self._format_examples(examples[name])
                if name == Col.QUANTITY:
                    self._drop("bad_quantity", b, examples=ex)
                else:
                    self.report.add(f"bad_{name}", int(b.sum()), "changed", ex)
            elif name == Col.PROMO:
                self.flags[name] = _cat(parts.pop(name), bool)
            elif name in CATEGORICAL_COLUMNS:
                self.cats[name] = _combine_dictionaries(parts.pop(name))
            elif name in DICTIONARY_TEXTS:
                self.texts[name] = _combine_dictionaries(parts.pop(name))
            else:
                self.texts[name] = _as_array(pa.chunked_array(parts.pop(name), pa.string()))
        if Col.PRODUCT_ID not in self.cats and Col.PRODUCT_NAME in self.cats:
            self.cats[Col.PRODUCT_ID] = self.cats[Col.PRODUCT_NAME]
            self.product_from_name = True
        else:
            self.product_from_name = False
        _trim()

    def _text_key(self, arr) -> np.ndarray:
        """DuckDB's 64-bit hash of each plain text (order ids: millions of distinct values, whose dictionary would
        cost several times the column); equal texts, equal keys, which is all the duplicate search needs."""
        if pa.types.is_dictionary(arr.type):
            return _np(pc.fill_null(arr.indices, -1))
        import duckdb

        con = duckdb.connect(config={"threads": 2, "memory_limit": "256MB"})
        try:
            texts = pa.table({"t": arr})  # noqa: F841 - scanned by name below (zero copy)
            hashed = con.sql("SELECT hash(t) AS h FROM texts").to_arrow_table().column("h")
        finally:
            con.close()
        return hashed.to_numpy().view(np.int64)

    def _format_examples(self, found: list) -> list[str]:
        return [f"{self._locate(i)}: {v!r}" if v is not None else f"{self._locate(i)}: (empty)" for i, v in found]

    def finish(self) -> tuple[pa.Table, StoredTotals]:
        """The cleaner's remaining steps, then the cleaned table (the frame ``_Cleaner._frame`` builds, as Arrow)."""
        steps = [self._drop_unusable, self._derive_measures, self._find_non_products, self._apply_returns_policy,
                 self._flag]
        if self.options.drop_duplicates:
            steps.insert(2, self._drop_duplicates)
        for step in steps:
            step()
            _trim()  # each step's temporaries go before the next one's
        return self._table()

    def _table(self) -> tuple[pa.Table, StoredTotals]:
        take = None if self.keep.all() else np.flatnonzero(self.keep)
        days = self.days if take is None else self.days[take]
        if len(days) > 1 and (np.diff(days) < 0).any():
            order = np.argsort(days, kind="stable")
            take = order if take is None else take[order]
            days = days[order]
        idx = None if take is None else pa.array(take)
        columns: dict[str, pa.Array] = {Col.DATE: pa.array(days.astype("datetime64[s]").astype("datetime64[ns]"))}
        totals = {}
        for name in list(self.values):
            values = self.values.pop(name)
            values = values if take is None else values[take]
            if name in (Col.QUANTITY, Col.REVENUE):
                totals[name] = float(pd.Series(values, copy=False).sum())
            columns[name] = pa.array(values)
        for store in (self.cats, self.texts):
            for name in list(store):
                arr = store.pop(name)
                columns[name] = arr if idx is None else arr.take(idx)
        for name in list(self.flags):
            flags = self.flags.pop(name)
            columns[name] = pa.array(flags if take is None else flags[take])
        order = [c for c in CANONICAL_COLUMNS if c in columns]
        table = pa.table({c: columns[c] for c in order})
        first = pd.Timestamp(days[0], unit="s") if len(days) else pd.NaT
        last = pd.Timestamp(days[-1], unit="s") if len(days) else pd.NaT
        return table, StoredTotals(rows=len(days), total_quantity=totals.get(Col.QUANTITY),
                                   total_revenue=totals.get(Col.REVENUE), date_min=first, date_max=last)


def write_parquet(table: pa.Table, path: Path) -> None:
    """The cleaned table as Parquet, row group by row group: text held as a dictionary is written as plain text
    (the frame's schema), one row group decoded at a time."""
    schema = pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) and
                        f.name in DICTIONARY_TEXTS else f for f in table.schema])
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for start in range(0, max(table.num_rows, 1), ROW_GROUP):
            part = table.slice(start, ROW_GROUP)
            writer.write_table(pa.table([c.cast(f.type) for c, f in zip(part.columns, schema, strict=True)],
                                        schema=schema))


def _collect(found: list, mask: np.ndarray, offset: int, source: pa.Array | None) -> None:
    if len(found) >= MAX_EXAMPLES or not mask.any():
        return
    for i in np.flatnonzero(mask)[: MAX_EXAMPLES - len(found)].tolist():
        found.append((offset + i, source[i].as_py() if source is not None else None))


def _cat(parts: list, dtype) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _combine_dictionaries(chunks: list[pa.DictionaryArray]) -> pa.DictionaryArray:
    """One dictionary array over the batches, the dictionary in order of first appearance (as one encoding of the
    whole column would give)."""
    if not chunks:
        return pa.array([], pa.string()).dictionary_encode()
    if len(chunks) == 1:
        return chunks[0]
    unified = pa.chunked_array(chunks).unify_dictionaries()
    dictionary = unified.chunk(0).dictionary
    indices = pa.concat_arrays([c.indices for c in unified.chunks])
    return pa.DictionaryArray.from_arrays(indices, dictionary)
