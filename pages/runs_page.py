"""Runs: every saved forecast run; filter, compare several side by side, reopen, rename, export, import, delete."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.access import require_access
from components.common.jobs import job_running
from components.common.page import MISSING_CELL
from components.common.workspace import show_workspace_error, workspace
from components.forecast.interrupted import show_interrupted
from components.runs.views import (
    input_run_filters,
    runs_table,
    show_comparison,
    show_import,
    show_maintenance,
    show_message,
    show_repair,
    show_run_actions,
)
from ml.i18n import t
from ml.schema import SalesLensError

require_access()  # a first request straight to this file (multipage-v1 fallback) meets the door too

st.title(t("runs.title"))
st.caption(t("runs.intro_shared") if workspace().settings.shared else t("runs.intro"))

show_message()
show_workspace_error()
show_interrupted(state.dataset(), job_running(state.FORECAST_JOB), forecast_page="pages/forecast_page.py")
owner = state.owner()
try:
    everything = workspace().list_runs(owner)
except SalesLensError as err:
    show_repair(err)
    st.stop()

show_import()
show_maintenance()
if not everything:
    st.info(t("runs.none"))
    st.stop()

filters = input_run_filters(everything)
records = workspace().list_runs(owner, **filters)
st.caption(t("runs.count", shown=len(records), total=len(everything)))
if not records:
    st.info(t("runs.none_match"))
    st.stop()
st.dataframe(runs_table(records), hide_index=True, width="stretch", key=state.RUNS_TABLE, placeholder=MISSING_CELL,
             column_config={t("runs.table.network_mase"): st.column_config.NumberColumn(format="%.3f"),
                            t("runs.table.number"): st.column_config.NumberColumn(format="%d")})

st.subheader(t("runs.compare.title"))
show_comparison(records)

st.subheader(t("runs.actions.title"))
show_run_actions(records)
