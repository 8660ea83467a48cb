"""Where the table is inside a text file: the delimiter, the header line below any report title, the totals and
notes below the data, and usable column names."""

from __future__ import annotations

import csv
import re
from collections import Counter

from ml.ingest.formats import TAIL_BYTES

DELIMITERS = (",", ";", "\t", "|")
MAX_FOOTER_LINES = 20
TOTALS_RE = re.compile(
    r"^\W*(grand\s+)?(total|totals|sum|subtotal|summe|gesamt|合计|总计|小计|汇总|總計|合計)\b", re.IGNORECASE
)
_NUMERIC_CELL_RE = re.compile(r"[\s$€£¥￥%+\-−().,'\d]+")


def split_fields(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return line.split(delimiter)


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most columns consistently across the sample lines."""
    body = [ln for ln in lines if ln.strip()][:200]
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        counts = [len(split_fields(ln, delim)) for ln in body]
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
    counts = [len(split_fields(ln, delimiter)) if ln.strip() else 0 for ln in lines]
    width = _data_width(counts)
    if not width:
        return 0
    for slack in (0, 1):  # a header exactly as wide as the data first, then one with a missing/extra last cell
        for i, (line, count) in enumerate(zip(lines[:50], counts[:50], strict=False)):
            if abs(count - width) > slack or count < 2:
                continue
            filled = [c.strip() for c in split_fields(line, delimiter) if c.strip()]
            if len(filled) >= max(1, width // 2) and sum(_looks_numeric(c) for c in filled) <= len(filled) // 3:
                return i
    return 0


def _is_footer(cells: list[str], width: int) -> bool:
    """A totals line ('Total', '合计', ...) or a short note line after the data."""
    filled = [c.strip() for c in cells if c and c.strip()]
    if not filled:
        return False
    return bool(TOTALS_RE.match(filled[0])) or len(cells) < max(2, width // 2)


def find_footer(text_bytes: bytes, body_start: int, delimiter: str, width: int) -> tuple[int, int]:
    """(byte offset where the footer starts, number of non-blank footer lines) at the end of a text file."""
    end = len(text_bytes)
    footer_start, count = end, 0
    pos = end
    floor = max(body_start, end - TAIL_BYTES)
    while pos > floor and count <= MAX_FOOTER_LINES:
        # The line that ends at pos (a final newline ends the last line rather than starting an empty one).
        line_end = pos - 1 if text_bytes[pos - 1 : pos] == b"\n" else pos
        newline = text_bytes.rfind(b"\n", floor, line_end)
        if newline < 0 and floor > body_start:
            break  # the line starts before the tail window: it is data
        line_start = newline + 1 if newline >= 0 else body_start
        line = text_bytes[line_start:line_end].decode("utf-8", errors="ignore").rstrip("\r")
        if line.strip():
            if line.count('"') % 2 or not _is_footer(split_fields(line, delimiter), width):
                break  # data, or the end of a quoted multi-line value
            count += 1
        footer_start = pos = line_start
    return footer_start, count


def unique_names(names: list[str]) -> list[str]:
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


def fit_header(header: list[str], lines: list[str], delimiter: str) -> list[str]:
    """Match the header's width to the data's: exports often end every data line, or only the header, with a
    delimiter, which would otherwise make every row malformed."""
    counts = [len(split_fields(ln, delimiter)) for ln in lines if ln.strip()]
    if not counts:
        return header
    width = Counter(counts).most_common(1)[0][0]
    if width == len(header) + 1:
        return [*header, ""]
    while len(header) > width and not header[-1].strip():
        header = header[:-1]
    return header
