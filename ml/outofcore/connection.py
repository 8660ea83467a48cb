"""One way to open DuckDB: an in-process connection bounded in memory and threads, spilling to a folder on disk past
its memory limit. The streamed ingest (``ml.outofcore.sqlclean``, ``ml.outofcore.cleaner``) and the queries over a
saved dataset (``ml.pushdown.table``) all open theirs here."""

from __future__ import annotations

import tempfile
from pathlib import Path

SPILL_FOLDER = "saleslens-duckdb"  # under the system's temporary folder when the caller names none


def connect_duckdb(memory_mb: int, threads: int, spill: Path | None = None, keep_order: bool = False):
    """A new in-memory DuckDB connection: ``memory_mb`` of working memory, ``threads`` threads, its temporary data
    in ``spill`` (created; default the shared ``SPILL_FOLDER``). ``keep_order``: a table read from a file keeps its
    lines in file order (the ingest numbers lines by rowid); queries that only aggregate leave it off."""
    import duckdb

    if spill is None:
        spill = Path(tempfile.gettempdir()) / SPILL_FOLDER
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config={
        "memory_limit": f"{memory_mb}MB", "threads": threads, "temp_directory": str(spill),
        "preserve_insertion_order": keep_order,
    })
    con.execute("SET enable_progress_bar = false")
    return con
