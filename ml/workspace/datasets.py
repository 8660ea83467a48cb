"""Saved datasets: the cleaned frame as Parquet beside its mapping, report and sources, one folder each.

Layout::

    datasets/<id>/data.parquet        the cleaned canonical frame
    datasets/<id>/meta.json           name, fingerprint, mapping, validation report, cleaning options, sources
    datasets/<id>/sources/<i>         the uploaded files (so mapping and options can still be changed)
    cache/<key>/                      the same two files for a dataset kept outside the registry

Each function takes the workspace (``formats.Storage``) first; ``Workspace`` calls them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ml.dataset import CleaningOptions, Dataset, ValidationReport
from ml.pushdown.table import pushdown_rows
from ml.schema import ColumnMapping, DataError
from ml.workspace.files import remove_folder, staged_folder, utc_now
from ml.workspace.formats import (
    DATASET_FORMAT,
    FORMAT_VERSION,
    Storage,
    dump_json,
    read_frame,
    read_json,
    valid_id,
    valid_owner,
    write_frame,
)

MAX_SOURCE_BYTES = 200 * 1024 * 1024  # uploaded files above this are not kept (the cleaned frame always is)
_CACHE_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetEntry:
    """A saved dataset as listed on the Data page."""

    id: str
    owner: str
    name: str
    fingerprint: str
    rows: int
    size_bytes: int
    date_min: str
    date_max: str
    created_at: datetime


def dataset_meta(ds: Dataset) -> dict[str, Any]:
    """``meta.json`` of a dataset, less what only a registered one has (id, owner, sources)."""
    return {
        "format": DATASET_FORMAT, "format_version": FORMAT_VERSION, "name": ds.name, "fingerprint": ds.fingerprint,
        "mapping": ds.mapping.to_dict(), "report": ds.report.to_dict(),
        "source_columns": list(ds.source_columns), "options": ds.options.to_dict(),
        "created_at": utc_now().isoformat(),
    }


def dataset_from_folder(folder: Path, meta: dict[str, Any]) -> Dataset:
    """The Dataset saved in ``folder`` (``data.parquet``) with its ``meta.json`` already read. From
    ``pushdown_rows()`` lines up its frame is not read: the pages query the Parquet in place (``ml.pushdown``)."""
    fields = dict(name=meta["name"], mapping=ColumnMapping.from_dict(meta["mapping"]),
                  report=ValidationReport.from_dict(meta["report"]),
                  source_columns=list(meta.get("source_columns", [])), fingerprint=meta["fingerprint"],
                  options=CleaningOptions.from_dict(meta.get("options", {})))
    path = folder / "data.parquet"
    if pq.ParquetFile(path).metadata.num_rows >= pushdown_rows():
        from ml.pushdown.stored import stored_dataset

        return stored_dataset(path, **fields)
    return Dataset(frame=read_frame(path), **fields)


def dataset_entry(row: dict[str, Any]) -> DatasetEntry:
    created = row["created_at"]
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
    return DatasetEntry(id=row["id"], owner=row["owner"], name=row["name"], fingerprint=row["fingerprint"],
                        rows=int(row["rows"]), size_bytes=int(row["size_bytes"]), date_min=row["date_min"],
                        date_max=row["date_max"], created_at=created)


def save_dataset(ws: Storage, owner: str, ds: Dataset, files: list[tuple[str, bytes]] | None = None) -> DatasetEntry:
    """Save a loaded dataset (cleaned frame as Parquet, its mapping and report as JSON, the sources when they
    fit). Saving the same data again only refreshes its date."""
    owner = valid_owner(owner)
    existing = ws.registry.find_dataset(owner, ds.fingerprint)
    if existing is not None and existing["owner"] == owner and (ws.root / existing["path"]).is_dir():
        ws.registry.upsert_dataset({**existing, "created_at": utc_now()})
        return dataset_entry({**existing, "created_at": utc_now()})
    ws.ensure_writable()
    dataset_id = uuid.uuid4().hex
    rel = f"datasets/{dataset_id}"
    keep_sources = files is not None and sum(len(b) for _, b in files) <= MAX_SOURCE_BYTES
    with staged_folder(ws.root, ws.root / rel) as tmp:
        # a dataset streamed to Parquet (ml/outofcore) whose file is still there: copied, never read into memory
        copy = getattr(ds, "write_frame", None) if getattr(ds, "path", None) is not None else None
        if copy:
            copy(tmp / "data.parquet")
        else:
            write_frame(ds.frame, tmp / "data.parquet")
        sources = []
        if keep_sources:
            (tmp / "sources").mkdir()
            for i, (name, data) in enumerate(files or []):
                (tmp / "sources" / str(i)).write_bytes(data)
                sources.append({"name": str(name), "file": str(i), "sha256": hashlib.sha256(data).hexdigest()})
        meta = {**dataset_meta(ds), "id": dataset_id, "owner": owner, "sources": sources}
        (tmp / "meta.json").write_bytes(dump_json(meta))
        size = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
    row = {
        "id": dataset_id, "owner": owner, "fingerprint": ds.fingerprint, "name": ds.name[:500],
        "rows": ds.report.rows_kept if copy else len(ds.frame), "size_bytes": int(size),
        "date_min": ds.date_min.date().isoformat(), "date_max": ds.date_max.date().isoformat(),
        "created_at": utc_now(), "path": rel,
    }
    try:
        saved_id = ws.registry.upsert_dataset(row)
    except DataError:
        remove_folder(ws.root, ws.root / rel)
        raise
    if saved_id != dataset_id:  # another session saved the same data meanwhile
        remove_folder(ws.root, ws.root / rel)
        row = ws.registry.get_dataset(owner, saved_id) or row
    elif row["rows"] >= pushdown_rows():  # queried in place: the first view's figures computed once, now
        from ml.pushdown.facts import prepare_facts

        try:
            prepare_facts(ws.root / rel / "data.parquet")
        except Exception:  # the dataset is saved; its first view computes what is missing (DuckDB raises many types)
            _log.exception("computing the figures kept beside dataset %s failed", dataset_id)
    return dataset_entry(row)


def list_datasets(ws: Storage, owner: str) -> list[DatasetEntry]:
    return [dataset_entry(r) for r in ws.registry.list_datasets(valid_owner(owner))]


def load_dataset(ws: Storage, owner: str, dataset_id: str) -> tuple[Dataset, list[tuple[str, bytes]]]:
    """The saved Dataset exactly as it was loaded, and its source files ([] when they were not kept)."""
    row = ws.registry.get_dataset(valid_owner(owner), valid_id(dataset_id, of="dataset"))
    if row is None:
        raise DataError("workspace.error.dataset_not_found")
    folder = ws.root / row["path"]
    missing = DataError("workspace.error.dataset_files_missing", name=row["name"])
    if not (folder / "data.parquet").is_file():
        raise missing
    meta = read_json(folder / "meta.json", missing)
    try:
        files = []
        for src in meta.get("sources", []):
            data = (folder / "sources" / src["file"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != src["sha256"]:
                raise ValueError("source checksum")
            files.append((src["name"], data))
        ds = dataset_from_folder(folder, meta)
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        raise missing from None
    return ds, files


def cached_dataset(ws: Storage, key: str, build: Callable[[], Dataset]) -> Dataset:
    """A dataset kept under ``cache/<key>/`` (Parquet + JSON, like a saved dataset but outside the registry):
    read when present, else built and written. The key must change whenever the input or the code that builds
    the dataset changes. A read-only folder or a damaged entry only costs the build, never an error."""
    if not _CACHE_KEY.match(key):
        raise ValueError(f"cache key {key!r}")
    folder = ws.root / "cache" / key
    if (folder / "data.parquet").is_file():
        try:
            meta = read_json(folder / "meta.json", DataError("workspace.error.dataset_files_missing", name=key))
            if meta.get("format") == DATASET_FORMAT:
                return dataset_from_folder(folder, meta)
        except (DataError, OSError, KeyError, TypeError, ValueError, pa.ArrowException):
            pass
    ds = build()
    try:
        ws.ensure_writable()
        remove_folder(ws.root, folder)  # a damaged entry
        with staged_folder(ws.root, folder) as tmp:
            write_frame(ds.frame, tmp / "data.parquet")
            (tmp / "meta.json").write_bytes(dump_json(dataset_meta(ds)))
    except (DataError, OSError):  # read-only, full, or another process wrote it first
        pass
    return ds


def find_dataset(ws: Storage, owner: str, fingerprint: str) -> DatasetEntry | None:
    row = ws.registry.find_dataset(valid_owner(owner), fingerprint)
    return dataset_entry(row) if row else None


def delete_dataset(ws: Storage, owner: str, dataset_id: str) -> bool:
    row = ws.registry.get_dataset(valid_owner(owner), valid_id(dataset_id, of="dataset"))
    if row is None:
        return False
    ws.ensure_writable()
    ws.registry.delete_dataset(owner, dataset_id)
    remove_folder(ws.root, ws.root / row["path"])
    return True
