"""Putting right what a crash or a damaged database left: stale staging folders, folders without a registry row, a
SQLite registry that no longer opens.

Every folder is built in ``.staging/`` and renamed into place, then its row is committed, so a row always points at
a complete folder; a crash between the two leaves an unlisted folder that ``relist_folders`` indexes again.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ml.schema import DataError
from ml.workspace.files import clean_leftovers
from ml.workspace.formats import ID, RUN_KINDS, Storage, read_json, valid_owner
from ml.workspace.runs import validate_run_doc

if TYPE_CHECKING:
    from ml.workspace.registry import Registry

_log = logging.getLogger(__name__)
RELIST_AFTER_SECONDS = 120.0  # an unlisted folder this old is a crash's leftover, not a save in flight elsewhere


def tidy_on_open(root: Path, registry: Registry) -> None:
    """Put right what a crash left, once per process when the registry opens: stale staging folders and
    session-pointer temporary files go, and run or dataset folders whose row was never committed are listed
    again (two folder listings and one query; only the unlisted folders are read). Folders younger than
    ``RELIST_AFTER_SECONDS`` may be a save still in flight in another process and wait for a later open."""
    try:
        if root.is_dir():
            clean_leftovers(root)
        runs, sets = relist_folders(root, registry, min_age=RELIST_AFTER_SECONDS)
        if runs or sets:
            _log.warning("workspace: listed %d run and %d dataset folders again that a crash had left unlisted",
                         runs, sets)
    except (DataError, OSError):  # read-only folder or database: nothing to tidy that this process could
        _log.info("workspace: crash leftovers not tidied (read-only)", exc_info=True)


def recover_registry(ws: Storage, sqlite_path: Path | None) -> dict[str, int]:
    """Set a damaged SQLite registry (``sqlite_path``) aside as ``registry.db.damaged-<time>`` and rebuild it from
    the run and dataset folders; also re-lists folders whose row was lost in a crash. Returns counts. The caller
    has checked the folder is writable and closed its registry."""
    moved = 0
    try:
        registry = ws.registry
    except DataError:
        if sqlite_path is None:
            raise
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            p = Path(f"{sqlite_path}{suffix}")
            if p.exists():
                os.replace(p, Path(f"{sqlite_path}.damaged-{stamp}{suffix}"))
                moved += 1
        ws.close()
        registry = ws.registry
    runs_added, sets_added = relist_folders(ws.root, registry)
    return {"files_set_aside": moved, "runs": runs_added, "datasets": sets_added}


def relist_folders(root: Path, registry: Registry, min_age: float = 0.0) -> tuple[int, int]:
    """Add the rows of complete run and dataset folders that the registry does not list (older than
    ``min_age`` seconds); returns how many of each. Damaged folders are left alone."""
    known_runs, known_sets = registry.all_run_paths(), registry.all_dataset_paths()
    newest = time.time() - min_age
    runs_added = sets_added = 0
    for folder in sorted((root / "runs").glob("*")) if (root / "runs").is_dir() else []:
        rel = f"runs/{folder.name}"
        if rel in known_runs or not ID.match(folder.name) or _modified_after(folder, newest):
            continue
        try:
            doc = read_json(folder / "run.json", DataError("workspace.error.run_files_missing", run=""))
            record = validate_run_doc(doc)
            record.update(id=folder.name, owner=valid_owner(doc["record"]["owner"]),
                          kind=doc["record"].get("kind", "train") if doc["record"].get("kind") in RUN_KINDS
                          else "train", search_id=doc["record"].get("search_id"),
                          created_at=datetime.fromisoformat(doc["record"]["created_at"]).replace(tzinfo=None))
            registry.add_run({**record, "path": rel})
            runs_added += 1
        except (DataError, KeyError, TypeError, ValueError):
            continue
    for folder in sorted((root / "datasets").glob("*")) if (root / "datasets").is_dir() else []:
        rel = f"datasets/{folder.name}"
        if rel in known_sets or not ID.match(folder.name) or _modified_after(folder, newest):
            continue
        try:
            meta = read_json(folder / "meta.json", DataError("workspace.error.dataset_files_missing", name=""))
            frame = pq.read_table(folder / "data.parquet", columns=["date"]).column(0).to_pandas()
            registry.upsert_dataset({
                "id": folder.name, "owner": valid_owner(meta["owner"]), "fingerprint": meta["fingerprint"],
                "name": meta["name"], "rows": len(frame),
                "size_bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()),
                "date_min": frame.min().date().isoformat(), "date_max": frame.max().date().isoformat(),
                "created_at": datetime.fromisoformat(meta["created_at"]).replace(tzinfo=None), "path": rel,
            })
            sets_added += 1
        except (DataError, KeyError, TypeError, ValueError, OSError, pa.ArrowException):
            continue
    return runs_added, sets_added


def _modified_after(folder: Path, moment: float) -> bool:
    try:
        return folder.stat().st_mtime > moment
    except OSError:
        return True  # gone meanwhile (deleted by another process)
