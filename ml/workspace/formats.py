"""What the workspace writes and reads back: format names, size limits, JSON and Parquet files, id checks.

Every seam of the workspace (datasets, runs, bundles, recovery, sessions) writes through these, so a file written
by one is read the same way by the others. Nothing is ever unpickled: frames are Parquet, the rest JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ml.jsonable import to_jsonable
from ml.schema import DataError

if TYPE_CHECKING:
    from ml.workspace.registry import Registry

RUN_FORMAT = "saleslens.workspace.run"
DATASET_FORMAT = "saleslens.workspace.dataset"
RUN_BUNDLE_FORMAT = "saleslens.workspace.run_bundle"
FORMAT_VERSION = 1
RUN_FRAMES = ("history", "holdout", "future", "scorecard", "summary")
RUN_KINDS = ("train", "trial", "imported")
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_LABEL = 200
ID = re.compile(r"^[0-9a-f]{32}$")
_OWNER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class Storage(Protocol):
    """What each seam needs of a workspace: its folder, its registry (opened lazily, ``close`` forgets it) and a
    check before writing (``ml.workspace.store.Workspace`` is one)."""

    root: Path

    @property
    def registry(self) -> Registry: ...

    def ensure_writable(self) -> None: ...

    def close(self) -> None: ...


def dump_json(doc: Any) -> bytes:
    """The bytes of every JSON file the workspace writes (sorted keys, one-space indent, no NaN)."""
    return json.dumps(to_jsonable(doc), indent=1, allow_nan=False, sort_keys=True).encode("utf-8")


def read_json(path: Path, error: DataError) -> Any:
    """The JSON in ``path``; ``error`` when it is missing, too large or not JSON."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise error
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise error from None


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as Parquet, without ``frame.attrs``: pandas writes those as JSON and raises on what JSON cannot hold
    (a weekly series' partial-week Timestamp made every weekly run fail to save); a saved run's facts are in its
    run.json, never in the frames' attrs."""
    plain = frame.reset_index(drop=True)
    plain.attrs = {}
    plain.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def read_frame(path: Path) -> pd.DataFrame:
    table = pq.read_table(path)
    for f in table.schema:  # only plain columns: no extension types (which could carry pickled payloads)
        if isinstance(f.type, pa.ExtensionType):
            raise DataError("workspace.error.bundle_invalid", reason="frame_type")
    return table.to_pandas()


def valid_owner(owner: str) -> str:
    if not isinstance(owner, str) or not _OWNER.match(owner):
        raise DataError("workspace.error.owner_invalid")
    return owner


def valid_id(value: str, of: str = "run") -> str:
    """``value`` when it has the form of a run's or saved dataset's id (``of``); otherwise that thing's not-found
    error, since no such id can exist."""
    if not isinstance(value, str) or not ID.match(value):
        if of == "dataset":
            raise DataError("workspace.error.dataset_not_found")
        raise DataError("workspace.error.run_not_found", run=str(value)[:40])
    return value
