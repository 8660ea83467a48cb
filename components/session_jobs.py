"""The session's side of background jobs (ml.jobs): is the job this session started still running, and moving a
finished job's result or error into the session. Trainings, searches and recommendation runs all use these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components import state
from ml.jobs import DONE, FAILED, REGISTRY, STOPPED


def job_running(job_key: str) -> bool:
    """Whether the job whose id is kept under ``job_key`` exists and has not finished."""
    job = REGISTRY.get(state.get(job_key))
    return job is not None and not job.snapshot().finished


def collect_job(job_key: str, result_key: str, error_key: str, convert: Callable[[Any], Any] | None = None) -> Any:
    """Move a finished job's result (done, or stopped with the best so far) to ``result_key``, or its error to
    ``error_key`` (the previous good result survives a failure), and forget the job. ``convert`` turns the worker's
    plain result into what the page keeps. Returns the result moved, else None (also while the job is running)."""
    job = REGISTRY.get(state.get(job_key))
    if job is None:
        state.put(job_key, None)
        return None
    snap = job.snapshot()
    if not snap.finished:
        return None
    moved = None
    if snap.status in (DONE, STOPPED) and job.result is not None:
        moved = job.result if convert is None else convert(job.result)
        state.put(result_key, moved)
    elif snap.status == FAILED:
        state.put(error_key, snap.error)
    state.put(job_key, None)
    return moved
