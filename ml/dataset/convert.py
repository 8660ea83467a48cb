"""Column kernels of the cleaner: raw string columns to typed arrays (categories, trimmed text, flags), Arrow to
numpy, and the 64-bit hash round the duplicate check uses. Pure functions over whole columns; pyarrow releases the
GIL, so the cleaner runs them in parallel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_TRUE_WORDS = {"1", "true", "yes", "y", "t", "x", "是", "有", "促销", "on"}
_MAX_STRING_BYTES = 2**31 - 1  # 32-bit string offsets: more text than this needs large_string


def to_numpy(arr) -> np.ndarray:
    """Arrow boolean/numeric array -> numpy (nulls: False for booleans, NaN for floats)."""
    if arr.null_count:
        if pa.types.is_boolean(arr.type):
            arr = pc.fill_null(arr, False)
        elif pa.types.is_floating(arr.type):
            arr = pc.fill_null(arr, np.nan)
    return arr.to_numpy(zero_copy_only=False)


def encode_categorical(col) -> pa.DictionaryArray:
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


def clean_text(col) -> pa.Array:
    """Trimmed text, blank -> null."""
    col = _as_array(col)
    trimmed = pc.utf8_trim_whitespace(col)
    blank = pc.equal(trimmed, "")
    if pc.any(blank).as_py():
        trimmed = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)
    return trimmed


def parse_flags(col) -> np.ndarray:
    """Yes/no text (``1``, ``yes``, ``是``, ``促销``, any non-zero number...) as booleans; anything else is False."""
    text = pc.utf8_lower(pc.utf8_trim_whitespace(_as_array(col)))
    numeric = pd.to_numeric(text.to_pandas(), errors="coerce")
    flags = numeric.fillna(0).ne(0).to_numpy() | to_numpy(pc.is_in(text, value_set=pa.array(sorted(_TRUE_WORDS))))
    return flags.astype(bool)


def release_memory() -> None:
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


def number_text(value: float) -> str:
    """A number as an example quotes it: ``3`` rather than ``3.0``."""
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def mix(h: np.ndarray, key: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """One round of a 64-bit hash over whole columns (splitmix64's finaliser), in place; ``scratch``: a uint64
    array as long as ``h`` to work in (saves two allocations per round)."""
    if scratch is None:
        scratch = np.empty_like(h)
    if key.dtype == np.uint64 or key.dtype == np.int64:
        h ^= key.view(np.uint64)
    else:
        scratch[:] = key  # sign-extended, as int64 keys are
        h ^= scratch
    h *= np.uint64(0xBF58476D1CE4E5B9)
    np.right_shift(h, np.uint64(31), out=scratch)
    h ^= scratch
    return h
