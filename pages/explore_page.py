"""Explore: KPI cards against a comparison period, the trend, top products/categories/regions and weekday
seasonality of the loaded dataset, under filters the model pages reuse (components/explore/)."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.access import require_access
from components.explore.views import show_explore
from ml.i18n import render_error, t
from ml.schema import SalesLensError

require_access()  # a first request straight to this file (multipage-v1 fallback) meets the door too

st.title(t("explore.title"))
dataset = state.dataset()
if dataset is None:
    st.info(t("explore.no_dataset"))
else:
    try:
        show_explore(dataset)
    except SalesLensError as err:
        st.error(render_error(err), icon=":material/error:")
