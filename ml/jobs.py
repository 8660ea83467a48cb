"""Background jobs (training, hyperparameter search, recommendations) in worker processes from a bounded pool.

A job is a module-level function named by its path (``"ml.tasks:train_forecast"``) and plain-data keyword
arguments. Each job runs in a fresh interpreter, ``python -m ml.worker`` (fork+exec like multiprocessing's spawn,
never a fork of the threaded server, and without re-running the server's ``__main__``). Its environment caps the
thread pools of OpenMP, BLAS, XLA and TensorFlow before anything is imported, the worker lowers its own priority
(``os.nice(10)``) and exits when the job ends, handing its memory back. Progress events (``ml.progress``), the
result and errors come back over a pipe; Stop goes the other way. At most ``max_workers`` jobs run at once (``SALESLENS_MAX_WORKERS``;
default 1 on a 2-core machine, else cores - 1); the others wait and know their place in the queue. A worker that
dies (killed, out of memory) becomes a FAILED job with a message, never a hang.

The registry is process-wide and the session keeps only the job id, so reruns and page switches neither stop nor
restart a job. Nothing here calls Streamlit; the server never imports Keras for a job.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.messages import Message
from ml.progress import ProgressEvent

_log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"
FINISHED = frozenset({DONE, STOPPED, FAILED})
ENV_MAX_WORKERS = "SALESLENS_MAX_WORKERS"
ENV_NICE = "SALESLENS_WORKER_NICE"  # how much a job's worker lowers its priority (default 10; 0 = not at all)
DEFAULT_NICE = 10
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
ROOT = Path(__file__).resolve().parent.parent  # the folder holding the ``ml`` package


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_max_workers(environ: Mapping[str, str] | None = None) -> int:
    """``SALESLENS_MAX_WORKERS`` when set to a positive integer, else 1 on up to 2 cores, else cores - 1."""
    env = os.environ if environ is None else environ
    try:
        value = int(env.get(ENV_MAX_WORKERS, "") or 0)
    except ValueError:
        value = 0
    if value > 0:
        return value
    cores = cpu_count()
    return 1 if cores <= 2 else cores - 1


def worker_environment(threads: int, environ: Mapping[str, str] | None = None, nice: int | None = None
                       ) -> dict[str, str]:
    """The server's environment with every numeric library capped at ``threads`` threads (read by each library
    when it is imported, which is why the worker gets them before its interpreter starts) and the niceness the
    worker takes (``nice``, else ``SALESLENS_WORKER_NICE``, else 10)."""
    env = dict(os.environ if environ is None else environ)
    if nice is not None:
        env[ENV_NICE] = str(nice)
    else:
        env.setdefault(ENV_NICE, str(DEFAULT_NICE))
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    xla = env.get("XLA_FLAGS", "")
    if threads == 1 and "xla_cpu_multi_thread_eigen" not in xla:
        env["XLA_FLAGS"] = f"{xla} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["SALESLENS_WORKER"] = "1"
    return env


@dataclass
class JobSnapshot:
    """A consistent copy of a job's state for drawing."""

    id: str
    kind: str
    label: str
    owner: str
    status: str
    progress: ProgressEvent | None  # the latest event the worker sent
    history: list[dict[str, float]]
    created_at: float
    started_at: float | None
    finished_at: float | None
    error: Message | None
    queue_position: int | None = None  # 1 = next to start; None once running or finished

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def done(self) -> int:
        """Units done in the latest event (0 before the first)."""
        return self.progress.done if self.progress is not None else 0

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.time()) - self.started_at


