"""How the DuckDB path reads a plain export (``ml.outofcore.sqlclean``): whether the file's layout lets DuckDB's
CSV reader see it as ``ml.ingest`` does, its lines counted and sampled as the batch path samples them, and the SQL
that reads it typed, trimmed and with the cleaner's row-local checks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from ml.dataset import SAMPLE_ROWS
from ml.ingest.text import NULL_VALUES
from ml.schema import CANONICAL_COLUMNS, Col

ISO_DAY = "%Y-%m-%d"
# What pyarrow's utf8_trim_whitespace trims (measured over U+0000..U+3000), for DuckDB's trim().
_WHITESPACE = "".join(map(chr, [0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
                                *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))
NUMBER_COLUMNS = (Col.QUANTITY, Col.UNIT_PRICE, Col.REVENUE, Col.UNIT_COST)
TEXT_COLUMNS = (Col.PRODUCT_ID, Col.CATEGORY, Col.REGION, Col.ORDER_ID, Col.CUSTOMER_ID, Col.DESCRIPTION)
DICTIONARY_COLUMNS = (Col.PRODUCT_ID, Col.CATEGORY, Col.REGION)  # held as categories in the frame
_CHUNK = 16 * 2**20
MOMENT = "_moment"  # the day with its time of day, when the file has times (repeated rows are compared by it)
_ISO_MOMENT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}( ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?"
# Numbers DuckDB's cast and ``ml.parsing.parse_numbers`` read alike once the grouping marks are gone (anything else,
# e.g. '1 234,5', '€12', '(3)', '1e5' with a decimal comma, sends the file to the batches):
_GROUPED_POINT = r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?"  # '1,234.5' (decimal point; plain numbers: TRY_CAST)
_COMMA_DECIMAL = r"-?[0-9]+(,[0-9]+)?|-?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?"  # '12,5', '-1.234,50' (decimal comma)


class Ineligible(Exception):
    """The file needs the batch path (a layout or value DuckDB would read differently)."""


def sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ------------------------------------------------------------------------------------------------ layout


def sql_readable(source) -> bool:
    """Whether DuckDB's reader can take the file's layout. Any encoding: ``source.path`` is UTF-8 (a file in another
    encoding was transcoded into the work folder by ``ml.outofcore.source.to_utf8``, chunk by chunk). Title and footer
    lines are not taken (the batch path drops them as the in-memory path does)."""
    fmt = source.format
    if fmt.skipped_title_lines or fmt.skipped_footer_lines:
        return False
    if len(fmt.delimiter) != 1 or fmt.delimiter in "\r\n\"' ":
        return False
    if source.end != source.path.stat().st_size:
        return False
    with open(source.path, "rb") as fh:
        first = fh.readline()
    return len(first) == source.start and first.endswith(b"\n")


def count_lines(source) -> int:
    """Data lines of the file, one per newline (a quoted value holding a newline makes DuckDB read fewer rows than
    this, and the caller then gives the file to the batches); an empty line means the batch path, and so does a
    quote that is not where well-formed CSV puts it (``_well_quoted``)."""
    lines, last, tail = 0, b"\n", b"\n"  # a first data line that is empty counts as an empty line
    quoted = ord(source.format.delimiter) if source.newlines_in_values else 0  # the file has a '"'
    rest = b""  # the quoted file's last partial line, checked with the next chunk
    with open(source.path, "rb") as fh:
        fh.seek(source.start)
        while chunk := fh.read(_CHUNK):
            edge = tail + chunk[:2]
            if b"\n\n" in chunk or b"\n\r\n" in chunk or b"\n\n" in edge or b"\n\r\n" in edge:
                raise Ineligible
            if quoted:
                cut = chunk.rfind(b"\n") + 1
                if cut and not _well_quoted(rest + chunk[:cut], quoted):
                    raise Ineligible
                rest = chunk[cut:] if cut else rest + chunk
            lines += chunk.count(b"\n")
            tail, last = chunk[-2:], chunk
    if quoted and rest and not _well_quoted(rest, quoted):
        raise Ineligible
    if last[-1:] != b"\n" and source.end > source.start:
        lines += 1
    return lines


def _well_quoted(data: bytes, delimiter: int) -> bool:
    """Whether every '"' of these whole lines stands where well-formed CSV puts it, which DuckDB and pyarrow read
    alike: counting the quotes from the start of its line, an even-numbered one opens a value (after the delimiter,
    at the line's start, or as the second of a doubled '""'), an odd-numbered one closes it (before the delimiter,
    the line's end, or the second quote of a pair). Elsewhere they differ: DuckDB drops the spaces around a quoted
    value (' "ab" ' -> 'ab') that pyarrow keeps, and refuses what follows a closing quote ('"ab"c')."""
    a = np.frombuffer(data, np.uint8)
    at = np.flatnonzero(a == 34)
    if not len(at):
        return True
    line = np.searchsorted(np.flatnonzero(a == 10), at)  # data starts at a line's start
    starts = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])  # each line's first quote
    before = np.arange(len(at)) - np.repeat(starts, np.diff(np.r_[starts, len(at)]))  # quotes before it on its line
    prev = a[np.maximum(at - 1, 0)]
    prev[at == 0] = 10
    nxt = a[np.minimum(at + 1, len(a) - 1)]
    nxt[at == len(a) - 1] = 10
    good_open = (prev == delimiter) | (prev == 10) | (prev == 34)
    good_close = (nxt == delimiter) | (nxt == 10) | (nxt == 13) | (nxt == 34)
    return bool(np.where(before % 2 == 0, good_open, good_close).all())


def sample_lines(source, rows: int) -> dict[str, pa.Array]:
    """``ml.outofcore.clean._sample``'s rows (the same evenly spread line numbers), found by their newlines and
    parsed by the same reader settings."""
    from ml.outofcore.source import iter_batches

    n = SAMPLE_ROWS
    want = np.arange(rows) if rows <= n else np.unique(
        np.r_[np.arange(n // 2), np.linspace(0, rows - 1, n // 2).astype(np.int64)])
    picked: list[bytes] = []
    line0, carry = 0, b""
    with open(source.path, "rb") as fh:
        fh.seek(source.start)
        while (chunk := fh.read(_CHUNK)) or carry:
            data = carry + chunk
            ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
            if not chunk and (not len(ends) or ends[-1] != len(data) - 1):
                ends = np.r_[ends, len(data)]  # the last line without a newline
            starts = np.r_[0, ends[:-1] + 1]
            local = want[(want >= line0) & (want < line0 + len(ends))] - line0
            picked.extend(data[s:e] for s, e in zip(starts[local].tolist(), ends[local].tolist(), strict=True))
            line0 += len(ends)
            carry = data[ends[-1] + 1:] if len(ends) else data
            if not chunk:
                break
    tmp = _BytesSource(source, b"\n".join(picked) + b"\n")
    table = pa.Table.from_batches(list(iter_batches(tmp)),
                                  schema=pa.schema([(c, pa.string()) for c in source.columns]))
    return {name: table.column(name).combine_chunks() for name in table.column_names}


class _BytesSource:
    """A ``TextSource`` over sampled lines held in memory (for ``iter_batches``)."""

    def __init__(self, source, data: bytes) -> None:
        self._file = tempfile.NamedTemporaryFile(prefix="saleslens-sample-", suffix=".csv")  # noqa: SIM115
        self._file.write(data)
        self._file.flush()
        self.path = Path(self._file.name)
        self.start, self.end = 0, len(data)
        self.columns = source.columns
        self.format = source.format
        self.newlines_in_values = False


# ------------------------------------------------------------------------------------------------ reading


def _number(x: str, decimal: str) -> tuple[str, str]:
    """(the number in a text column ``x`` as DuckDB computes it, whether ``ml.parsing`` reads that text alike)."""
    if decimal == ",":
        value = f"TRY_CAST(replace(replace({x}, '.', ''), ',', '.') AS DOUBLE)"
        same = f"regexp_full_match({x}, {sql_text(_COMMA_DECIMAL)})"
    else:
        # DuckDB reads '1_000' as 1000 where ml.parsing finds no number: such text goes to the batches
        value = (f"CASE WHEN contains({x}, ',') THEN TRY_CAST(replace({x}, ',', '') AS DOUBLE) "
                 f"ELSE TRY_CAST({x} AS DOUBLE) END")
        same = (f"CASE WHEN contains({x}, ',') THEN regexp_full_match({x}, {sql_text(_GROUPED_POINT)}) "
                f"ELSE NOT contains({x}, '_') END")
    return value, f"({x} IS NULL OR (coalesce(isfinite({value}), false) AND {same}))"


def select_sql(source, mapping, decimal: str = ".", times: bool = False) -> tuple[str, list[str]]:
    """The typed, trimmed, derived columns of one file, the first reason each line is dropped for (the cleaner's
    row-local checks, in its order), and ``ok``: every day written YYYY-MM-DD and real, every number one DuckDB
    and ``ml.parsing`` read alike (finite, in one of the shapes above, ``decimal`` the file's decimal mark); a file
    with any other value goes to the batch path. pyarrow's null spellings (``NULL_VALUES``) are null here too,
    quoted or not, as pyarrow reads them. Quotes: '"' doubled inside a quoted value, as pyarrow reads them.
    ``times``: the days may carry a time of day ('2024-03-01 10:22:33'), kept as ``MOMENT`` to tell repeated rows
    apart as the in-memory path does (by the moment, its one cast of ISO timestamps)."""
    cols = mapping.columns
    types = ", ".join(f"{sql_text(c)}: 'VARCHAR'" for c in source.columns)  # dates and numbers cast below, checked
    nulls = ", ".join(sql_text(v) for v in NULL_VALUES)
    quote = "'\"'" if source.newlines_in_values else "''"  # newlines_in_values: the file has a '"' somewhere
    reader = (f"read_csv({sql_text(str(source.path))}, header=true, delim={sql_text(source.format.delimiter)}, "
              f"quote={quote}, escape={quote}, columns={{{types}}}, nullstr=[{nulls}], auto_detect=false, "
              f"strict_mode=true, null_padding=false, ignore_errors=false, parallel=false)")
    day = sql_name(cols[Col.DATE])
    # only 'YYYY-MM-DD' (the in-memory path tells '2024-1-5' from '2024-01-05' when it looks for repeated rows)
    # and, with ``times``, 'YYYY-MM-DD HH:MM:SS' (both read alike by DuckDB and by pyarrow's cast)
    if times:
        typed = {Col.DATE: f"CAST(TRY_CAST({day} AS TIMESTAMP) AS DATE)", MOMENT: f"TRY_CAST({day} AS TIMESTAMP)"}
        ok = [f"({day} IS NULL OR (regexp_full_match({day}, {sql_text(_ISO_MOMENT)}) "
              f"AND TRY_CAST({day} AS TIMESTAMP) IS NOT NULL))"]
    else:
        typed = {Col.DATE: f"TRY_CAST({day} AS DATE)"}
        ok = [f"({day} IS NULL OR (length({day}) = 10 AND TRY_CAST({day} AS DATE) IS NOT NULL))"]
    for c in NUMBER_COLUMNS:
        if c in cols:
            typed[c], same = _number(sql_name(cols[c]), decimal)
            ok.append(same)
    for c in TEXT_COLUMNS:
        if c in cols:
            # trim() with a set of characters is slow: only values that start or end with one pay for it
            edge = ", ".join(str(ord(ch)) for ch in _WHITESPACE)
            x = sql_name(cols[c])
            typed[c] = (f"CASE WHEN ord({x}) IN ({edge}) OR ord(right({x}, 1)) IN ({edge}) "
                        f"THEN NULLIF(trim({x}, {sql_text(_WHITESPACE)}), '') ELSE {x} END")
    mid = ", ".join(f"{expr} AS {sql_name(c)}" for c, expr in typed.items())
    q, price, rev = (sql_name(c) if c in cols else None for c in (Col.QUANTITY, Col.UNIT_PRICE, Col.REVENUE))
    # _derive_measures (non-kept rows may differ: they are never read again)
    if q and price and not rev:
        rev = f"({q} * {price})"
    elif q and rev and not price:
        price = f"abs({rev} / NULLIF({q}, 0))"
    elif q and rev and price:
        rev = f"(CASE WHEN {rev} IS NULL AND {price} IS NOT NULL THEN {q} * {price} ELSE {rev} END)"
    reasons = [f"WHEN {sql_name(Col.DATE)} IS NULL THEN 'missing_date'"]
    if q:
        if Col.REVENUE not in cols:
            reasons.append(f"WHEN {q} IS NULL THEN 'missing_quantity'")
        reasons.append(f"WHEN {q} = 0 THEN 'zero_quantity'")
    if Col.UNIT_PRICE in cols:
        reasons.append(f"WHEN {sql_name(Col.UNIT_PRICE)} < 0 THEN 'negative_price'")
    no_measure = f"{q} IS NULL AND {rev} IS NULL" if q and rev else f"{rev or q} IS NULL"
    reasons.append(f"WHEN {no_measure} THEN 'no_measure'")
    out = [sql_name(Col.DATE)]
    extra = [sql_name(MOMENT)] if times else []
    for c in NUMBER_COLUMNS:
        if c == Col.QUANTITY and q:
            out.append(f"{q} AS {sql_name(c)}")
        elif c == Col.UNIT_PRICE and price:
            out.append(f"{price} AS {sql_name(c)}")
        elif c == Col.REVENUE and rev:
            out.append(f"{rev} AS {sql_name(c)}")
            if Col.REVENUE in cols and price and Col.UNIT_PRICE in cols:
                extra.append(f"({sql_name(Col.REVENUE)} IS NULL AND {sql_name(Col.UNIT_PRICE)} IS NOT NULL) AS filled")
        elif c == Col.UNIT_COST and c in cols:
            out.append(f"CASE WHEN {sql_name(c)} < 0 THEN NULL ELSE {sql_name(c)} END AS {sql_name(c)}")
            extra.append(f"{sql_name(c)} < 0 AS negative_cost")
    out += [sql_name(c) for c in TEXT_COLUMNS if c in cols]
    sql = (f"SELECT {', '.join(out + extra)}, CASE {' '.join(reasons)} END AS gone, ok FROM "
           f"(SELECT {mid}, {' AND '.join(ok) or 'true'} AS ok FROM {reader})")
    return sql, [c for c in CANONICAL_COLUMNS if c in cols or (c == Col.REVENUE and rev) or
                 (c == Col.UNIT_PRICE and price)]
