"""Fitting and evaluating recommenders in a worker process (ml.jobs): start the job, poll it from a fragment, collect it."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.jobs import collect_job, job_running, queued_text, show_job_progress, start_job
from ml.i18n import format_number, t
from ml.jobs import Job, JobSnapshot
from ml.recommend.service import RecommendSettings


def start_recommend(frame, settings: RecommendSettings, fingerprint: str, name: str) -> Job:
    args = {"frame": frame, "settings": settings, "fingerprint": fingerprint, "name": name, "owner": state.owner()}
    return start_job("recommend", t(f"recommend.algo.{settings.algorithm}"), "ml.tasks:recommend", args,
                     state.RECOMMEND_JOB, state.RECOMMEND_ERROR)


def collect_finished_job() -> None:
    """A finished job's result (or error) moves into the session; a failure keeps the previous result."""
    collect_job(state.RECOMMEND_JOB, state.RECOMMEND_RESULT, state.RECOMMEND_ERROR)


def job_in_progress() -> bool:
    return job_running(state.RECOMMEND_JOB)


def show_progress() -> None:
    """Progress bar with the step running now, time so far, and Stop (stops between algorithms)."""
    show_job_progress(state.RECOMMEND_JOB, _draw_progress)


def _draw_progress(job: Job, snap: JobSnapshot) -> None:
    with st.container(border=True):
        step = snap.progress.step if snap.progress is not None else None
        label = queued_text(snap)
        if label is None:
            label = t("recommend.job.fitting") if step in (None, "fit", "done") else \
                t("recommend.job.evaluating", algorithm=t(f"recommend.algo.{step}"))
        st.progress((snap.progress.fraction if snap.progress is not None else None) or 0.0, text=label)
        st.caption(t("recommend.job.elapsed", seconds=format_number(snap.elapsed, 0)))
        if st.button(t("recommend.job.stop"), key=state.RECOMMEND_STOP):
            job.stop()
