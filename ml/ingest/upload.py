"""Uploaded bytes -> tables of strings, with the detected file format: what kind of file it is, then the reader
for it (``archives``, ``excel``, ``text``).

Handles CSV/TSV/semicolon/pipe text in UTF-8 (with or without BOM), UTF-16, GBK/GB18030, Big5 and cp1252; gzip and
zip compression; Excel .xlsx. Every cap in ``ml.limits`` is enforced while reading.
"""

from __future__ import annotations

import io
import re
import zipfile

from ml.i18n import Msg
from ml.ingest.archives import gunzip_capped, zip_members
from ml.ingest.encoding import bomless_utf16
from ml.ingest.excel import read_xlsx
from ml.ingest.formats import CHUNK, RawTable
from ml.ingest.text import read_text_table
from ml.limits import LIMITS, IngestLimits
from ml.schema import DataError

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
    if not re.search(rb"\S", data[:CHUNK]) and not data[CHUNK:].strip():
        raise DataError("ingest.error.empty_file", name=name)
    lower = name.lower()
    if data[:2] == b"\x1f\x8b":
        inner = gunzip_capped(data, name, limits)
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
                return [read_xlsx(name, data, zf, limits)]
            tables: list[RawTable] = []
            for member_name, content in zip_members(name, zf, limits):
                for t in read_upload(member_name, content, _inner_limits(limits), encoding):
                    t.format.compression = t.format.compression or "zip"
                    tables.append(t)
            return tables
    if data.startswith(_OLE) and (lower.endswith(".xls") or _looks_like_old_workbook(data)):
        raise DataError("ingest.error.old_excel", name=name)
    _refuse_binary(name, data, encoding)
    return [read_text_table(name, data, limits, encoding)]


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


def _refuse_binary(name: str, data: bytes, encoding: str | None = None) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DataError("ingest.error.binary_file", name=name, kind=what)
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # NUL bytes are what UTF-16/32 text is made of: read it when the user says so, or when it looks like it.
        chosen = (encoding or "").lower().replace("_", "-")
        if not chosen.startswith(("utf-16", "utf16", "utf-32", "utf32")) and bomless_utf16(head) is None:
            raise DataError("ingest.error.binary_file", name=name, kind=Msg("ingest.kind.binary"))
