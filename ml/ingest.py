"""Uploaded bytes -> tables of strings, with the detected file format.

Handles CSV/TSV/semicolon/pipe text in UTF-8 (with or without BOM), UTF-16, GBK/GB18030, Big5 and cp1252; gzip and
zip compression; Excel .xlsx. Report titles above the header and totals lines below the data (as shop systems
write them) are detected and skipped. Every cap in ``ml.limits`` is enforced while reading.

Values stay strings here: ``ml.parsing`` turns them into numbers and dates once the columns are mapped, so an
identifier such as ``00123`` keeps its leading zeros.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv
from charset_normalizer import from_bytes

from ml.limits import LIMITS, IngestLimits
from ml.schema import DataError

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "gb18030", "big5", "cp1252")
_SNIFF_BYTES = 256 * 1024
_TOTALS_RE = re.compile(
    r"^\W*(grand\s+)?(total|totals|sum|subtotal|summe|gesamt|合计|总计|小计|汇总|總計|合計)\b", re.IGNORECASE
)
_MAGIC = {
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"%PDF": "PDF document",
    b"\x7fELF": "program",
    b"MZ": "Windows program",
    b"\xd0\xcf\x11\xe0": "old Excel (.xls) or Office document",
    b"Rar!": "RAR archive",
    b"7z\xbc\xaf": "7-Zip archive",
    b"BZh": "bzip2 archive",
    b"\xfd7zXZ": "xz archive",
    b"PAR1": "Parquet file",
    b"SQLite format 3": "SQLite database",
}


@dataclass
class FileFormat:
    """How one table was read: shown to the user and printed by ``python -m ml profile``."""

    name: str
    kind: str = "csv"  # csv | xlsx
    compression: str | None = None  # gzip | zip
    encoding: str | None = None
    delimiter: str | None = None
    header_line: int = 0  # 0-based line (or sheet row) of the header
    skipped_title_lines: int = 0
    skipped_footer_lines: int = 0
    sheet: str | None = None
    malformed_rows: int = 0

    def to_json_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "compression": self.compression,
            "encoding": self.encoding,
            "delimiter": {"\t": "tab"}.get(self.delimiter or "", self.delimiter),
            "header_line": self.header_line,
            "skipped_title_lines": self.skipped_title_lines,
            "skipped_footer_lines": self.skipped_footer_lines,
            "sheet": self.sheet,
            "malformed_rows": self.malformed_rows,
        }


@dataclass
class RawTable:
    """One table of string values as found in a file (before mapping)."""

    table: pa.Table
    format: FileFormat
    source_columns: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ entry point


def read_upload(
    name: str, data: bytes, limits: IngestLimits = LIMITS, encoding: str | None = None
) -> list[RawTable]:
    """Read one uploaded file into one or more string tables (a zip may hold several CSVs)."""
    if len(data) > limits.max_upload_bytes:
        raise DataError("ingest.error.file_too_large", name=name, size_mb=round(len(data) / 2**20), limit_mb=limits.max_upload_mb)
    if not data.strip():
        raise DataError("ingest.error.empty_file", name=name)
    lower = name.lower()
    if data[:2] == b"\x1f\x8b":
        inner = _gunzip_capped(data, name, limits)
        inner_name = name[:-3] if lower.endswith(".gz") else name
        tables = read_upload(inner_name, inner, _inner_limits(limits), encoding)
        for t in tables:
            t.format.compression = "gzip"
        return tables
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return [_read_xlsx(name, data, zf, limits)]
            return _read_zip_members(name, zf, limits, encoding)
    if lower.endswith((".xls",)) and data[:4] == b"\xd0\xcf\x11\xe0":
        raise DataError("ingest.error.old_excel", name=name)
    _refuse_binary(name, data)
    return [_read_text_table(name, data, limits, encoding)]


def _inner_limits(limits: IngestLimits) -> IngestLimits:
    # After decompression the inflated cap is the one that applies to the content.
    return IngestLimits(
        max_upload_mb=limits.max_inflated_mb,
        max_inflated_mb=limits.max_inflated_mb,
        max_rows=limits.max_rows,
        max_columns=limits.max_columns,
        max_files=limits.max_files,
        max_zip_members=limits.max_zip_members,
    )


# ------------------------------------------------------------------------------------------------ containers


def _gunzip_capped(data: bytes, name: str, limits: IngestLimits) -> bytes:
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(4 * 2**20):
                out.write(chunk)
                if out.tell() > limits.max_inflated_bytes:
                    raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limits.max_inflated_mb)
    except (OSError, EOFError) as exc:
        raise DataError("ingest.error.corrupt_archive", name=name) from exc
    return out.getvalue()


def _read_zip_members(name: str, zf: zipfile.ZipFile, limits: IngestLimits, encoding: str | None) -> list[RawTable]:
    members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith(("__MACOSX/", "."))]
    members = [i for i in members if not i.filename.rsplit("/", 1)[-1].startswith(".")]
    if not members:
        raise DataError("ingest.error.empty_archive", name=name)
    if len(members) > limits.max_zip_members:
        raise DataError("ingest.error.too_many_members", name=name, count=len(members), limit=limits.max_zip_members)
    tables: list[RawTable] = []
    budget = limits.max_inflated_bytes
    for info in members:
        # Declared sizes can lie, so count what actually comes out.
        out = io.BytesIO()
        try:
            with zf.open(info) as fh:
                while chunk := fh.read(4 * 2**20):
                    out.write(chunk)
                    if out.tell() > budget:
                        raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limits.max_inflated_mb)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
            raise DataError("ingest.error.corrupt_archive", name=name) from exc
        budget -= out.tell()
        member_name = f"{name}/{info.filename}"
        for t in read_upload(member_name, out.getvalue(), _inner_limits(limits), encoding):
            t.format.compression = t.format.compression or "zip"
            tables.append(t)
    return tables


def _read_xlsx(name: str, data: bytes, zf: zipfile.ZipFile, limits: IngestLimits) -> RawTable:
    inflated = sum(i.file_size for i in zf.infolist())
    if inflated > limits.max_inflated_bytes:
        raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limits.max_inflated_mb)
    import openpyxl  # only needed for Excel uploads

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise DataError("ingest.error.corrupt_archive", name=name) from exc
    ws = wb.worksheets[0]
    if ws.max_column and ws.max_column > limits.max_columns:
        raise DataError("ingest.error.too_many_columns", name=name, count=ws.max_column, limit=limits.max_columns)
    rows: list[list[str | None]] = []
    for row in ws.iter_rows(values_only=True):
        rows.append([_cell_text(v) for v in row])
        if len(rows) > limits.max_rows + 50:
            raise DataError("ingest.error.too_many_rows", name=name, limit=limits.max_rows)
    wb.close()
    fmt = FileFormat(name=name, kind="xlsx", sheet=ws.title)
    return _rows_to_table(rows, fmt, limits)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ------------------------------------------------------------------------------------------------ text files


def _refuse_binary(name: str, data: bytes) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DataError("ingest.error.binary_file", name=name, kind=what)
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError("ingest.error.binary_file", name=name, kind="binary")


def detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 by BOM, else the best of GB18030, Big5 and cp1252 by charset-normalizer."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = data[:_SNIFF_BYTES]
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp1252"]).best()
    if best is None:
        return "cp1252"
    enc = best.encoding.replace("_", "-").lower()
    return {"gb2312": "gb18030", "gbk": "gb18030", "windows-1252": "cp1252"}.get(enc, enc)


def _decode(name: str, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError("ingest.error.wrong_encoding", name=name, encoding=encoding) from exc


def _split_lines(text: str, limit: int) -> list[str]:
    lines = []
    for i, line in enumerate(io.StringIO(text)):
        if i >= limit:
            break
        lines.append(line.rstrip("\r\n"))
    return lines


def _fields(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return line.split(delimiter)


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most columns consistently across the sample lines."""
    body = [ln for ln in lines if ln.strip()][:200]
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        counts = [len(_fields(ln, delim)) for ln in body]
        if not counts:
            continue
        modal, freq = Counter(counts).most_common(1)[0]
        if modal < 2:
            continue
        score = (freq / len(counts), modal)
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[\s$€£¥%+\-().,'\d]+", cell)) and any(ch.isdigit() for ch in cell)


def detect_header_line(lines: list[str], delimiter: str) -> int:
    """Index of the header: the first line as wide as the data whose cells are mostly labels, not numbers."""
    counts = [len(_fields(ln, delimiter)) if ln.strip() else 0 for ln in lines]
    tail = [c for c in counts[min(len(counts) - 1, 5):] if c > 1] or [c for c in counts if c > 0]
    if not tail:
        return 0
    width = Counter(tail).most_common(1)[0][0]
    for i, (line, count) in enumerate(zip(lines[:50], counts[:50], strict=False)):
        if count < max(2, width - 1) or count > width:
            continue
        cells = [c.strip() for c in _fields(line, delimiter)]
        filled = [c for c in cells if c]
        if len(filled) >= max(1, width // 2) and sum(_looks_numeric(c) for c in filled) <= len(filled) // 3:
            return i
    return 0


def _count_footer_lines(lines_tail: list[str], delimiter: str, width: int) -> int:
    """Trailing blank lines, totals lines and short lines after the data."""
    n = 0
    for line in reversed(lines_tail):
        stripped = line.strip()
        cells = [c.strip() for c in _fields(line, delimiter)] if stripped else []
        first = next((c for c in cells if c), "")
        if not stripped or not first:
            n += 1
        elif _TOTALS_RE.match(first) or len(cells) < max(2, width // 2):
            n += 1
        else:
            break
    return n


def _unique_names(names: list[str]) -> list[str]:
    """Header cells made usable as column names: blanks named by position, repeats numbered."""
    seen: set[str] = set()
    out = []
    for i, raw in enumerate(names):
        base = (raw or "").strip().lstrip("\ufeff") or f"column_{i + 1}"
        name, k = base, 1
        while name in seen:
            name, k = f"{base}.{k}", k + 1
        seen.add(name)
        out.append(name)
    return out


def _read_text_table(name: str, data: bytes, limits: IngestLimits, encoding: str | None) -> RawTable:
    enc = encoding or detect_encoding(data)
    text_bytes = data if enc == "utf-8" else _decode(name, data, enc).lstrip("\ufeff").encode("utf-8")

    head_text = text_bytes[:_SNIFF_BYTES].decode("utf-8", errors="ignore")
    lines = _split_lines(head_text, 400)
    if len(lines) > 1 and len(text_bytes) > _SNIFF_BYTES:
        lines = lines[:-1]  # the last sniffed line may be cut
    if not any(ln.strip() for ln in lines):
        raise DataError("ingest.error.empty_file", name=name)
    delimiter = detect_delimiter(lines)
    header_idx = detect_header_line(lines, delimiter)
    header = _fields(lines[header_idx], delimiter)
    if len(header) > limits.max_columns:
        raise DataError("ingest.error.too_many_columns", name=name, count=len(header), limit=limits.max_columns)
    if len(header) < 2:
        raise DataError("ingest.error.one_column", name=name)

    n_lines = text_bytes.count(b"\n") + 1
    if n_lines - header_idx - 1 > limits.max_rows:
        raise DataError("ingest.error.too_many_rows", name=name, limit=limits.max_rows)

    # Footer: look at the last few lines only.
    tail_start = max(0, len(text_bytes) - 8192)
    tail_lines = text_bytes[tail_start:].decode("utf-8", errors="ignore").splitlines()[-20:]
    footer = _count_footer_lines(tail_lines, delimiter, len(header))
    body_end = len(text_bytes)
    for _ in range(footer):
        body_end = text_bytes.rfind(b"\n", 0, body_end - 1 if text_bytes[body_end - 1 : body_end] == b"\n" else body_end)
        if body_end < 0:
            body_end = 0
            break
    start = 0
    for _ in range(header_idx + 1):
        start = text_bytes.find(b"\n", start) + 1
        if start == 0:
            start = len(text_bytes)
            break
    body = text_bytes[start:body_end] if body_end > start else b""
    fmt = FileFormat(
        name=name,
        encoding=enc,
        delimiter=delimiter,
        header_line=header_idx,
        skipped_title_lines=header_idx,
        skipped_footer_lines=footer,
    )
    columns = _unique_names(header)
    malformed: list[int] = [0]

    def _skip(row: pacsv.InvalidRow) -> str:
        malformed[0] += 1
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in columns},
        strings_can_be_null=True,
        null_values=["", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "-", "#N/A"],
        quoted_strings_can_be_null=True,
    )
    table = None
    for newlines_in_values in (False, True):
        try:
            table = pacsv.read_csv(
                io.BytesIO(body),
                read_options=pacsv.ReadOptions(column_names=columns, block_size=8 * 2**20),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, newlines_in_values=newlines_in_values, invalid_row_handler=_skip
                ),
                convert_options=convert,
            )
            break
        except pa.ArrowInvalid:
            malformed[0] = 0
            continue
    if table is None:
        raise DataError("ingest.error.unparseable", name=name)
    fmt.malformed_rows = malformed[0]
    return RawTable(table=table, format=fmt, source_columns=columns)


