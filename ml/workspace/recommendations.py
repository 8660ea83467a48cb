"""Recommendation results kept per owner, dataset and settings, so a reload shows them without fitting again.

Layout: ``recommendations/<owner>/<dataset fingerprint>/<settings key>-<uuid>/`` holding ``run.json`` (the run's
JSON, the settings it was made with, when) and one Parquet file per frame (``ml.recommend.snapshot``). A new run
with the same settings replaces the old folder; at most ``KEEP_PER_DATASET`` settings are kept per dataset, the
oldest going first. Another dataset (or the same file cleaned differently) has another fingerprint, so results
never outlive the data they were made from. Nothing is unpickled: JSON and Parquet only.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from ml.schema import DataError
from ml.workspace.files import remove_folder, staged_folder, utc_now
from ml.workspace.formats import Storage, dump_json, read_frame, read_json, valid_owner, write_frame

FOLDER = "recommendations"
KEEP_PER_DATASET = 4
_FINGERPRINT = re.compile(r"^[0-9a-f]{8,64}$")
_FRAME_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")


def settings_digest(settings: dict[str, Any]) -> str:
    """A short stable key of the settings (sorted JSON)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _dataset_folder(ws: Storage, owner: str, fingerprint: str) -> Path:
    if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
        raise ValueError("not a dataset fingerprint")
    return ws.root / FOLDER / valid_owner(owner) / fingerprint


def save_recommendations(ws: Storage, owner: str, fingerprint: str, settings: dict[str, Any], doc: dict[str, Any],
                         frames: dict[str, pd.DataFrame]) -> Path:
    """Publish one run's results atomically; older results of the same settings (and beyond the last few settings)
    are removed afterwards. Returns the folder."""
    base = _dataset_folder(ws, owner, fingerprint)
    for name in frames:
        if not _FRAME_NAME.match(name):
            raise ValueError(f"bad frame name {name!r}")
    ws.ensure_writable()
    key = settings_digest(settings)
    final = base / f"{key}-{uuid.uuid4().hex[:12]}"
    with staged_folder(ws.root, final) as staged:
        for name, frame in frames.items():
            write_frame(frame, staged / f"{name}.parquet")
        meta = {"settings": settings, "key": key, "saved_at": utc_now().isoformat(), "frames": sorted(frames), "run": doc}
        (staged / "run.json").write_bytes(dump_json(meta))
    kept = 0
    for folder, meta in _entries(base):  # newest first
        if folder == final:
            kept += 1
        elif meta.get("key") == key or kept >= KEEP_PER_DATASET:
            remove_folder(ws.root, folder)
        else:
            kept += 1
    return final


def load_recommendations(ws: Storage, owner: str, fingerprint: str,
                         settings: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, pd.DataFrame]] | None:
    """The newest saved run on this dataset (with these settings, when given) as (run JSON, frames), else None.
    A damaged folder counts as missing: the page then simply fits again."""
    try:
        base = _dataset_folder(ws, owner, fingerprint)
    except (DataError, ValueError):
        return None
    key = None if settings is None else settings_digest(settings)
    for folder, meta in _entries(base):
        if key is not None and meta.get("key") != key:
            continue
        try:
            names = [n for n in meta["frames"] if _FRAME_NAME.match(str(n))]
            frames = {n: read_frame(folder / f"{n}.parquet") for n in names}
            return {**meta["run"], "saved_at": meta["saved_at"]}, frames
        except (OSError, KeyError, TypeError, ValueError, DataError):
            continue
    return None


def _entries(base: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Saved folders under ``base`` with their run.json, newest first (unreadable ones left out)."""
    if not base.is_dir():
        return []
    found = []
    for folder in base.iterdir():
        if not folder.is_dir():
            continue
        try:
            meta = read_json(folder / "run.json", DataError("workspace.error.bundle_invalid", reason="run.json"))
        except DataError:
            continue
        if isinstance(meta, dict) and isinstance(meta.get("saved_at"), str):
            found.append((folder, meta))
    return sorted(found, key=lambda e: (e[1]["saved_at"], e[0].name), reverse=True)
