"""Uploaded bytes -> tables of strings, with the detected file format.

Handles CSV/TSV/semicolon/pipe text in UTF-8 (with or without BOM), UTF-16, GBK/GB18030, Big5 and cp1252; gzip and
zip compression; Excel .xlsx. Report titles above the header and totals lines below the data (as shop systems
write them) are detected and skipped. Every cap in ``ml.limits`` is enforced while reading.

Values stay strings here: ``ml.parsing`` turns them into numbers and dates once the columns are mapped, so an
identifier such as ``00123`` keeps its leading zeros.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv
from charset_normalizer import from_bytes

from ml.i18n import Msg
from ml.limits import LIMITS, IngestLimits
from ml.schema import DataError

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "gb18030", "big5", "cp1252")
NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "-", "#N/A"]
_SNIFF_BYTES = 256 * 1024
_TAIL_BYTES = 64 * 1024
_MAX_FOOTER_LINES = 20
_CHUNK = 2**20
_TOTALS_RE = re.compile(
    r"^\W*(grand\s+)?(total|totals|sum|subtotal|summe|gesamt|合计|总计|小计|汇总|總計|合計)\b", re.IGNORECASE
)
_NON_SPACE = re.compile(rb"\S")
_NUMERIC_CELL_RE = re.compile(r"[\s$€£¥￥%+\-−().,'\d]+")
_MAGIC = {
    b"\x89PNG": Msg("ingest.kind.png"),
    b"\xff\xd8\xff": Msg("ingest.kind.jpeg"),
    b"GIF8": Msg("ingest.kind.gif"),
    b"%PDF": Msg("ingest.kind.pdf"),
    b"\x7fELF": Msg("ingest.kind.program"),
    b"MZ": Msg("ingest.kind.windows_program"),
    b"\xd0\xcf\x11\xe0": Msg("ingest.kind.old_office"),
    b"Rar!": Msg("ingest.kind.rar"),
    b"7z\xbc\xaf": Msg("ingest.kind.sevenzip"),
    b"BZh": Msg("ingest.kind.bzip2"),
    b"\xfd7zXZ": Msg("ingest.kind.xz"),
    b"PAR1": Msg("ingest.kind.parquet"),
    b"SQLite format 3": Msg("ingest.kind.sqlite"),
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_EMPTY = b"PK\x05\x06"


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
    skipped_footer_lines: int = 0  # totals and notes below the data (blank lines are not counted)
    sheet: str | None = None
    malformed_rows: int = 0  # lines whose number of fields differs from the header's (skipped)
    short_rows: int = 0  # of which: lines with fewer fields than the header
    source: dict | None = None  # a database query's result (ml/sources/sql.py): dialect, URL without password, query

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
            "source": self.source,
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
    if data[:6] == b"ARROW1":  # a database query's result (ml/sources/sql.py), under its own caps
        from ml.sources.sql import read_query_table

        return [read_query_table(name, data, limits)]
    if len(data) > limits.max_upload_bytes:
        raise DataError(
            "ingest.error.file_too_large", name=name, size_mb=round(len(data) / 2**20), limit_mb=limits.max_upload_mb
        )
    if not re.search(rb"\S", data[:_CHUNK]) and not data[_CHUNK:].strip():
        raise DataError("ingest.error.empty_file", name=name)
    lower = name.lower()
    if data[:2] == b"\x1f\x8b":
        inner = _gunzip_capped(data, name, limits)
        inner_name = name[:-3] if lower.endswith(".gz") else name
        tables = read_upload(inner_name, inner, _inner_limits(limits), encoding)
        for t in tables:
            t.format.compression = "gzip"
        return tables
    if data[:4] == _ZIP_EMPTY:
        raise DataError("ingest.error.empty_archive", name=name)
    if data[:4] == b"PK\x03\x04":
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise DataError("ingest.error.corrupt_archive", name=name) from exc
        with zf:
            names = zf.namelist()
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return [_read_xlsx(name, data, zf, limits)]
            return _read_zip_members(name, zf, limits, encoding)
    if data.startswith(_OLE) and (lower.endswith(".xls") or _looks_like_old_workbook(data)):
        raise DataError("ingest.error.old_excel", name=name)
    _refuse_binary(name, data, encoding)
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


def _looks_like_old_workbook(data: bytes) -> bool:
    """An OLE2 container holding an Excel 97-2003 'Workbook' (or Excel 5 'Book') stream, whatever its name."""
    head = data[: 64 * 1024]
    return "Workbook".encode("utf-16-le") in head or "Book\x00".encode("utf-16-le") in head


# ------------------------------------------------------------------------------------------------ containers


def _read_capped(read, budget: int, name: str, limit_mb: int) -> bytes:
    """Read a stream to its end, refusing as soon as more than ``budget`` bytes come out."""
    out = io.BytesIO()
    while True:
        chunk = read(min(_CHUNK, budget - out.tell() + 1))
        if not chunk:
            return out.getvalue()
        out.write(chunk)
        if out.tell() > budget:
            raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limit_mb)


def _gunzip_capped(data: bytes, name: str, limits: IngestLimits) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            return _read_capped(gz.read, limits.max_inflated_bytes, name, limits.max_inflated_mb)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError("ingest.error.corrupt_archive", name=name) from exc


def _unsafe_member(filename: str) -> bool:
    """A member path that climbs out of the archive (``../x.csv``) or is absolute (``/x.csv``, ``C:\\x.csv``): such
    zips are made to attack whoever unpacks them, so the whole archive is refused rather than a file silently dropped."""
    path = filename.replace("\\", "/")
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:", path)) or ".." in path.split("/")


def _hidden_member(filename: str) -> bool:
    """macOS resource forks and hidden files or folders (``.DS_Store``, ``.git/``), which are not the user's data."""
    parts = [p for p in filename.split("/") if p not in ("", ".")]
    return not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _read_zip_members(name: str, zf: zipfile.ZipFile, limits: IngestLimits, encoding: str | None) -> list[RawTable]:
    for info in zf.infolist():
        if _unsafe_member(info.filename):
            raise DataError("ingest.error.unsafe_member", name=name, member=info.filename[:200])
    members = [i for i in zf.infolist() if not i.is_dir() and not _hidden_member(i.filename)]
    if not members:
        raise DataError("ingest.error.empty_archive", name=name)
    if len(members) > limits.max_zip_members:
        raise DataError("ingest.error.too_many_members", name=name, count=len(members), limit=limits.max_zip_members)
    tables: list[RawTable] = []
    budget = limits.max_inflated_bytes
    for info in members:
        # Declared sizes can lie, so count what actually comes out; the budget is shared by all members.
        try:
            with zf.open(info) as fh:
                content = _read_capped(fh.read, budget, name, limits.max_inflated_mb)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib.error, ValueError) as exc:
            raise DataError("ingest.error.corrupt_archive", name=name) from exc
        budget -= len(content)
        member_name = f"{name}/{info.filename}"
        for t in read_upload(member_name, content, _inner_limits(limits), encoding):
            t.format.compression = t.format.compression or "zip"
            tables.append(t)
    return tables


