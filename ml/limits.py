"""Every cap on user input, in one place.

The ingestion code enforces these while it reads (decompression stops at the inflated cap, rows and columns are
counted before parsing), so an oversized upload costs little memory before it is refused.
``.streamlit/config.toml``'s ``server.maxUploadSize`` mirrors ``max_upload_mb`` (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IngestLimits:
    max_upload_mb: int = 200  # one uploaded file, as sent
    max_inflated_mb: int = 1024  # after gzip/zip/xlsx decompression
    max_rows: int = 5_000_000
    max_columns: int = 500
    max_files: int = 36  # e.g. three years of monthly exports
    max_zip_members: int = 100
    max_total_inflated_mb: int = 1024  # all files of one upload together, unpacked
    parse_memory_mb: int = 2048  # resident memory one parse may use (ml/isolated.py; SALESLENS_PARSE_MEMORY_MB)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_inflated_bytes(self) -> int:
        return self.max_inflated_mb * 1024 * 1024

    @property
    def max_total_inflated_bytes(self) -> int:
        return self.max_total_inflated_mb * 1024 * 1024


LIMITS = IngestLimits()  # what a browser may upload

# Files read from disk (``python -m ml profile|import FILE``; ml/outofcore): no upload in between, and the file is
# streamed, never held in memory, so the caps are what the disk and the time allow. An archive is unpacked into the
# temporary folder (free space there must exceed the unpacked size) and the cleaned Parquet is ~1/5 of the text.
# Rows are bounded by the parse budget: the typed columns take ~60-100 bytes a line (20M lines fit in 1.5 GB), and
# by time: ~2-3 s per million lines on 2 busy cores (bench/RESULTS.md, issue 17).
DISK_LIMITS = IngestLimits(
    max_upload_mb=16 * 1024,
    max_inflated_mb=16 * 1024,
    max_rows=25_000_000,
    max_total_inflated_mb=16 * 1024,
)
