"""Background jobs (model training) that outlive Streamlit reruns and page switches.

A job runs a function in a daemon thread; the function gets the ``Job`` so it can report progress and watch
``job.stop_event``. The registry is process-wide and the session keeps only the job id, so clicking other widgets
or changing page neither kills nor restarts a training. A semaphore bounds how many jobs train at once, so one
user's training queues rather than starving everyone else's pages. Nothing here calls Streamlit.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ml.schema import SalesLensError

_log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
FINISHED = frozenset({DONE, STOPPED, FAILED})


@dataclass
class JobSnapshot:
    """A consistent copy of a job's state for drawing."""

    id: str
    kind: str
    label: str
    owner: str
    status: str
    progress: dict[str, Any]
    history: list[dict[str, float]]
    created_at: float
    started_at: float | None
    finished_at: float | None
    error: tuple[str, dict[str, Any]] | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.time()) - self.started_at


@dataclass
class Job:
    kind: str
    label: str
    owner: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    status: str = QUEUED
    progress: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    result: Any = None
    error: tuple[str, dict[str, Any]] | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    stop_event: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, history_row: dict[str, float] | None = None, **progress: Any) -> None:
        """Called from the worker thread: update progress (and append one row of the loss history)."""
        with self._lock:
            self.progress.update(progress)
            if history_row is not None:
                self.history.append(dict(history_row))

    def stop(self) -> None:
        self.stop_event.set()

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return JobSnapshot(
                id=self.id,
                kind=self.kind,
                label=self.label,
                owner=self.owner,
                status=self.status,
                progress=dict(self.progress),
                history=list(self.history),
                created_at=self.created_at,
                started_at=self.started_at,
                finished_at=self.finished_at,
                error=self.error,
            )


class JobRegistry:
    def __init__(self, max_running: int = 2, keep_finished: int = 50) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(max_running)
        self._keep_finished = keep_finished

    def submit(self, kind: str, label: str, owner: str, work: Callable[[Job], Any]) -> Job:
        job = Job(kind=kind, label=label, owner=owner)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        thread = threading.Thread(target=self._run, args=(job, work), name=f"saleslens-{kind}-{job.id}", daemon=True)
        thread.start()
        return job

    def get(self, job_id: str | None) -> Job | None:
        if not job_id:
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self, owner: str | None = None, kind: str | None = None) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in jobs if (owner is None or j.owner == owner) and (kind is None or j.kind == kind)]

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        with self._slots:
            with job._lock:
                if job.stop_event.is_set():
                    job.status, job.finished_at = STOPPED, time.time()
                    return
                job.status, job.started_at = RUNNING, time.time()
            try:
                result = work(job)
            except SalesLensError as err:
                with job._lock:
                    job.status, job.error = FAILED, (err.message_id, dict(err.params))
            except Exception as exc:  # a bug, not bad input: log it, show the user a clear message
                _log.exception("job %s (%s) failed", job.id, job.kind)
                with job._lock:
                    job.status, job.error = FAILED, ("error.unexpected", {"detail": type(exc).__name__})
            else:
                with job._lock:
                    job.result = result
                    job.status = STOPPED if job.stop_event.is_set() else DONE
            finally:
                with job._lock:
                    job.finished_at = time.time()

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.status in FINISHED), key=lambda j: j.created_at)
        for job in finished[: max(0, len(finished) - self._keep_finished)]:
            self._jobs.pop(job.id, None)


REGISTRY = JobRegistry()
