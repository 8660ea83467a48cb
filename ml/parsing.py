"""Strings -> numbers and dates, vectorised with pyarrow.compute.

Numbers: decimal comma or point, thousands separators (',', '.', space, apostrophe), currency symbols and codes,
accounting negatives '(12.50)', trailing minus '12.50-'. Dates: a set of day-first, month-first and year-first
formats, Chinese 年月日, with or without a time of day. When every value reads both as day/month and month/day the
order is *ambiguous*: it is reported so the user can choose, never silently guessed.

Every function takes an Array or a ChunkedArray. Plain numbers and ISO dates (what most machine exports hold)
take a fast path of one cast each; regular expressions run only on values the fast path could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NUMBER_RE = r"^(\d+\.?\d*|\.\d+)(e-?\d+)?$"
# Currency codes and symbols-with-letters that may stand before or after an amount ('EUR 12.50', 'US$ 3').
_CURRENCY_CODES_RE = (
    r"USD|EUR|GBP|CNY|RMB|JPY|HKD|TWD|CHF|AUD|CAD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|INR|KRW|SGD|BRL|MXN|ZAR|RUB|TRY"
    r"|[A-Z]{1,2}\$"
)
# After removing currency codes: symbols/spaces, then digits with grouping marks, an optional exponent, then
# symbols/spaces again. RE2's \w is ASCII, so '€', '元', '(', '-' and spaces count as symbols; '1-2', '10:30',
# '2024-03-01' and 'P001' do not fit.
_NUMBER_SHAPE_RE = r"^[^\w]*\d[\d.,'\s\x{00a0}\x{202f}]*(?:[eE][-+\x{2212}]?\d+)?[^\w]*$"
_NEGATIVE_RE = r"^[^\d]*[-\x{2212}(]|[-\x{2212}][^\d]*$"
_TIME_SUFFIX_RE = r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}:?\d{2})?|\s*\d{1,2}[时時]\d{1,2}分(?:\d{1,2}秒)?)\s*$"

# Year-first and unambiguous formats.
_YEAR_FIRST = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"]
_DAY_FIRST = ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"]
_MONTH_FIRST = ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"]
_NAMED = ["%d %b %Y", "%b %d %Y", "%d-%b-%Y", "%d %B %Y", "%B %d %Y"]
_TWINS = {"%d/%m/%Y": "%m/%d/%Y", "%d-%m-%Y": "%m-%d-%Y", "%d/%m/%y": "%m/%d/%y"}
_TWINS.update({v: k for k, v in list(_TWINS.items())})

# Number-style evidence: a decimal separator followed by 1-2 or 4+ digits (three digits could be thousands),
# in a cell that is otherwise digits, grouping marks and currency.
_COMMA_DECIMAL = re.compile(r"^[^\d]*[\d.\s'\u00a0\u202f]*\d,(\d{1,2}|\d{4,})[^\d]*$")
_POINT_DECIMAL = re.compile(r"^[^\d]*[\d,\s'\u00a0\u202f]*\d\.(\d{1,2}|\d{4,})[^\d]*$")


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


def _strip(arr):
    return pc.utf8_trim_whitespace(arr)


def _as_string(arr):
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def _false(n: int) -> pa.Array:
    return pa.array(np.zeros(n, dtype=bool))


# ------------------------------------------------------------------------------------------------ numbers


def detect_number_style(samples: list[str]) -> NumberStyle:
    """Decimal comma when values like '12,5' or '1.234,56' outnumber those like '12.5' or '1,234.56'."""
    comma = point = 0
    for raw in samples:
        s = (raw or "").strip()
        if not s or len(s) > 40:
            continue
        if _COMMA_DECIMAL.match(s):
            comma += 1
        elif _POINT_DECIMAL.match(s):
            point += 1
    return NumberStyle(decimal="," if comma > point else ".")


def _finite(values, failed):
    """Infinite and NaN results ('inf', '1e999') count as unreadable."""
    bad = pc.invert(pc.is_finite(values))
    if not pc.any(bad).as_py():
        return values, failed
    null = pa.scalar(None, pa.float64())
    return pc.if_else(bad, null, values), pc.or_(failed, pc.fill_null(bad, False))


def parse_numbers(arr, style: NumberStyle):
    """(float64 values, mask of non-empty cells that did not parse); empty cells are null and not failed."""
    arr = _as_string(arr)
    fast = _cast_plain_numbers(arr, style)
    if fast is not None:
        return _finite(fast, _false_like(arr))
    s = _strip(arr)
    bare = pc.replace_substring_regex(s, _CURRENCY_CODES_RE, "")
    shaped = pc.fill_null(pc.match_substring_regex(bare, _NUMBER_SHAPE_RE), False)
    negative = pc.fill_null(pc.match_substring_regex(bare, _NEGATIVE_RE), False)
    # Keep an exponent only where it sits between digits ('1.5E+3').
    cleaned = pc.replace_substring_regex(bare, r"(\d)[eE]\+?(\d)", r"\1~\2")
    cleaned = pc.replace_substring_regex(cleaned, r"(\d)[eE][-\x{2212}](\d)", r"\1!\2")
    cleaned = pc.replace_substring_regex(cleaned, r"[^\d,.~!]", "")
    if style.decimal == ",":
        cleaned = pc.replace_substring(cleaned, ".", "")
        cleaned = pc.replace_substring(cleaned, ",", ".")
    else:
        cleaned = pc.replace_substring(cleaned, ",", "")
    cleaned = pc.replace_substring(pc.replace_substring(cleaned, "~", "e"), "!", "e-")
    valid = pc.and_(shaped, pc.fill_null(pc.match_substring_regex(cleaned, _NUMBER_RE), False))
    values = pc.cast(pc.if_else(valid, cleaned, pa.scalar(None, pa.string())), pa.float64())
    values = pc.if_else(negative, pc.negate(values), values)
    failed = pc.and_(pc.invert(valid), pc.fill_null(pc.not_equal(s, ""), False))
    return _finite(values, failed)


def _false_like(arr):
    if isinstance(arr, pa.ChunkedArray):
        return pa.chunked_array([_false(len(c)) for c in arr.chunks], pa.bool_())
    return _false(len(arr))


def _cast_plain_numbers(arr, style: NumberStyle):
    """One cast when every non-empty value is a plain number ('12', '-3.5'), else None."""
    try:
        if style.decimal == ".":
            return pc.cast(arr, pa.float64())
        # Decimal comma without any dots: '12,50' -> '12.50'. A dot would be a thousands mark: slow path.
        if pc.any(pc.match_substring(arr, ".")).as_py():
            return None
        return pc.cast(pc.replace_substring(arr, ",", "."), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


# ------------------------------------------------------------------------------------------------ dates


def _date_part(arr):
    return pc.replace_substring_regex(_strip(arr), _TIME_SUFFIX_RE, "")


def _parse_with(arr, fmt: str):
    return pc.strptime(arr, format=fmt, unit="s", error_is_null=True)


def _normalise_dates(arr):
    """Zero-pad single-digit day/month fields ('3/4/2024' -> '03/04/2024', '2024年3月1日' -> '2024年03月01日')
    and drop commas ('March 1, 2024')."""
    arr = pc.replace_substring(arr, ",", "")
    # RE2 has no look-ahead, so the separator after the digit is captured; two passes cover adjacent fields.
    for _ in range(2):
        arr = pc.replace_substring_regex(arr, r"(^|[/.\-年月 ])(\d)([/.\-月日 ]|$)", r"\10\2\3")
    return arr


def detect_date_style(samples) -> DateStyle:
    """The format reading the most sample values; ambiguous when day-first and month-first read them equally."""
    parts = _normalise_dates(_date_part(_as_string(samples)))
    non_null = pc.sum(pc.is_valid(parts)).as_py() or 0
    if non_null == 0:
        return DateStyle(None)
    scores: dict[str, int] = {}
    for fmt in _YEAR_FIRST + _DAY_FIRST + _MONTH_FIRST + _NAMED:
        scores[fmt] = pc.sum(pc.is_valid(_checked(parts, _parse_with(parts, fmt), fmt))).as_py() or 0
    best = max(scores, key=lambda f: scores[f])
    if scores[best] == 0:
        return DateStyle(None)
    twin = _TWINS.get(best)
    if twin and scores.get(twin, 0) == scores[best]:
        return DateStyle(best, ambiguous=True, alternative=twin)
    return DateStyle(best)


def date_parse_rate(samples) -> float:
    """Share of non-empty sample values that read as dates in the best format (for content-based mapping)."""
    samples = _as_string(samples)
    style = detect_date_style(samples)
    if style.format is None:
        return 0.0
    total = len(samples) - samples.null_count
    if not total:
        return 0.0
    _, failed = parse_dates(samples, style)
    return 1.0 - (pc.sum(failed).as_py() or 0) / total


def _checked(text: pa.Array, parsed: pa.Array, fmt: str) -> pa.Array:
    """Null out dates strptime rolled over ('2024-02-30' -> 1 March). Those come back as day 1-3 of a month and
    do not format back to their text, so only such days are checked. Named months are not rolled over."""
    if "%b" in fmt or "%B" in fmt:
        return parsed
    suspect = pc.fill_null(pc.less_equal(pc.day(parsed), 3), False)
    if not pc.any(suspect).as_py():
        return parsed
    idx = pc.indices_nonzero(suspect)
    rolled = pc.not_equal(pc.strftime(parsed.take(idx), format=fmt), text.take(idx))
    if not pc.any(rolled).as_py():
        return parsed
    mask = np.zeros(len(parsed), dtype=bool)
    mask[idx.filter(rolled).to_numpy()] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)


def parse_dates(arr, style: DateStyle):
    """(timestamp[s] values at day precision, mask of non-empty cells that did not parse)."""
    days, failed, _ = _parse_dates(arr, style, want_key=False)
    return days, failed


def parse_dates_keyed(arr, style: DateStyle):
    """Like ``parse_dates``, plus an int64 key per value that tells apart different moments of the same day
    (the timestamp where the fast path read one, else the text as written), so exact duplicate rows are found
    without throwing away the time of day."""
    return _parse_dates(arr, style, want_key=True)


def _parse_dates(arr, style: DateStyle, want_key: bool):
    arr = _as_string(arr)
    if style.format == "%Y-%m-%d":
        # Fast path: ISO dates and timestamps ('2024-03-01', '2024-03-01 10:22:33', '...T10:22:33.5') in one cast,
        # which also rejects impossible days such as 2024-02-30.
        try:
            moments = pc.cast(arr, pa.timestamp("ms"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            moments = None
        if moments is not None:
            days = pc.cast(pc.floor_temporal(moments, unit="day"), pa.timestamp("s"))
            key = None
            if want_key:
                key = pc.fill_null(moments.cast(pa.int64()), np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
            return days, _false_like(arr), key
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    key = _text_key(arr) if want_key else None
    if style.format is None:
        failed = pc.fill_null(pc.not_equal(_strip(arr), ""), False)
        return pa.nulls(len(arr), pa.timestamp("s")), failed, key
    values = _checked(arr, _parse_with(arr, style.format), style.format)
    retry = pc.and_(pc.is_null(values), pc.is_valid(arr))
    if pc.any(retry).as_py():
        # Times of day, unpadded fields, commas ('March 1, 2024'): normalise only the values that need it.
        idx = pc.indices_nonzero(retry)
        parts = _normalise_dates(_date_part(arr.take(idx)))
        fixed = _checked(parts, _parse_with(parts, style.format), style.format)
        values = pc.replace_with_mask(values, retry, fixed.cast(values.type))
    failed = pc.and_(pc.is_null(values), pc.fill_null(pc.not_equal(_strip(arr), ""), False))
    return values, pc.fill_null(failed, False), key


def _text_key(arr) -> np.ndarray:
    codes = pc.dictionary_encode(_strip(arr)).indices
    return pc.fill_null(codes.cast(pa.int64()), -1).to_numpy(zero_copy_only=False)
