"""SalesLens entry point: language, shared sidebar (dataset status), and the page router."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.access import require_access, show_signed_in
from components.common.datasets import ensure_sample_loaded, show_dataset_status
from components.common.locale import currency, input_currency, input_language
from components.common.workspace import offer_linked_workspace
from ml.i18n import t

st.set_page_config(page_title="SalesLens", page_icon=":material/insights:", layout="wide")

input_language()  # sets the language for this run before any text is drawn
require_access()  # with [auth] in secrets.toml: the sign-in page, and nothing else, until an allowed person signs in
state.keep_widget_values()
ensure_sample_loaded()
offer_linked_workspace()  # a ?ws= link to another workspace: asked, never adopted silently

# Page files are named *_page.py on purpose: Streamlit 1.67 still has a multipage-v1 fallback that runs a file in
# pages/ directly (skipping this script) when its file name equals the requested URL path, which AppTest triggers on
# every rerun and a real server on its very first request. Distinct file names and url_paths avoid it.
pages = [
    st.Page("pages/data_page.py", title=t("nav.data"), icon=":material/folder_open:", url_path="data", default=True),
    st.Page("pages/explore_page.py", title=t("nav.explore"), icon=":material/bar_chart:", url_path="explore"),
    st.Page("pages/forecast_page.py", title=t("nav.forecast"), icon=":material/timeline:", url_path="forecast"),
    st.Page("pages/recommend_page.py", title=t("nav.recommend"), icon=":material/shopping_cart:", url_path="recommend"),
    st.Page("pages/pricing_page.py", title=t("nav.pricing"), icon=":material/sell:", url_path="pricing"),
    st.Page("pages/runs_page.py", title=t("nav.runs"), icon=":material/history:", url_path="runs"),
]
navigation = st.navigation(pages)

with st.sidebar:
    status_box = st.empty()  # drawn now (it shows at once), again after the page if the page loaded other data
    shown = state.dataset()
    with status_box.container():
        show_dataset_status(shown)
    money = input_currency()
    show_signed_in()
    st.caption(t("sidebar.footer"))

navigation.run()

if state.dataset() is not shown:
    with status_box.container():
        show_dataset_status(state.dataset())
    if currency() != money:  # the page loaded data in another currency: draw the page again in it
        st.rerun()
