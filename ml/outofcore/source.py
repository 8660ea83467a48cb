"""Files on disk -> UTF-8 text regions read as a stream of Arrow record batches, never the whole file in memory.

The same detection as ``ml.ingest`` (encoding, delimiter, title lines, header, totals footer, row estimate) runs on
the head and the tail of each file; archives (gzip, zip) are inflated to a work folder under the caps, and text in
another encoding is transcoded there to UTF-8, chunk by chunk. What comes out is a list of ``TextSource``: a byte
range of a UTF-8 file with its column names and ``FileFormat``, read with ``iter_batches``.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ml.ingest import NULL_VALUES, FileFormat, detect_encoding
from ml.ingest.archives import data_members
from ml.ingest.encoding import detect_legacy_encoding
from ml.ingest.formats import SNIFF_BYTES, TAIL_BYTES
from ml.ingest.layout import find_footer, unique_names
from ml.ingest.text import _NON_SPACE, detect_layout
from ml.ingest.upload import _MAGIC, _OLE, _ZIP_EMPTY, _refuse_binary
from ml.limits import IngestLimits
from ml.schema import DataError

BLOCK_BYTES = 4 * 2**20  # one record batch of text: the streaming reader holds ~40 blocks (measured 170 MB at 4 MB)
_CHUNK = 4 * 2**20


class NotUtf8(Exception):
    """The head and tail read as UTF-8 but the middle does not: read the file again in a legacy encoding."""


class Unsupported(Exception):
    """A file this path does not read (a workbook): the caller uses the in-memory path."""


@dataclass
class TextSource:
    path: Path  # UTF-8 text (the file itself, or a copy inflated/transcoded into the work folder)
    start: int  # first byte of the first data line
    end: int  # end of the data (the totals footer excluded)
    columns: list[str]
    format: FileFormat
    newlines_in_values: bool


# ------------------------------------------------------------------------------------------------ containers


def _copy_capped(read, out: Path, budget: int, name: str, limit_mb: int) -> int:
    written = 0
    with open(out, "wb") as fh:
        while chunk := read(min(_CHUNK, budget - written + 1)):
            written += len(chunk)
            if written > budget:
                raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limit_mb)
            fh.write(chunk)
    return written


class Inflater:
    """Unpacks archives into ``workdir`` while counting what comes out against the caps of one upload."""

    def __init__(self, workdir: Path, limits: IngestLimits) -> None:
        self.workdir = workdir
        self.limits = limits
        self.unpacked = 0
        self._n = 0

    def _target(self) -> Path:
        self._n += 1
        return self.workdir / f"part{self._n}"

    def _budget(self, name: str) -> int:
        left = min(self.limits.max_inflated_bytes, self.limits.max_total_inflated_bytes - self.unpacked)
        if left < 2**20:
            raise DataError("ingest.error.total_too_large", name=name, limit_mb=self.limits.max_total_inflated_mb)
        return left

    def expand(self, name: str, path: Path, inner: bool = False) -> list[tuple[str, Path, str | None]]:
        """(name, plain file, compression) for each table inside ``path`` (``inner``: unpacked from an archive,
        already counted against the unpacked caps)."""
        size = path.stat().st_size
        if size > self.limits.max_upload_bytes and not inner:
            raise DataError("ingest.error.file_too_large", name=name, size_mb=round(size / 2**20),
                            limit_mb=self.limits.max_upload_mb)
        with open(path, "rb") as fh:
            head = fh.read(8192)
        if not head.strip() and size <= len(head):
            raise DataError("ingest.error.empty_file", name=name)
        if head[:2] == b"\x1f\x8b":
            out = self._target()
            try:
                with gzip.open(path, "rb") as gz:
                    self.unpacked += _copy_capped(gz.read, out, self._budget(name), name, self.limits.max_inflated_mb)
            except (OSError, EOFError, zlib.error) as exc:
                raise DataError("ingest.error.corrupt_archive", name=name) from exc
            inner_name = name[:-3] if name.lower().endswith(".gz") else name
            return [(n, p, "gzip") for n, p, _ in self.expand(inner_name, out, inner=True)]
        if head[:4] == _ZIP_EMPTY:
            raise DataError("ingest.error.empty_archive", name=name)
        if head[:4] == b"PK\x03\x04":
            return self._expand_zip(name, path)
        if head.startswith(_OLE):
            raise Unsupported(name)
        return [(name, path, None)]

    def _expand_zip(self, name: str, path: Path) -> list[tuple[str, Path, str | None]]:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise DataError("ingest.error.corrupt_archive", name=name) from exc
        found = []
        with zf:
            names = zf.namelist()
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                raise Unsupported(name)
            members = data_members(name, zf, self.limits)
            for info in members:
                out = self._target()
                try:
                    with zf.open(info) as fh:
                        self.unpacked += _copy_capped(fh.read, out, self._budget(name), name,
                                                      self.limits.max_inflated_mb)
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib.error, ValueError) as exc:
                    raise DataError("ingest.error.corrupt_archive", name=name) from exc
                for n, p, comp in self.expand(f"{name}/{info.filename}", out, inner=True):
                    found.append((n, p, comp or "zip"))
        return found


# ------------------------------------------------------------------------------------------------ text


def _probe(path: Path) -> bytes:
    """The head and the tail of a file: what ``detect_encoding`` looks at."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size <= SNIFF_BYTES + TAIL_BYTES:
            return fh.read()
        head = fh.read(SNIFF_BYTES)
        fh.seek(size - TAIL_BYTES)
        return head + fh.read()


