"""Unpacking gzip and zip uploads under the inflation caps: what comes out is counted, never what the archive
declares, and archives built to attack whoever unpacks them are refused."""

from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Iterator

from ml.ingest.formats import CHUNK
from ml.limits import IngestLimits
from ml.schema import DataError


def _read_capped(read, budget: int, name: str, limit_mb: int) -> bytes:
    """Read a stream to its end, refusing as soon as more than ``budget`` bytes come out."""
    out = io.BytesIO()
    while True:
        chunk = read(min(CHUNK, budget - out.tell() + 1))
        if not chunk:
            return out.getvalue()
        out.write(chunk)
        if out.tell() > budget:
            raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limit_mb)


def gunzip_capped(data: bytes, name: str, limits: IngestLimits) -> bytes:
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


def data_members(name: str, zf: zipfile.ZipFile, limits: IngestLimits) -> list[zipfile.ZipInfo]:
    """The data files of a zip (no folders, no hidden or system files); the archive is refused if a member path is
    unsafe, or it holds no data file or more than ``max_zip_members`` (uploads and ``ml.outofcore`` share this)."""
    for info in zf.infolist():
        if _unsafe_member(info.filename):
            raise DataError("ingest.error.unsafe_member", name=name, member=info.filename[:200])
    members = [i for i in zf.infolist() if not i.is_dir() and not _hidden_member(i.filename)]
    if not members:
        raise DataError("ingest.error.empty_archive", name=name)
    if len(members) > limits.max_zip_members:
        raise DataError("ingest.error.too_many_members", name=name, count=len(members), limit=limits.max_zip_members)
    return members


def zip_members(name: str, zf: zipfile.ZipFile, limits: IngestLimits) -> Iterator[tuple[str, bytes]]:
    """(``name/member``, its bytes) for each data file of a zip, one at a time; the archive is refused first if a
    member path is unsafe, or it holds no data file or more than ``max_zip_members``."""
    members = data_members(name, zf, limits)
    budget = limits.max_inflated_bytes
    for info in members:
        # Declared sizes can lie, so count what actually comes out; the budget is shared by all members.
        try:
            with zf.open(info) as fh:
                content = _read_capped(fh.read, budget, name, limits.max_inflated_mb)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib.error, ValueError) as exc:
            raise DataError("ingest.error.corrupt_archive", name=name) from exc
        budget -= len(content)
        yield f"{name}/{info.filename}", content
