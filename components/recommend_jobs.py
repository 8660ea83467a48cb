"""Fitting and evaluating recommenders in a worker process (ml.jobs): start the job, poll it from a fragment, collect it."""

from __future__ import annotations

import streamlit as st

from components import state
from components.session_jobs import collect_job, job_running
from ml.i18n import format_number, t
from ml.jobs import QUEUED, REGISTRY, Job
from ml.recommend.service import RecommendSettings


def start_recommend(frame, settings: RecommendSettings, fingerprint: str, name: str) -> Job:
    args = {"frame": frame, "settings": settings, "fingerprint": fingerprint, "name": name}
    job = REGISTRY.submit("recommend", t(f"recommend.algo.{settings.algorithm}"), state.owner(), "ml.tasks:recommend",
                          args)
    state.recommend_job.set(job.id)
    state.recommend_error.set(None)
    return job


def collect_finished_job() -> None:
    """A finished job's result (or error) moves into the session; a failure keeps the previous result."""
    collect_job(state.RECOMMEND_JOB, state.RECOMMEND_RESULT, state.RECOMMEND_ERROR)


def job_in_progress() -> bool:
    return job_running(state.RECOMMEND_JOB)


@st.fragment(run_every=1.0)
def show_progress() -> None:
    """Progress bar with the step running now, time so far, and Stop (stops between algorithms)."""
    job = REGISTRY.get(state.recommend_job.get())
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        st.rerun()
    with st.container(border=True):
        step = snap.progress.get("step")
        if snap.status == QUEUED:
            label = t("jobs.queued", position=snap.queue_position or 1)
        elif step in (None, "fit", "done"):
            label = t("recommend.job.fitting")
        else:
            label = t("recommend.job.evaluating", algorithm=t(f"recommend.algo.{step}"))
        st.progress(min(1.0, float(snap.progress.get("fraction", 0.0))), text=label)
        st.caption(t("recommend.job.elapsed", seconds=format_number(snap.elapsed, 0)))
        if st.button(t("recommend.job.stop"), key=state.RECOMMEND_STOP):
            job.stop()