def _rows_to_table(rows: list[list[str | None]], fmt: FileFormat, limits: IngestLimits) -> RawTable:
    """Header and footer detection for row lists (Excel sheets)."""
    rows = [r for r in rows]
    as_lines = [",".join(f'"{c}"' if c else "" for c in r) for r in rows[:400]]
    header_idx = detect_header_line(as_lines, ",") if as_lines else 0
    if not rows or header_idx >= len(rows):
        raise DataError("ingest.error.empty_file", name=fmt.name)
    header = rows[header_idx]
    while header and header[-1] in (None, ""):
        header = header[:-1]
    width = len(header)
    if width < 2:
        raise DataError("ingest.error.one_column", name=fmt.name)
    body = [r[:width] + [None] * (width - len(r)) for r in rows[header_idx + 1 :]]
    tail_lines = [",".join(c or "" for c in r) for r in body[-20:]]
    footer = _count_footer_lines(tail_lines, ",", width)
    if footer:
        body = body[:-footer]
    fmt.header_line = fmt.skipped_title_lines = header_idx
    fmt.skipped_footer_lines = footer
    columns = _unique_names([h or "" for h in header])
    arrays = [pa.array([r[j] for r in body], type=pa.string()) for j in range(width)]
    return RawTable(table=pa.table(arrays, names=columns), format=fmt, source_columns=columns)
