"""Strings -> numbers and dates, vectorised with pyarrow.compute.

Numbers: decimal comma or point, thousands separators (',', '.', space, apostrophe), currency symbols, accounting
negatives '(12.50)'. Dates: a set of day-first, month-first and year-first formats, Chinese 年月日, with or without
a time of day. When every value reads both as day/month and month/day the order is *ambiguous*: it is reported so
the user can choose, never silently guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NUMBER_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_TIME_SUFFIX_RE = r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|[+-]\d{2}:?\d{2})?|\s+\d{1,2}时\d{1,2}分(?:\d{1,2}秒)?)\s*$"

# Year-first and unambiguous formats.
_YEAR_FIRST = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"]
_DAY_FIRST = ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"]
_MONTH_FIRST = ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"]
_NAMED = ["%d %b %Y", "%b %d %Y", "%d-%b-%Y", "%d %B %Y", "%B %d %Y"]


@dataclass
class NumberStyle:
    decimal: str = "."  # '.' or ','

    @property
    def label(self) -> str:
        return "decimal comma" if self.decimal == "," else "decimal point"


@dataclass
class DateStyle:
    format: str | None  # strptime format of the date part
    ambiguous: bool = False  # True when day/month order could not be told from the data
    alternative: str | None = None  # the other reading when ambiguous

    @property
    def day_first(self) -> bool | None:
        if self.format is None:
            return None
        if self.format in _DAY_FIRST:
            return True
        if self.format in _MONTH_FIRST:
            return False
        return None


def describe_date_format(fmt: str | None) -> str:
    """'%d/%m/%Y' -> 'DD/MM/YYYY', for messages to people."""
    if not fmt:
        return "?"
    for code, text in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%B", "Month"), ("%b", "Mon")):
        fmt = fmt.replace(code, text)
    return fmt


def _strip(arr: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(arr)


def detect_number_style(samples: list[str]) -> NumberStyle:
    """Decimal comma when values like '12,5' or '1.234,56' dominate those like '12.5' or '1,234.56'."""
    comma = point = 0
    for raw in samples:
        s = re.sub(r"[^\d,.\-]", "", raw or "")
        if re.search(r"\d,\d{1,2}$|\d,\d{4,}$|\.\d{3},\d+$", s):
            comma += 1
        elif re.search(r"\d\.\d{1,2}$|\d\.\d{4,}$|,\d{3}\.\d+$", s):
            point += 1
    return NumberStyle(decimal="," if comma > point else ".")


def parse_numbers(arr: pa.Array, style: NumberStyle) -> tuple[pa.Array, pa.Array]:
    """(float64 values, mask of non-empty cells that did not parse)."""
    arr = _strip(arr.cast(pa.string()))
    # Fast path: plain numbers (most exports).
    try:
        if style.decimal == ".":
            return pc.cast(arr, pa.float64()), pa.array(np.zeros(len(arr), dtype=bool))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    negative = pc.match_substring_regex(arr, r"^\(.*\)$|^-|-$")
    cleaned = pc.replace_substring_regex(arr, r"[^\d,.eE+]", "")
    if style.decimal == ",":
        cleaned = pc.replace_substring(cleaned, ".", "")
        cleaned = pc.replace_substring(cleaned, ",", ".")
    else:
        cleaned = pc.replace_substring(cleaned, ",", "")
    valid = pc.match_substring_regex(cleaned, _NUMBER_RE)
    valid = pc.and_kleene(valid, pc.match_substring_regex(arr, r"\d"))
    values = pc.cast(pc.if_else(valid, cleaned, pa.scalar(None, pa.string())), pa.float64())
    values = pc.if_else(pc.fill_null(negative, False), pc.negate(values), values)
    failed = pc.and_(pc.is_valid(arr), pc.invert(pc.fill_null(valid, False)))
    failed = pc.and_(failed, pc.not_equal(arr, ""))
    return values, pc.fill_null(failed, False)


def _date_part(arr: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(_strip(arr), _TIME_SUFFIX_RE, "")


def _parse_with(arr: pa.Array, fmt: str) -> pa.Array:
    # pyarrow's strptime wants zero-padded fields; pad lone digits between separators first.
    return pc.strptime(arr, format=fmt, unit="s", error_is_null=True)


def _normalise_dates(arr: pa.Array) -> pa.Array:
    """Zero-pad single-digit day/month fields ('3/4/2024' -> '03/04/2024', '2024年3月1日' -> '2024年03月01日')."""
    # RE2 has no look-ahead, so the separator after the digit is captured; two passes cover adjacent fields.
    for _ in range(2):
        arr = pc.replace_substring_regex(arr, r"(^|[/.\-年月])(\d)([/.\-月日]|$)", r"\10\2\3")
    return pc.replace_substring_regex(arr, r",", "")


def detect_date_style(samples: pa.Array) -> DateStyle:
    """The format reading the most sample values; ambiguous when day-first and month-first read them equally."""
    parts = _normalise_dates(_date_part(samples.cast(pa.string())))
    non_null = pc.sum(pc.is_valid(parts)).as_py() or 0
    if non_null == 0:
        return DateStyle(None)
    scores: dict[str, int] = {}
    for fmt in _YEAR_FIRST + _DAY_FIRST + _MONTH_FIRST + _NAMED:
        scores[fmt] = pc.sum(pc.is_valid(_parse_with(parts, fmt))).as_py() or 0
    best = max(scores, key=lambda f: scores[f])
    if scores[best] == 0:
        return DateStyle(None)
    if best in _DAY_FIRST or best in _MONTH_FIRST:
        twin = _twin(best)
        if twin and scores.get(twin, 0) == scores[best]:
            return DateStyle(best, ambiguous=True, alternative=twin)
    return DateStyle(best)


def _twin(fmt: str) -> str | None:
    pairs = {"%d/%m/%Y": "%m/%d/%Y", "%d-%m-%Y": "%m-%d-%Y", "%d/%m/%y": "%m/%d/%y"}
    pairs.update({v: k for k, v in pairs.items()})
    return pairs.get(fmt)


def date_parse_rate(samples: pa.Array) -> float:
    """Share of non-empty sample values that read as dates in the best format (for content-based mapping)."""
    style = detect_date_style(samples)
    if style.format is None:
        return 0.0
    parts = _normalise_dates(_date_part(samples.cast(pa.string())))
    ok = pc.sum(pc.is_valid(_parse_with(parts, style.format))).as_py() or 0
    total = pc.sum(pc.is_valid(parts)).as_py() or 0
    return ok / total if total else 0.0


def parse_dates(arr: pa.Array, style: DateStyle) -> tuple[pa.Array, pa.Array]:
    """(timestamp[s] values at day precision, mask of non-empty cells that did not parse)."""
    arr = arr.cast(pa.string())
    if style.format is None:
        failed = pc.fill_null(pc.is_valid(arr), False)
        return pa.nulls(len(arr), pa.timestamp("s")), failed
    # Fast path for ISO timestamps (the common machine export).
    parts = _date_part(arr)
    values = _parse_with(parts, style.format)
    missing = pc.and_(pc.is_null(values), pc.is_valid(parts))
    if pc.any(missing).as_py():
        retry = _parse_with(_normalise_dates(parts), style.format)
        values = pc.coalesce(values, retry)
    failed = pc.and_(pc.is_null(values), pc.fill_null(pc.not_equal(_strip(arr), ""), False))
    return values, pc.fill_null(failed, False)
