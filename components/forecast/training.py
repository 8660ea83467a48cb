"""Training off the script thread: start a forecast job, poll it from a fragment, hand its result to the page.

The job runs in a worker process of ``ml.jobs.REGISTRY`` (process-wide); the session keeps only its id, so reruns,
other widgets and page switches neither stop nor restart it.
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd
import streamlit as st

from components import state
from components.common.jobs import collect_job, job_running, queued_text, show_job_progress, start_job
from components.forecast.charts import plot_loss_curve
from ml.forecast import ForecastConfig
from ml.forecast.run import SeriesSpec, run_from_job
from ml.i18n import format_number, t
from ml.jobs import Job, JobSnapshot
from ml.progress import ProgressEvent
from ml.schema import SalesLensError
from ml.workspace import get_workspace

_log = logging.getLogger(__name__)


def record_started(owner: str, spec: dict, config: ForecastConfig, folds: int, level: float, fingerprint: str,
                   name: str, label: str) -> str | None:
    """Record the training as started in the workspace; None (and the training still runs) when it cannot be."""
    try:
        return get_workspace().start_run(owner, label, spec, config.to_dict(), {"folds": int(folds),
                                         "level": float(level)}, fingerprint, name)
    except SalesLensError:
        return None  # a read-only or damaged workspace is reported when the run is saved


def forget_started(run_id: str) -> None:
    try:
        get_workspace().forget_started(run_id)
    except SalesLensError:
        _log.warning("could not clear the start record of run %s", run_id)


def start_forecast(series: pd.DataFrame, spec: SeriesSpec, config: ForecastConfig, folds: int, level: float, dataset_fingerprint: str, dataset_name: str) -> Job:
    """Queue a training in a worker process; it is recorded as started in the workspace first, so that a server
    killed meanwhile leaves it listed as interrupted, with its settings, instead of losing it without a word."""
    number = int(state.forecast_run_count.get(0)) + 1
    owner = state.owner()
    spec_dict = dataclasses.asdict(spec)
    run_id = record_started(owner, spec_dict, config, folds, level, dataset_fingerprint, dataset_name, spec.describe())
    args = {"series": series, "config": config.to_dict(), "folds": int(folds), "level": float(level), "owner": owner,
            "spec": spec_dict, "fingerprint": dataset_fingerprint, "name": dataset_name, "number": number,
            "run_id": run_id}
    job = start_job("forecast", spec.describe(), "ml.tasks:train_forecast", args, state.FORECAST_JOB,
                    state.FORECAST_ERROR, on_finish=(lambda _job: forget_started(run_id)) if run_id else None)
    state.put(state.FORECAST_RUN_COUNT, number)
    return job


def collect_finished_job() -> None:
    """Move a finished job's result (or error) into the session; the previous good result survives a failure."""
    result = collect_job(state.FORECAST_JOB, state.FORECAST_RESULT, state.FORECAST_ERROR, convert=run_from_job)
    if result is not None and result.save_error:
        state.workspace_error.set(result.save_error)


def training_in_progress() -> bool:
    return job_running(state.FORECAST_JOB)


def progress_text(progress: ProgressEvent, history: list[dict], elapsed: float) -> str:
    """"Training 1 of 2 · epoch 15 of 60 · …": the epochs the analyst set, per training (a run trains the holdout
    model, each backtest fold and the final model), and an upper bound on the time left from the recent epochs'
    median duration (early stopping usually ends sooner), or none before three epochs have been timed."""
    total = int(progress.total or 0)
    epoch = max(0, progress.done - 1)  # the epoch running last, counted from 0
    per = int(progress.metrics.get("epochs_per_training") or total or 1)
    trainings = max(1, round(total / per))
    training = min(trainings, epoch // per + 1)
    times = [row["t"] for row in history if "t" in row][-6:]
    if len(times) >= 4:
        step = float(pd.Series(times).diff().dropna().median())
        remaining = t("forecast.training.left_at_most", seconds=format_number(step * max(0, total - epoch - 1), 0))
    else:
        remaining = t("forecast.training.left_unknown")
    return t("forecast.training.progress_per_training", training=training, trainings=trainings,
             epoch=epoch % per + 1, epochs=per, loss=format_number(progress.metrics.get("loss"), 4),
             val_loss=format_number(progress.metrics.get("val_loss"), 4), elapsed=format_number(elapsed, 0),
             remaining=remaining)


def show_training() -> None:
    """Live progress of the session's training: bar, epoch, losses, time left, loss curve, Stop."""
    show_job_progress(state.FORECAST_JOB, _draw_training)


def _draw_training(job: Job, snap: JobSnapshot) -> None:
    with st.container(border=True):
        st.markdown(f"**{t('forecast.training.title')}** · {snap.label}")
        queued = queued_text(snap)
        if queued:
            st.info(queued)
        elif snap.progress is not None and snap.progress.total:
            st.progress(snap.progress.fraction, text=progress_text(snap.progress, snap.history, snap.elapsed))
            st.caption(t("forecast.training.early_stop_note"))
        else:
            st.progress(0.0, text=t("forecast.training.preparing"))
        if snap.history:
            st.plotly_chart(plot_loss_curve(snap.history), key=state.FORECAST_LIVE_LOSS, config={"displayModeBar": False})
        if job.stop_event.is_set():
            st.caption(t("forecast.training.stopping"))
        elif st.button(t("forecast.training.stop"), key=state.FORECAST_STOP, help=t("forecast.training.stop_help")):
            job.stop()
            st.caption(t("forecast.training.stopping"))