def _legacy_sample(path: Path) -> bytes:
    """From the line holding the first non-ASCII byte: what ``detect_legacy_encoding`` samples."""
    with open(path, "rb") as fh:
        pos = 0
        while chunk := fh.read(_CHUNK):
            hit = next((i for i, b in enumerate(chunk) if b >= 0x80), None) if not chunk.isascii() else None
            if hit is not None:
                fh.seek(max(0, pos + hit - 64 * 1024))
                return fh.read(64 * 1024 + SNIFF_BYTES)
            pos += len(chunk)
    return b""


def _transcode(path: Path, out: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    first = True
    with open(path, "rb") as src, open(out, "wb") as dst:
        while True:
            chunk = src.read(_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if first and text:
                text, first = text.lstrip("\ufeff"), False
            dst.write(text.encode("utf-8"))
            if not chunk:
                return


def to_utf8(name: str, path: Path, workdir: Path, encoding: str | None, legacy: bool) -> tuple[Path, int, str]:
    """(UTF-8 file, offset of its text, encoding read with), like ``ml.ingest.encoding.to_utf8`` but on disk."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise DataError("ingest.error.binary_file", name=name, kind=what)
    _refuse_binary(name, head, encoding)
    if legacy:
        enc = detect_legacy_encoding(_legacy_sample(path))
    else:
        enc = encoding or detect_encoding(_probe(path))
    norm = enc.lower().replace("_", "-")
    if norm in ("utf-8", "utf8", "utf-8-sig"):
        bom = head.startswith(b"\xef\xbb\xbf")
        return path, 3 if bom else 0, "utf-8-sig" if bom else "utf-8"
    out = workdir / f"{path.name}.utf8"
    try:
        _transcode(path, out, enc)
    except (UnicodeDecodeError, LookupError) as exc:
        if encoding is not None:
            raise DataError("ingest.error.wrong_encoding", name=name, encoding=encoding) from exc
        for fallback in ("gb18030", "cp1252", "latin-1"):
            try:
                _transcode(path, out, fallback)
                enc = fallback
                break
            except UnicodeDecodeError:
                continue
    return out, 0, enc


def describe_text(name: str, path: Path, offset: int, enc: str, limits: IngestLimits) -> TextSource:
    """Header, title lines and footer of a UTF-8 file, as ``ml.ingest.text._parse_text`` finds them."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(offset)
        head_bytes = fh.read(SNIFF_BYTES)
        text_len = size - offset
        tail_off = max(0, text_len - TAIL_BYTES - 4096)
        fh.seek(offset + tail_off)
        tail = fh.read()
    lines, delimiter, header_idx, header, start = detect_layout(name, head_bytes, text_len, limits)
    rel_start = max(0, start - tail_off)
    footer_rel, footer = find_footer(tail, rel_start, delimiter, len(header))
    body_end = tail_off + footer_rel
    with open(path, "rb") as fh:
        fh.seek(offset + start)
        found = False
        pos = start
        while pos < body_end and not found:
            chunk = fh.read(min(_CHUNK, body_end - pos))
            if not chunk:
                break
            found = _NON_SPACE.search(chunk) is not None
            pos += len(chunk)
    if not found:
        raise DataError("ingest.error.no_rows", name=name)
    sniffed = sum(len(ln) + 1 for ln in lines[header_idx + 1 :]) or 1
    per_line = sniffed / max(1, len(lines) - header_idx - 1)
    if (body_end - start) / per_line > 1.5 * limits.max_rows + 10:
        raise DataError("ingest.error.too_many_rows", name=name, limit=limits.max_rows)
    fmt = FileFormat(name=name, encoding=enc, delimiter=delimiter, header_line=header_idx,
                     skipped_title_lines=header_idx, skipped_footer_lines=footer)
    quoted = _has_quote(path, offset + start, offset + body_end)
    return TextSource(path=path, start=offset + start, end=offset + body_end, columns=unique_names(header),
                      format=fmt, newlines_in_values=quoted)


def _has_quote(path: Path, start: int, end: int) -> bool:
    with open(path, "rb") as fh:
        fh.seek(start)
        pos = start
        while pos < end:
            chunk = fh.read(min(_CHUNK, end - pos))
            if not chunk:
                return False
            if b'"' in chunk:
                return True
            pos += len(chunk)
    return False


class _Region(io.RawIOBase):
    """Bytes ``start..end`` of a file, as a readable stream."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._fh.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self._left)
        if n <= 0:
            return 0
        got = self._fh.readinto(memoryview(buffer)[:n])
        self._left -= got
        return got

    def close(self) -> None:
        self._fh.close()
        super().close()


def iter_batches(source: TextSource, columns: list[str] | None = None, bad: dict | None = None,
                 block_bytes: int = BLOCK_BYTES) -> Iterator[pa.RecordBatch]:
    """The data lines as record batches of strings (``columns``: only these, in this order). ``bad`` counts the
    lines whose number of fields differs from the header's (``rows``, and ``short``)."""
    counts = bad if bad is not None else {}
    counts.setdefault("rows", 0)
    counts.setdefault("short", 0)

    def skip(row: pacsv.InvalidRow) -> str:
        counts["rows"] += 1
        counts["short"] += row.actual_columns < row.expected_columns
        return "skip"

    if source.end <= source.start:
        return
    wanted = columns or source.columns
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in wanted}, strings_can_be_null=True,
                                   null_values=NULL_VALUES, quoted_strings_can_be_null=True,
                                   include_columns=wanted)
    region = _Region(source.path, source.start, source.end)
    try:
        reader = pacsv.open_csv(
            pa.PythonFile(io.BufferedReader(region, 2**20), mode="r"),
            read_options=pacsv.ReadOptions(column_names=source.columns, block_size=block_bytes, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=source.format.delimiter,
                                             newlines_in_values=source.newlines_in_values, invalid_row_handler=skip),
            convert_options=convert,
        )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            yield batch
            del batch
            pa.default_memory_pool().release_unused()  # the reader's freed blocks back to the system
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            raise NotUtf8(str(exc)) from exc
        raise DataError("ingest.error.unparseable", name=source.format.name) from exc
    finally:
        region.close()
