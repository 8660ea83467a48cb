"""Which encoding a text file is in, and its bytes as UTF-8: UTF-8 (with or without BOM), UTF-16 (by BOM, or told
by where its NUL bytes are), else the best of GB18030, Big5 and cp1252."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from ml.ingest.formats import SNIFF_BYTES, TAIL_BYTES
from ml.schema import DataError


def bomless_utf16(head: bytes) -> str | None:
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
    if len(data) <= SNIFF_BYTES + TAIL_BYTES:
        return _valid_utf8(data, True)
    if not _valid_utf8(data[:SNIFF_BYTES], False):
        return False
    tail = data[-TAIL_BYTES:]
    cut = tail.find(b"\n")
    return _valid_utf8(tail[cut + 1 :] if cut >= 0 else tail[4:], True)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 by BOM, else the best of GB18030, Big5 and cp1252 by charset-normalizer."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in data[:8192] and (utf16 := bomless_utf16(data[:8192])):
        return utf16
    if _utf8_sample_ok(data):
        return "utf-8"
    return detect_legacy_encoding(data)


def detect_legacy_encoding(data: bytes) -> str:
    # Sample where the non-ASCII text is: a file may be plain ASCII for its first thousand lines.
    first = re.search(rb"[\x80-\xff]", data)
    start = data.rfind(b"\n", 0, first.start()) + 1 if first else 0
    sample = data[start : start + SNIFF_BYTES]
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "cp1252"]).best()
    if best is None:
        return "cp1252"
    enc = best.encoding.replace("_", "-").lower()
    return {"gb2312": "gb18030", "gbk": "gb18030", "windows-1252": "cp1252", "ascii": "cp1252"}.get(enc, enc)


def to_utf8(name: str, data: bytes, encoding: str, forced: bool) -> tuple[bytes, str]:
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
