"""Excel .xlsx -> a table of strings: the first sheet, with the title and totals rows found as in text files."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib

import pyarrow as pa

from ml.ingest.formats import CHUNK, FileFormat, RawTable
from ml.ingest.layout import MAX_FOOTER_LINES, TOTALS_RE, detect_header_line, unique_names
from ml.limits import IngestLimits
from ml.schema import DataError


def read_xlsx(name: str, data: bytes, zf: zipfile.ZipFile, limits: IngestLimits) -> RawTable:
    budget = limits.max_inflated_bytes
    try:
        for info in zf.infolist():  # inflate once to count real sizes: openpyxl would trust the declared ones
            with zf.open(info) as fh:
                while chunk := fh.read(min(CHUNK, budget + 1)):
                    budget -= len(chunk)
                    if budget < 0:
                        raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limits.max_inflated_mb)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib.error, ValueError) as exc:
        raise DataError("ingest.error.corrupt_archive", name=name) from exc
    import openpyxl  # only needed for Excel uploads

    rows: list[list[str | None]] = []
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        if ws.max_column and ws.max_column > limits.max_columns:
            raise DataError("ingest.error.too_many_columns", name=name, count=ws.max_column, limit=limits.max_columns)
        for row in ws.iter_rows(values_only=True):
            if len(row) > limits.max_columns:
                raise DataError("ingest.error.too_many_columns", name=name, count=len(row), limit=limits.max_columns)
            rows.append([_cell_text(v) for v in row])
            if len(rows) > limits.max_rows + 50:
                raise DataError("ingest.error.too_many_rows", name=name, limit=limits.max_rows)
        sheet = ws.title
        wb.close()
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise DataError("ingest.error.corrupt_archive", name=name) from exc
    fmt = FileFormat(name=name, kind="xlsx", sheet=sheet)
    return _rows_to_table(rows, fmt, limits)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _rows_to_table(rows: list[list[str | None]], fmt: FileFormat, limits: IngestLimits) -> RawTable:
    """Header and footer detection for row lists (Excel sheets)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([[c or "" for c in r] for r in rows[:400]])
    as_lines = buf.getvalue().split("\n")[: min(len(rows), 400)]
    header_idx = detect_header_line(as_lines, ",") if as_lines else 0
    if not rows or header_idx >= len(rows):
        raise DataError("ingest.error.empty_file", name=fmt.name)
    header = list(rows[header_idx])
    while header and header[-1] in (None, ""):
        header = header[:-1]
    width = len(header)
    if width < 2:
        raise DataError("ingest.error.one_column", name=fmt.name)
    body = [r[:width] + [None] * (width - len(r)) for r in rows[header_idx + 1 :]]
    body = [r for r in body if any(c is not None for c in r)]  # blank rows carry nothing
    footer = 0
    while body and footer < MAX_FOOTER_LINES:
        filled = [c for c in body[-1] if c is not None and c.strip()]
        if not (TOTALS_RE.match(filled[0].strip()) or len(filled) < max(2, width // 2)):
            break
        body.pop()
        footer += 1
    fmt.header_line = fmt.skipped_title_lines = header_idx
    fmt.skipped_footer_lines = footer
    columns = unique_names([h or "" for h in header])
    arrays = [pa.array([r[j] for r in body], type=pa.string()) for j in range(width)]
    return RawTable(table=pa.table(arrays, names=columns), format=fmt, source_columns=columns)
