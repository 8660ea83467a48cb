"""The types every reader of ``ml.ingest`` returns, and the read sizes the readers share."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pyarrow as pa

CHUNK = 2**20  # bytes read or inflated at a time
SNIFF_BYTES = 256 * 1024  # head of a text file sampled for its encoding, delimiter and header
TAIL_BYTES = 64 * 1024  # end of a text file sampled for its encoding and a totals footer


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

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON data (the stored form; ``to_json_dict`` is the printed one)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileFormat:
        """The format ``to_dict`` wrote; unknown keys are ignored, missing ones take their defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class RawTable:
    """One table of string values as found in a file (before mapping)."""

    table: pa.Table
    format: FileFormat
    source_columns: list[str] = field(default_factory=list)
