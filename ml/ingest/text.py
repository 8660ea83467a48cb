"""CSV/TSV/semicolon/pipe text -> a table of strings: the layout is found on a sample, then Arrow's CSV reader
parses the body (skipping lines of the wrong width, counted for the report)."""

from __future__ import annotations

import codecs
import io
import re

import pyarrow as pa
import pyarrow.csv as pacsv

from ml.ingest.encoding import detect_encoding, detect_legacy_encoding, to_utf8
from ml.ingest.formats import SNIFF_BYTES, FileFormat, RawTable
from ml.ingest.layout import (
    detect_delimiter,
    detect_header_line,
    find_footer,
    fit_header,
    split_fields,
    unique_names,
)
from ml.limits import IngestLimits
from ml.schema import DataError

NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "-", "#N/A"]
_NON_SPACE = re.compile(rb"\S")


def _split_lines(text: str, limit: int) -> list[str]:
    lines = []
    for i, line in enumerate(io.StringIO(text, newline="\n")):
        if i >= limit:
            break
        lines.append(line.rstrip("\r\n"))
    return lines


def read_text_table(name: str, data: bytes, limits: IngestLimits, encoding: str | None) -> RawTable:
    enc = encoding or detect_encoding(data)
    text_bytes, enc = to_utf8(name, data, enc, forced=encoding is not None)
    try:
        return _parse_text(name, text_bytes, enc, limits)
    except _NotUtf8 as exc:
        if encoding is not None:
            raise DataError("ingest.error.wrong_encoding", name=name, encoding=encoding) from exc
        # The sampled head and tail were UTF-8 but the middle is not: detect on the whole file.
        enc = detect_legacy_encoding(data)
        text_bytes, enc = to_utf8(name, data, enc, forced=False)
        return _parse_text(name, text_bytes, enc, limits)


class _NotUtf8(Exception):
    pass


def detect_layout(name: str, head_bytes: bytes, text_len: int, limits: IngestLimits) -> tuple[list[str], str, int, list[str], int]:
    """The sniffed lines, delimiter, header line, header names and the byte offset where the data starts, from the first
    ``SNIFF_BYTES`` of a UTF-8 text of ``text_len`` bytes (the in-memory reader and ``ml.outofcore`` share this)."""
    head_text = codecs.utf_8_decode(head_bytes[:SNIFF_BYTES], "replace", False)[0]
    lines = _split_lines(head_text, 400)
    if len(lines) > 1 and text_len > SNIFF_BYTES:
        lines = lines[:-1]  # the last sniffed line may be cut
    if not any(ln.strip() for ln in lines):
        raise DataError("ingest.error.empty_file", name=name)
    delimiter = detect_delimiter(lines)
    header_idx = detect_header_line(lines, delimiter)
    header = split_fields(lines[header_idx], delimiter)
    if len(header) > limits.max_columns:
        raise DataError("ingest.error.too_many_columns", name=name, count=len(header), limit=limits.max_columns)
    header = fit_header(header, lines[header_idx + 1 :], delimiter)
    if len(header) < 2:
        raise DataError("ingest.error.one_column", name=name)
    start = 0
    for _ in range(header_idx + 1):
        start = head_bytes.find(b"\n", start) + 1
        if start == 0:
            start = text_len
            break
    return lines, delimiter, header_idx, header, start


def _parse_text(name: str, text_bytes: bytes, enc: str, limits: IngestLimits) -> RawTable:
    lines, delimiter, header_idx, header, start = detect_layout(name, text_bytes[:SNIFF_BYTES], len(text_bytes), limits)
    body_end, footer = find_footer(text_bytes, start, delimiter, len(header))
    if _NON_SPACE.search(text_bytes, start, max(start, body_end)) is None:
        raise DataError("ingest.error.no_rows", name=name)  # a header (and maybe totals) with nothing below it
    body = memoryview(text_bytes)[start:body_end] if body_end > start else memoryview(b"")
    # Refuse before parsing when the file clearly has too many lines (estimated from the sniffed lines).
    sniffed = sum(len(ln) + 1 for ln in lines[header_idx + 1 :]) or 1
    per_line = sniffed / max(1, len(lines) - header_idx - 1)
    if len(body) / per_line > 1.5 * limits.max_rows + 10:
        raise DataError("ingest.error.too_many_rows", name=name, limit=limits.max_rows)

    fmt = FileFormat(
        name=name,
        encoding=enc,
        delimiter=delimiter,
        header_line=header_idx,
        skipped_title_lines=header_idx,
        skipped_footer_lines=footer,
    )
    columns = unique_names(header)
    bad = {"rows": 0, "short": 0}

    def _skip(row: pacsv.InvalidRow) -> str:
        bad["rows"] += 1
        bad["short"] += row.actual_columns < row.expected_columns
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in columns},
        strings_can_be_null=True,
        null_values=NULL_VALUES,
        quoted_strings_can_be_null=True,
    )
    # Only a quoted value can hold a line break; files without quotes take the faster splitter.
    newlines_in_values = text_bytes.find(b'"', start, max(start, body_end)) >= 0
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=columns, block_size=8 * 2**20),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=newlines_in_values, invalid_row_handler=_skip
            ),
            convert_options=convert,
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise _NotUtf8(str(exc)) from exc
        raise DataError("ingest.error.unparseable", name=name) from exc
    if table.num_rows > limits.max_rows:
        raise DataError("ingest.error.too_many_rows", name=name, limit=limits.max_rows)
    fmt.malformed_rows = bad["rows"]
    fmt.short_rows = bad["short"]
    return RawTable(table=table, format=fmt, source_columns=columns)
