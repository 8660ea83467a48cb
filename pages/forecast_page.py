"""Forecast: choose what to forecast, configure a network, train it in the background, compare it with baselines."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.access import require_access
from components.common.messages import show_message
from components.common.page import page_header_with_dataset
from components.common.workspace import show_workspace_error
from components.forecast.bundle import show_bundle_forecast
from components.forecast.form import remember_settings, restore_running_settings
from components.forecast.inputs import form_snapshot, input_model_config, input_series, make_page_series
from components.forecast.interrupted import show_interrupted, start_requested_rerun
from components.forecast.results import show_results
from components.forecast.search import search_in_progress, show_search
from components.forecast.training import (
    collect_finished_job,
    show_training,
    start_forecast,
    training_in_progress,
)
from ml.forecast import prepare_frame
from ml.i18n import t
from ml.schema import SalesLensError
from ml.series import describe_partial

require_access()  # a first request straight to this file (multipage-v1 fallback) meets the door too

ds = page_header_with_dataset("forecast.title", "forecast.intro", "forecast.no_data")

collect_finished_job()
restore_running_settings(training_in_progress())

with st.container(border=True):
    st.markdown(f"**{t('forecast.section.what')}**")
    spec = input_series(ds)
    filters = state.filters()
    if not filters.is_empty():
        st.caption(t("forecast.filters_applied"))

series = None
try:
    series = make_page_series(ds, spec, filters)
    prepare_frame(series)
    if describe_partial(series):
        st.caption(describe_partial(series))
except SalesLensError as err:
    show_message(err.message)

st.markdown(f"**{t('forecast.section.model')}**")
several = series is not None and series["unique_id"].nunique() > 1
request = input_model_config(spec.freq, several)
if request is not None and series is not None:
    config, folds, level = request
    if training_in_progress() or search_in_progress():
        st.warning(t("forecast.training.already_running"))
    else:
        try:
            config.validate()
            job = start_forecast(series, spec, config, folds, level, ds.fingerprint, ds.name)
            remember_settings(job.id, form_snapshot())
        except SalesLensError as err:
            state.forecast_error.set(err.message)

if not (training_in_progress() or search_in_progress()):
    start_requested_rerun(series, spec, ds)
if training_in_progress():
    show_training()
else:
    show_interrupted(ds, search_in_progress())

show_search(series, spec, ds, training_in_progress())

show_workspace_error()
error = state.forecast_error.get()
if error:
    show_message(error)

run = state.forecast_result.get()
if run is not None:
    if run.dataset_fingerprint != ds.fingerprint:
        st.info(t("forecast.results.other_dataset", name=run.dataset_name))  # not drawn over this dataset's series
    else:
        show_results(run)
elif not training_in_progress():
    st.info(t("forecast.results.none_yet"))

show_bundle_forecast(series)