@dataclass
class Job:
    """The server's side of a job: what it is, what the worker reported, and its stop switch."""

    kind: str
    label: str
    owner: str
    work: str = ""  # "package.module:function"
    args: dict[str, Any] = field(default_factory=dict, repr=False)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    status: str = QUEUED
    progress: ProgressEvent | None = None
    history: list[dict[str, float]] = field(default_factory=list)  # one row per event that carried metrics
    result: Any = None
    error: Message | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    pid: int | None = None  # the worker's, while it runs
    stop_event: threading.Event = field(default_factory=threading.Event, repr=False)
    on_finish: Callable[[Job], None] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _conn: Any = field(default=None, repr=False)
    _send_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one message at a time
    _position: Callable[[Job], int | None] = field(default=lambda job: None, repr=False)

    def on_progress(self, event: ProgressEvent) -> None:
        """Keep the worker's latest event; one that carries metrics also becomes a history row
        ``{step: done, **metrics, "t": time received}`` (the loss curve, the trials' scores)."""
        with self._lock:
            self.progress = event
            if event.metrics:
                self.history.append({event.step: event.done, **event.metrics, "t": time.time()})

    def stop(self) -> None:
        """Ask the job to stop: a queued job never starts; a running one stops at its next check, keeping what it
        has (best weights, trials so far)."""
        self.stop_event.set()
        with self._lock:
            conn = self._conn
        if conn is not None:
            try:
                with self._send_lock:
                    conn.send(("stop",))
            except (OSError, ValueError):  # the worker has just ended
                pass

    def snapshot(self) -> JobSnapshot:
        position = self._position(self)
        with self._lock:
            return JobSnapshot(
                id=self.id, kind=self.kind, label=self.label, owner=self.owner, status=self.status,
                progress=self.progress, history=list(self.history), created_at=self.created_at,
                started_at=self.started_at, finished_at=self.finished_at, error=self.error,
                queue_position=position if self.status == QUEUED else None,
            )


