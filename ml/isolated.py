"""Parsing an upload without letting it grow the server: a one-shot worker process under a memory budget.

``load_dataset_isolated`` runs ``ml.dataset.load_dataset`` in a fresh ``python -m ml.worker`` whose resident memory
is watched; past the budget (``IngestLimits.parse_memory_mb``, ``SALESLENS_PARSE_MEMORY_MB``; 1.5 GB by default) it
is killed and the upload refused with one clear message. Only the cleaned frame comes back; the worker exits and
its memory goes back to the system whatever it parsed. Small plain-text uploads, whose worst case is a small
multiple of their size, are parsed in this process (no interpreter to start). Not a job of ``ml.jobs``: a parse
must not wait behind trainings in the job queue.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from ml.limits import LIMITS, IngestLimits
from ml.schema import DataError

ENV_BUDGET = "SALESLENS_PARSE_MEMORY_MB"
IN_PROCESS_BYTES = 32 * 1024 * 1024  # plain text up to this is parsed in place (peak ~5x the file)
_COMPRESSED = (b"\x1f\x8b", b"PK\x03\x04")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def memory_budget(limits: IngestLimits = LIMITS) -> int:
    """Bytes a parse may hold: ``SALESLENS_PARSE_MEMORY_MB`` when set to a positive number, else the limits'."""
    try:
        mb = int(os.environ.get(ENV_BUDGET, "") or 0)
    except ValueError:
        mb = 0
    return (mb if mb > 0 else limits.parse_memory_mb) * 1024 * 1024


def needs_isolation(files: Sequence[tuple[str, bytes]]) -> bool:
    """Whether an upload can inflate (archives) or is large enough that parsing it could hurt the server."""
    return sum(len(d) for _, d in files) > IN_PROCESS_BYTES or any(d[:4].startswith(_COMPRESSED[0]) or
                                                                   d[:4] == _COMPRESSED[1] for _, d in files)


def resident_bytes(pid: int) -> int:
    """Resident memory of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def run_isolated(work: str, kwargs: dict[str, Any], budget: int, poll: float = 0.02,
                 shown_budget: int | None = None) -> tuple[Any, int]:
    """``work(job, **kwargs)`` in a one-shot worker killed when its resident memory passes ``budget`` bytes.
    Returns (result, peak resident bytes seen). Raises the job's own error, ``ingest.error.memory_budget`` (quoting
    ``shown_budget``, default ``budget``) when it was killed for memory, ``ingest.error.parse_failed`` when it died
    otherwise."""
    from ml.jobs import cpu_count, launch_worker, wait_worker

    proc, conn = launch_worker(max(1, cpu_count() - 1), nice=0)  # someone is waiting for this parse
    peak, over = [0], threading.Event()

    def watch() -> None:
        while proc.poll() is None:
            rss = resident_bytes(proc.pid)
            peak[0] = max(peak[0], rss)
            if rss > budget:
                over.set()
                proc.kill()
                return
            time.sleep(poll)

    watcher = threading.Thread(target=watch, name="saleslens-parse-watch", daemon=True)
    watcher.start()
    message: tuple | None = None
    try:
        conn.send(("run", work, kwargs, list(sys.path)))
        message = conn.recv()
    except (EOFError, OSError):
        message = None
    finally:
        conn.close()
        code = wait_worker(proc)
        watcher.join(timeout=5)
    if message is None or over.is_set():
        if over.is_set():
            raise DataError("ingest.error.memory_budget", budget_mb=round((shown_budget or budget) / 2**20))
        raise DataError("ingest.error.parse_failed", code=code)
    if message[0] == "result":
        return message[1], peak[0]
    failure = message[1]  # ("error", Message)
    if failure.id == "error.unexpected":
        raise RuntimeError(f"parsing failed in its worker: {failure.params.get('detail')}")
    raise DataError(failure)


def parse_upload(job: Any, **kwargs: Any):
    """The worker's side (a job function): ``load_dataset`` with the caller's arguments."""
    from ml.dataset import load_dataset

    return load_dataset(**kwargs)


def load_dataset_isolated(files: Sequence[tuple[str, bytes]], mapping_overrides: dict[str, str | None] | None = None,
                          options: Any = None, limits: IngestLimits = LIMITS, name: str | None = None,
                          budget: int | None = None, reserve: int = 0):
    """``ml.dataset.load_dataset`` with bounded memory: in a watched worker unless the upload is small plain
    text. Same result, same errors, plus ``ingest.error.memory_budget``. ``reserve``: bytes of the budget the
    caller keeps for itself (a command whose whole process tree must stay within it)."""
    kwargs = {"files": list(files), "mapping_overrides": mapping_overrides, "options": options, "limits": limits,
              "name": name}
    if not needs_isolation(files):
        from ml.dataset import load_dataset

        return load_dataset(**kwargs)
    total = memory_budget(limits) if budget is None else budget
    result, _ = run_isolated("ml.isolated:parse_upload", kwargs, max(total - reserve, 64 * 2**20),
                             shown_budget=total)
    return result
