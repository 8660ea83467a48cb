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
    parse_memory_mb: int = 1536  # resident memory one parse may use (ml/isolated.py; SALESLENS_PARSE_MEMORY_MB):
    # with the server's ~0.5 GB, the server and its parse worker stay under 2 GB together
    query_timeout_s: int = 300  # one database query, to its last row (ml/sources/sql.py)

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

# Files read from disk (``python -m ml profile|import FILE``; ml/outofcore): no upload in between and the text is
# streamed, never held in memory, so size is bounded by the disk (an archive is unpacked into the temporary folder,
# which needs its unpacked size free; the cleaned Parquet is a fraction of the text) and by time (the streamed path
# reads ~1 GB of text in 1-8 minutes on 2 cores, depending on their load). Rows are bounded by the parse budget: the
# typed columns and the cleaning steps over all rows need ~200 bytes a line at their peak (measured: the parse
# worker 1.22 GB on the 5.4M-line near-cap zip), so 6M lines fit in the default 1.5 GB (bench/RESULTS.md, issue 17).
DISK_LIMITS = IngestLimits(
    max_upload_mb=16 * 1024,
    max_inflated_mb=16 * 1024,
    max_rows=6_000_000,
    max_total_inflated_mb=16 * 1024,
)

# Saved datasets from this many lines up are not read into pandas by the Explore and Forecast pages or the CLI: their
# aggregates are computed by DuckDB over the dataset's Parquet (``ml/pushdown``), within ``memory_mb`` and
# ``threads`` (spilling to the temporary folder beyond). A frame costs ~0.25 GB per million lines with text ids
# (measured: 1.2 GB for 5M lines read and coded, against 0.6 GB for the same page aggregates in place; bench/RESULTS.md,
# "Explore and Forecast on a saved multi-million-line dataset"), so 2M lines are ~0.5 GB. Below that the frame is
# kept: once read, it answers the distinct counts of the KPI cards sooner (5M lines: 8.0 s against 14.2 s in place).


@dataclass(frozen=True)
class PushdownLimits:
    min_rows: int = 2_000_000  # a saved dataset from this many lines up is queried in place
    memory_mb: int = 512  # DuckDB's memory_limit per query; beyond it, it spills to ``temp_directory``
    threads: int = 2


PUSHDOWN = PushdownLimits()