class JobRegistry:
    """Every job of this server process; starts queued jobs as worker slots free up."""

    def __init__(self, max_workers: int | None = None, keep_finished: int = 50) -> None:
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._running = 0
        self._lock = threading.Lock()
        self._max_workers = max_workers
        self._keep_finished = keep_finished
        self._shared: dict[str, Job] = {}
        self._shared_lock = threading.Lock()  # one check-then-submit at a time

    @property
    def max_workers(self) -> int:
        return self._max_workers or default_max_workers()

    def submit(self, kind: str, label: str, owner: str, work: str, args: dict[str, Any] | None = None,
               on_finish: Callable[[Job], None] | None = None) -> Job:
        """Queue ``work(job, **args)`` (``work`` = "module:function") for a worker process. ``on_finish(job)`` runs
        in the server once the job has finished, whatever its end."""
        if not isinstance(work, str) or ":" not in work:
            raise TypeError("work must be 'module:function' so that a worker process can import it")
        job = Job(kind=kind, label=label, owner=owner, work=work, args=dict(args or {}), on_finish=on_finish,
                  _position=self._queue_position)
        with self._lock:
            self._jobs[job.id] = job
            self._queue.append(job)
            self._forget_old()
        self._dispatch()
        return job

    def submit_shared(self, key: str, kind: str, label: str, owner: str, work: str,
                      args: dict[str, Any] | None = None) -> Job:
        """The unfinished job submitted under ``key`` (by any session), else a new one: work that every session
        would otherwise repeat (counting a dataset's buyers) runs once, and each session follows the same job."""
        with self._shared_lock:
            job = self._shared.get(key)
            if job is not None and job.status not in FINISHED:
                return job
            job = self.submit(kind, label, owner, work, args)
            self._shared[key] = job
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

    def _queue_position(self, job: Job) -> int | None:
        with self._lock:
            for i, queued in enumerate(self._queue):
                if queued is job:
                    return i + 1
        return None

    def _dispatch(self) -> None:
        """Start queued jobs while worker slots are free (a job stopped while queued ends without starting)."""
        while True:
            with self._lock:
                if not self._queue or self._running >= self.max_workers:
                    return
                job = self._queue.popleft()
                if job.stop_event.is_set():
                    with job._lock:
                        job.status, job.finished_at = STOPPED, time.time()
                    start = False
                else:
                    self._running += 1
                    with job._lock:
                        job.status, job.started_at = RUNNING, time.time()
                    start = True
            if start:
                threading.Thread(target=self._run, args=(job,), name=f"saleslens-{job.kind}-{job.id}",
                                 daemon=True).start()
            else:
                self._finished(job)

    def _run(self, job: Job) -> None:
        """Start the worker, relay what it sends until it ends, then free the slot."""
        try:
            final = self._relay(job)
            if final is None:
                with job._lock:
                    job.status, job.error = FAILED, job.error or Message("jobs.error.worker_died", {"code": "?"})
        except Exception:  # the server's side of a job must never take a slot down with it
            _log.exception("job %s (%s) could not run", job.id, job.kind)
            with job._lock:
                job.status, job.error = FAILED, Message("error.unexpected", {"detail": "worker"})
        finally:
            with job._lock:
                job.finished_at = time.time()
                job.args = {}  # the data it was given: no need to keep it
            with self._lock:
                self._running -= 1
            self._finished(job)
            self._dispatch()

    def _relay(self, job: Job) -> str | None:
        proc, parent = launch_worker(max(1, (cpu_count() - 1) // self.max_workers))
        final = None
        try:
            try:
                with job._send_lock:  # the job first; Stop can reach the worker only after it (see Job.stop)
                    parent.send(("run", job.work, job.args, list(sys.path)))
                    with job._lock:
                        job.pid, job._conn = proc.pid, parent
                    if job.stop_event.is_set():
                        parent.send(("stop",))
            except OSError:  # the worker died at once: reported below from its exit code
                pass
            while True:
                try:
                    message = parent.recv()
                except (EOFError, OSError):
                    break
                except Exception as exc:  # a result that cannot be read back here
                    _log.exception("job %s sent something unreadable", job.id)
                    with job._lock:
                        job.status, job.error = FAILED, Message("error.unexpected", {"detail": type(exc).__name__})
                    final = FAILED
                    break
                final = self._apply(job, message)
                if final is not None:
                    break
        finally:
            with job._lock:
                job._conn = None
            parent.close()
            code = wait_worker(proc)
            with job._lock:
                job.pid = None
                if final is None:
                    job.error = Message("jobs.error.worker_died", {"code": code})
        return final

    @staticmethod
    def _apply(job: Job, message: tuple) -> str | None:
        kind = message[0]
        if kind == "progress":
            job.on_progress(message[1])
            return None
        with job._lock:
            if kind == "result":
                job.result = message[1]
                job.status = STOPPED if job.stop_event.is_set() or message[2] else DONE
            else:  # ("error", Message)
                job.status, job.error = FAILED, message[1]
            return job.status

    def _finished(self, job: Job) -> None:
        if job.on_finish is not None:
            try:
                job.on_finish(job)
            except Exception:
                _log.exception("after job %s", job.id)

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.status in FINISHED), key=lambda j: j.created_at)
        for job in finished[: max(0, len(finished) - self._keep_finished)]:
            self._jobs.pop(job.id, None)


def launch_worker(threads: int, nice: int | None = None) -> tuple[subprocess.Popen, Any]:
    """A fresh ``python -m ml.worker`` (capped at ``threads`` threads, ``nice`` as in ``worker_environment``) and
    the server's end of its pipe."""
    parent, child = multiprocessing.Pipe(duplex=True)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ml.worker", str(child.fileno())], pass_fds=(child.fileno(),),
            env=worker_environment(threads, nice=nice), stdin=subprocess.DEVNULL, close_fds=True,
        )
    except BaseException:
        parent.close()
        raise
    finally:
        child.close()
    return proc, parent


def wait_worker(proc: subprocess.Popen, grace: float = 10.0) -> int:
    """The worker's exit code; a worker that does not exit on its own after its pipe closed is killed."""
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


REGISTRY = JobRegistry()
