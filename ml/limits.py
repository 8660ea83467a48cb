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
# which needs its unpacked size free; the cleaned Parquet is a fraction of the text) and by time.
# - Exports DuckDB reads as ml.ingest does (header on line 1, well-formed quoting, ISO days, plain or grouped
#   numbers with a decimal point or comma, any encoding via a UTF-8 copy: ml/outofcore/sqlclean.py)
#   are cleaned in DuckDB SQL within a fixed memory_limit (512 MB), spilling its table (~93 bytes a line of typed
#   columns: ~2.3 GB at the cap) to the temporary folder. Measured (bench/RESULTS.md, "Out-of-core ingest in DuckDB
#   SQL", 2026-12-01): 20M lines (0.84 GB) profile in 30-54 s on 2 shared cores with the process tree at 1,158 MB;
#   what grows with the lines beyond DuckDB's limit is the control totals' day order and one measure
#   (ml/outofcore/sqltotals.py: 12 bytes a line and one block of 4M rows; 16 bytes before), so SQL_MAX_ROWS = 25M
#   keeps the parse worker near 1.15 GB, inside the 1.5 GB parse budget, and the profile near a minute.
# - Other files take the batch path, whose typed columns and whole-table steps need ~200 bytes a line at their peak
#   (the parse worker 1.22 GB on the 5.4M-line near-cap zip): BATCH_MAX_ROWS lines fit in the 1.5 GB budget.
BATCH_MAX_ROWS = 6_000_000
SQL_MAX_ROWS = 25_000_000
DISK_LIMITS = IngestLimits(
    max_upload_mb=16 * 1024,
    max_inflated_mb=16 * 1024,
    max_rows=SQL_MAX_ROWS,
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
