"""Trainings cut off by a server stop (``ml.workspace.started``): listed on the Forecast page with their settings,
one click from training them again on the same data, or dismissed."""

from __future__ import annotations

from datetime import UTC

import pandas as pd
import streamlit as st

from components import state
from components.common.workspace import restore_settings
from components.forecast.training import start_forecast
from ml.dataset import Dataset
from ml.forecast import ForecastConfig
from ml.forecast.run import SeriesSpec
from ml.i18n import t
from ml.schema import SalesLensError
from ml.workspace import get_workspace
from ml.workspace.started import StartedRun

SHOWN = 3  # the latest few; older ones stay in the registry until dismissed


def _spec(run: StartedRun) -> SeriesSpec:
    return SeriesSpec(**{k: str(run.spec.get(k, default)) for k, default in
                         (("target", "units"), ("level", "total"), ("freq", "D"))})


def _request_rerun(run: StartedRun) -> None:
    """Button callback (before the widgets are drawn): the form gets the run's settings, the page trains it."""
    config = ForecastConfig.from_dict(run.config)
    restore_settings(config, _spec(run), run.dataset_fingerprint, run.settings.get("level"),
                     run.settings.get("folds"))
    state.forecast_rerun.set(run)


def _dismiss(run_id: str) -> None:
    try:
        get_workspace().forget_started(run_id, state.owner())
    except SalesLensError as err:
        state.workspace_error.set(err.message)


def show_interrupted(ds: Dataset | None, busy: bool, forecast_page: str | None = None) -> None:
    """A notice per training of this browser that a server stop cut off, with Re-run and Dismiss. From another
    page, ``forecast_page`` is where Re-run goes to train it."""
    if state.workspace_nothing_saved.get():
        return  # a first visit: nothing of this browser can have been cut off
    try:
        runs = get_workspace().interrupted_runs(state.owner())
    except SalesLensError:
        return  # the workspace problem is shown by the sections that save
    page = "runs" if forecast_page else "forecast"
    for run in runs[:SHOWN]:
        config = run.config
        with st.container(border=True):
            st.warning(t("jobs.interrupted.message", label=run.label,
                         started=run.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                         model=t(f"forecast.model.{config.get('model_type', 'lstm')}"), window=config.get("window"),
                         horizon=config.get("horizon"), epochs=config.get("epochs"), dataset=run.dataset_name),
                       icon=":material/history:")
            same = ds is not None and ds.fingerprint == run.dataset_fingerprint
            c1, c2 = st.columns(2)
            rerun = c1.button(t("jobs.interrupted.rerun"), key=state.interrupted_key("rerun", run.id, page), type="primary",
                              on_click=_request_rerun, args=(run,), disabled=busy or not same, width="stretch",
                              help=t("jobs.interrupted.rerun_help"))
            c2.button(t("jobs.interrupted.dismiss"), key=state.interrupted_key("dismiss", run.id, page),
                      on_click=_dismiss, args=(run.id,), width="stretch")
            if not same:
                st.caption(t("jobs.interrupted.other_dataset", dataset=run.dataset_name))
            if rerun and forecast_page:
                st.switch_page(forecast_page)


def start_requested_rerun(series: pd.DataFrame | None, spec: SeriesSpec, ds: Dataset) -> None:
    """Train the interrupted run asked for by its button (its settings are in the form by now), then forget it."""
    run = state.forecast_rerun.get()
    if run is None:
        return
    state.forecast_rerun.set(None)
    if series is None or ds.fingerprint != run.dataset_fingerprint:
        return
    try:
        config = ForecastConfig.from_dict(run.config)
        start_forecast(series, spec, config, int(run.settings.get("folds") or 0),
                       float(run.settings.get("level") or 0.9), ds.fingerprint, ds.name)
        get_workspace().forget_started(run.id, state.owner())
    except SalesLensError as err:
        state.forecast_error.set(err.message)