def _read_xlsx(name: str, data: bytes, zf: zipfile.ZipFile, limits: IngestLimits) -> RawTable:
    budget = limits.max_inflated_bytes
    try:
        for info in zf.infolist():  # inflate once to count real sizes: openpyxl would trust the declared ones
            with zf.open(info) as fh:
                while chunk := fh.read(min(_CHUNK, budget + 1)):
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


# ------------------------------------------------------------------------------------------------ text files


def _refuse_binary(name: str, data: bytes, encoding: str | None = None) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DataError("ingest.error.binary_file", name=name, kind=what)
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # NUL bytes are what UTF-16/32 text is made of: read it when the user says so, or when it looks like it.
        chosen = (encoding or "").lower().replace("_", "-")
        if not chosen.startswith(("utf-16", "utf16", "utf-32", "utf32")) and _bomless_utf16(head) is None:
            raise DataError("ingest.error.binary_file", name=name, kind=Msg("ingest.kind.binary"))


def _bomless_utf16(head: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for UTF-16 text without a byte-order mark, told by where its NULs are: mostly
    Latin text has a NUL in every other byte, always at odd (LE) or even (BE) offsets; binary data has them anywhere."""
    head = head[: len(head) // 2 * 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, other, enc in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) * 10 <= zeros.count(0):  # 一 is 0x4E00: a few
            try:
                head.decode(enc)
            except UnicodeDecodeError:
                continue
            return enc
    return None


def _valid_utf8(chunk: bytes, final: bool) -> bool:
    """True if ``chunk`` is UTF-8; a sequence cut by the chunk's end is allowed unless ``final``."""
    if chunk.isascii():
        return True
    try:
        codecs.utf_8_decode(chunk, "strict", final)
        return True
    except UnicodeDecodeError:
        return False


def _utf8_sample_ok(data: bytes) -> bool:
    """UTF-8 check on the head and the tail of the file; the reader validates everything in between."""
    if len(data) <= _SNIFF_BYTES + _TAIL_BYTES:
        return _valid_utf8(data, True)
    if not _valid_utf8(data[:_SNIFF_BYTES], False):
        return False
    tail = data[-_TAIL_BYTES:]
    cut = tail.find(b"\n")
    return _valid_utf8(tail[cut + 1 :] if cut >= 0 else tail[4:], True)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 by BOM, else the best of GB18030, Big5 and cp1252 by charset-normalizer."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in data[:8192] and (utf16 := _bomless_utf16(data[:8192])):
        return utf16
    if _utf8_sample_ok(data):
        return "utf-8"
    return _detect_legacy_encoding(data)


def _detect_legacy_encoding(data: bytes) -> str:
    # Sample where the non-ASCII text is: a file may be plain ASCII for its first thousand lines.
    first = re.search(rb"[\x80-\xff]", data)
    start = data.rfind(b"\n", 0, first.start()) + 1 if first else 0
    sample = data[start : start + _SNIFF_BYTES]
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp1252"]).best()
    if best is None:
        return "cp1252"
    enc = best.encoding.replace("_", "-").lower()
    return {"gb2312": "gb18030", "gbk": "gb18030", "windows-1252": "cp1252", "ascii": "cp1252"}.get(enc, enc)


def _to_utf8(name: str, data: bytes, encoding: str, forced: bool) -> tuple[bytes, str]:
    """The file's bytes as UTF-8 (BOM removed) and the encoding they were read with."""
    enc = encoding.lower().replace("_", "-")
    if enc in ("utf-8", "utf8", "utf-8-sig"):
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if forced and not _valid_utf8(body, True):
            raise DataError("ingest.error.wrong_encoding", name=name, encoding=encoding)
        return body, ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        if forced:
            raise DataError("ingest.error.wrong_encoding", name=name, encoding=encoding) from exc
        for fallback in ("gb18030", "cp1252", "latin-1"):  # the guess was wrong: take the first that reads
            try:
                text, enc = data.decode(fallback), fallback
                break
            except UnicodeDecodeError:
                continue
    return text.lstrip("\ufeff").encode("utf-8"), enc


def _split_lines(text: str, limit: int) -> list[str]:
    lines = []
    for i, line in enumerate(io.StringIO(text, newline="\n")):
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
    return bool(_NUMERIC_CELL_RE.fullmatch(cell)) and any(ch.isdigit() for ch in cell)


def _data_width(counts: list[int]) -> int:
    tail = [c for c in counts[min(len(counts) - 1, 5) :] if c > 1] or [c for c in counts if c > 0]
    return Counter(tail).most_common(1)[0][0] if tail else 0


def detect_header_line(lines: list[str], delimiter: str) -> int:
    """Index of the header: the first line as wide as the data whose cells are mostly labels, not numbers."""
    counts = [len(_fields(ln, delimiter)) if ln.strip() else 0 for ln in lines]
    width = _data_width(counts)
    if not width:
        return 0
    for slack in (0, 1):  # a header exactly as wide as the data first, then one with a missing/extra last cell
        for i, (line, count) in enumerate(zip(lines[:50], counts[:50], strict=False)):
            if abs(count - width) > slack or count < 2:
                continue
            filled = [c.strip() for c in _fields(line, delimiter) if c.strip()]
            if len(filled) >= max(1, width // 2) and sum(_looks_numeric(c) for c in filled) <= len(filled) // 3:
                return i
    return 0


def _is_footer(cells: list[str], width: int) -> bool:
    """A totals line ('Total', '合计', ...) or a short note line after the data."""
    filled = [c.strip() for c in cells if c and c.strip()]
    if not filled:
        return False
    return bool(_TOTALS_RE.match(filled[0])) or len(cells) < max(2, width // 2)


def _find_footer(text_bytes: bytes, body_start: int, delimiter: str, width: int) -> tuple[int, int]:
    """(byte offset where the footer starts, number of non-blank footer lines) at the end of a text file."""
    end = len(text_bytes)
    footer_start, count = end, 0
    pos = end
    floor = max(body_start, end - _TAIL_BYTES)
    while pos > floor and count <= _MAX_FOOTER_LINES:
        # The line that ends at pos (a final newline ends the last line rather than starting an empty one).
        line_end = pos - 1 if text_bytes[pos - 1 : pos] == b"\n" else pos
        newline = text_bytes.rfind(b"\n", floor, line_end)
        if newline < 0 and floor > body_start:
            break  # the line starts before the tail window: it is data
        line_start = newline + 1 if newline >= 0 else body_start
        line = text_bytes[line_start:line_end].decode("utf-8", errors="ignore").rstrip("\r")
        if line.strip():
            if line.count('"') % 2 or not _is_footer(_fields(line, delimiter), width):
                break  # data, or the end of a quoted multi-line value
            count += 1
        footer_start = pos = line_start
    return footer_start, count


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


def _fit_header(header: list[str], lines: list[str], delimiter: str) -> list[str]:
    """Match the header's width to the data's: exports often end every data line, or only the header, with a
    delimiter, which would otherwise make every row malformed."""
    counts = [len(_fields(ln, delimiter)) for ln in lines if ln.strip()]
    if not counts:
        return header
    width = Counter(counts).most_common(1)[0][0]
    if width == len(header) + 1:
        return [*header, ""]
    while len(header) > width and not header[-1].strip():
        header = header[:-1]
    return header


def _read_text_table(name: str, data: bytes, limits: IngestLimits, encoding: str | None) -> RawTable:
    enc = encoding or detect_encoding(data)
    text_bytes, enc = _to_utf8(name, data, enc, forced=encoding is not None)
    try:
        return _parse_text(name, text_bytes, enc, limits)
    except _NotUtf8 as exc:
        if encoding is not None:
            raise DataError("ingest.error.wrong_encoding", name=name, encoding=encoding) from exc
        # The sampled head and tail were UTF-8 but the middle is not: detect on the whole file.
        enc = _detect_legacy_encoding(data)
        text_bytes, enc = _to_utf8(name, data, enc, forced=False)
        return _parse_text(name, text_bytes, enc, limits)


class _NotUtf8(Exception):
    pass


def _parse_text(name: str, text_bytes: bytes, enc: str, limits: IngestLimits) -> RawTable:
    head_text = codecs.utf_8_decode(text_bytes[:_SNIFF_BYTES], "replace", False)[0]
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
    header = _fit_header(header, lines[header_idx + 1 :], delimiter)
    if len(header) < 2:
        raise DataError("ingest.error.one_column", name=name)

    start = 0
    for _ in range(header_idx + 1):
        start = text_bytes.find(b"\n", start) + 1
        if start == 0:
            start = len(text_bytes)
            break
    body_end, footer = _find_footer(text_bytes, start, delimiter, len(header))
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
    columns = _unique_names(header)
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
    while body and footer < _MAX_FOOTER_LINES:
        filled = [c for c in body[-1] if c is not None and c.strip()]
        if not (_TOTALS_RE.match(filled[0].strip()) or len(filled) < max(2, width // 2)):
            break
        body.pop()
        footer += 1
    fmt.header_line = fmt.skipped_title_lines = header_idx
    fmt.skipped_footer_lines = footer
    columns = _unique_names([h or "" for h in header])
    arrays = [pa.array([r[j] for r in body], type=pa.string()) for j in range(width)]
    return RawTable(table=pa.table(arrays, names=columns), format=fmt, source_columns=columns)
