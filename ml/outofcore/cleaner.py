"""``StreamCleaner``: ``ml.dataset.Cleaner`` fed batch by batch from a large file's record batches (typed columns
only, repeating texts dictionary-encoded), so the whole-table steps are the in-memory path's own code."""

from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml.dataset import (
    CATEGORICAL_COLUMNS,
    MAX_EXAMPLES,
    Cleaner,
)
from ml.dataset.convert import (
    _as_array,
    clean_text,
    encode_categorical,
    parse_flags,
    release_memory,
    to_numpy,
)
from ml.outofcore.source import (
    iter_batches,
)
from ml.outofcore.stored import DICTIONARY_TEXTS, StoredTotals
from ml.parsing import parse_dates_keyed, parse_numbers
from ml.schema import CANONICAL_COLUMNS, NUMERIC_COLUMNS, Col

_ISO = "%Y-%m-%d"


class _TextKeys(Exception):
    """A batch of ISO dates did not cast in one go: every batch must use text keys, as the in-memory path does."""



def _trim() -> None:
    """Arrow's and the C library's freed pages back to the system (numpy's temporaries, freed in the converting
    threads, otherwise stay in glibc's per-thread arenas and count in the parse's resident memory)."""
    release_memory()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------------------------------- reading



class StreamCleaner(Cleaner):
    """``Cleaner`` whose conversion step reads batches from the stream; every later step is the cleaner's own."""

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
        ``Cleaner._convert`` does (examples: the first rows over the whole upload)."""
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
                        jobs[name] = self.pool.submit(parse_flags, col)
                    elif name in CATEGORICAL_COLUMNS or name in DICTIONARY_TEXTS:
                        jobs[name] = self.pool.submit(encode_categorical, col)
                    elif name != Col.DATE:
                        jobs[name] = self.pool.submit(clean_text, col)
                for name, values in heads.items():
                    if len(values) < MAX_EXAMPLES:
                        values.extend(cols[name].drop_null().slice(0, MAX_EXAMPLES - len(values)).to_pylist())
                d, f, k = jobs.pop(Col.DATE).result()
                d_np = to_numpy(pc.fill_null(d.cast(pa.int64()), 0)) if d.null_count else to_numpy(d.cast(pa.int64()))
                f_np = to_numpy(f)
                m_np = to_numpy(pc.is_null(d)) & ~f_np
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
                        nums[name].append(to_numpy(values.cast(pa.float64())))
                        b = to_numpy(b) & keep
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
            return to_numpy(pc.fill_null(arr.indices, -1))
        from ml.outofcore.connection import connect_duckdb

        con = connect_duckdb(256, 2, keep_order=True)  # one hash per text, in the texts' order
        try:
            texts = pa.table({"t": arr})  # noqa: F841 - scanned by name below (zero copy)
            hashed = con.sql("SELECT hash(t) AS h FROM texts").to_arrow_table().column("h")
        finally:
            con.close()
        return hashed.to_numpy().view(np.int64)

    def _format_examples(self, found: list) -> list[str]:
        return [f"{self._locate(i)}: {v!r}" if v is not None else f"{self._locate(i)}: (empty)" for i, v in found]

    def finish(self) -> tuple[pa.Table, StoredTotals]:
        """The cleaner's remaining steps, then the cleaned table (the frame ``Cleaner._frame`` builds, as Arrow)."""
        steps = [self._drop_unusable, self._derive_measures, self._find_non_products, self._apply_returns_policy,
                 self._flag_outliers, self._flag_missing_customers]
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
