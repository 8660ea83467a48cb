"""The session's side of background jobs (ml.jobs): is the job this session started still running, and moving a
finished job's result or error into the session; starting one, and polling it from a fragment. Trainings,
searches and recommendation runs all use these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components import state
from ml.i18n import t
from ml.jobs import DONE, FAILED, QUEUED, REGISTRY, STOPPED, Job, JobSnapshot


def start_job(kind: str, label: str, work: str, args: dict[str, Any], job_key: str, error_key: str,
              on_finish: Callable[[Job], None] | None = None) -> Job:
    """Queue ``work`` ("module:function") for this session's owner; its id is kept under ``job_key``."""
    job = REGISTRY.submit(kind, label, state.owner(), work, args, on_finish=on_finish)
    state.put(job_key, job.id)
    state.put(error_key, None)
    return job


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


def queued_text(snap: JobSnapshot) -> str | None:
    """The queue position while the job waits for a worker, else None."""
    return t("jobs.queued", position=snap.queue_position or 1) if snap.status == QUEUED else None


@st.fragment(run_every=1.0)
def show_job_progress(job_key: str, draw: Callable[[Job, JobSnapshot], None]) -> None:
    """``draw`` the running job's progress once a second; a finished job reruns the page, which collects it."""
    job = REGISTRY.get(state.get(job_key))
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        st.rerun()
    draw(job, snap)
