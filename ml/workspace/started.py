"""Trainings that were running when their server stopped: recorded when they start, reported as interrupted after.

A training is written to the registry's ``started_runs`` table (settings, dataset, the owning server's host, pid
and a per-process token) before it is queued, and removed when it ends, whatever its end. When a registry is
opened, every row still 'running' whose server process is gone becomes 'interrupted' (or is simply removed when
its run was saved after all): the Forecast page lists those with their settings, one click from a re-run.

Workers die with their server (``ml.worker`` exits when its pipe closes), so "the server process is gone" is
the same as "nobody is training it". Rows of other hosts (replicas sharing a PostgreSQL registry) are left to them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.jsonable import to_jsonable
from ml.workspace.files import utc_now
from ml.workspace.formats import Storage, valid_id, valid_owner

if TYPE_CHECKING:
    from ml.workspace.registry import Registry

RUNNING, INTERRUPTED = "running", "interrupted"
PROCESS_TOKEN = uuid.uuid4().hex  # this server process; a restarted server (even with the same pid) has another
HOST = socket.gethostname()[:255]


@dataclass(frozen=True)
class StartedRun:
    """A training recorded as started: what it was asked to do."""

    id: str
    owner: str
    label: str
    dataset_fingerprint: str
    dataset_name: str
    spec: dict[str, Any]
    config: dict[str, Any]
    settings: dict[str, Any]
    status: str
    created_at: datetime


def started_row(run_id: str, owner: str, label: str, spec: dict[str, Any], config: dict[str, Any],
                settings: dict[str, Any], fingerprint: str, name: str, created_at: datetime) -> dict[str, Any]:
    return {"id": run_id, "owner": owner, "label": label[:200], "dataset_fingerprint": fingerprint,
            "dataset_name": name[:500], "spec": spec, "config": config, "settings": settings, "status": RUNNING,
            "host": HOST, "pid": os.getpid(), "token": PROCESS_TOKEN,
            "created_at": created_at.replace(tzinfo=None)}


def as_started_run(row: dict[str, Any]) -> StartedRun:
    return StartedRun(id=row["id"], owner=row["owner"], label=row.get("label") or "",
                      dataset_fingerprint=row["dataset_fingerprint"], dataset_name=row.get("dataset_name") or "",
                      spec=dict(row.get("spec") or {}), config=dict(row.get("config") or {}),
                      settings=dict(row.get("settings") or {}), status=row["status"], created_at=row["created_at"])


def server_alive(row: dict[str, Any]) -> bool:
    """Whether the server process that started this training still runs (on this host)."""
    if row["token"] == PROCESS_TOKEN:
        return True
    pid = int(row["pid"])
    if pid == os.getpid() or pid <= 0:
        return False  # this pid is now us, with another token: the old server is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone's process: cannot tell, so do not claim it was cut off
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:  # a recycled pid of an unrelated program is not our server
        return b"python" in cmdline.read_bytes() or b"streamlit" in cmdline.read_bytes()
    except OSError:
        return True


def mark_interrupted(registry: Registry) -> int:
    """Rows of this host whose server is gone become 'interrupted' (removed when their run was saved after all).
    Returns how many became interrupted."""
    count = 0
    for row in registry.list_started(status=RUNNING):
        if row["host"] != HOST or server_alive(row):
            continue
        if registry.run_exists(row["id"]):
            registry.delete_started(row["id"])
        elif registry.set_started_status(row["id"], INTERRUPTED):
            count += 1
    return count


def start_run(ws: Storage, owner: str, label: str, spec: dict[str, Any], config: dict[str, Any],
              settings: dict[str, Any], dataset_fingerprint: str, dataset_name: str) -> str:
    """Record a training as started (before it is queued); returns the id its run is to be saved under."""
    run_id = uuid.uuid4().hex
    ws.registry.add_started(started_row(run_id, valid_owner(owner), str(label), to_jsonable(spec),
                                        to_jsonable(config), to_jsonable(settings), str(dataset_fingerprint),
                                        str(dataset_name), utc_now()))
    return run_id


def forget_started(ws: Storage, run_id: str, owner: str | None = None) -> bool:
    """The training ended (or the analyst dismissed its interruption): its record goes."""
    return ws.registry.delete_started(valid_id(run_id), None if owner is None else valid_owner(owner))


def interrupted_runs(ws: Storage, owner: str) -> list[StartedRun]:
    """Trainings of ``owner`` that were cut off by a server stop, newest first."""
    return [as_started_run(r) for r in ws.registry.list_started(valid_owner(owner), status=INTERRUPTED)]
