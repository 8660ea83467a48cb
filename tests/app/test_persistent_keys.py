"""Only the widget keys declared in components.state.persist keep their value when their widget is not drawn (a
page switch); the others go back to their defaults, as Streamlit does."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from components import state
from tests.app.conftest import TIMEOUT, dataset_from_csv, plotly_figures
from tests.app.test_explore_page import CSV, explore


def _script():
    import streamlit as st

    from components import state

    state.keep_widget_values()
    if not st.query_params.get("away"):  # the "page" with both widgets; away=1 draws neither
        st.number_input("top", key=state.EXPLORE_TOP_N, value=10)
        st.checkbox("day first", key=state.DATA_DAY_FIRST, value=False)


def test_declared_keys_survive_a_run_without_their_widget_and_the_others_do_not():
    assert state.is_persistent(state.EXPLORE_TOP_N) and not state.is_persistent(state.DATA_DAY_FIRST)
    at = AppTest.from_function(_script, default_timeout=TIMEOUT).run()
    at.number_input(key=state.EXPLORE_TOP_N).set_value(5)
    at.checkbox(key=state.DATA_DAY_FIRST).check()
    at.run()
    at.query_params["away"] = "1"
    at.run()
    assert not at.number_input and not at.checkbox
    at.query_params.pop("away")
    at.run()
    assert at.number_input(key=state.EXPLORE_TOP_N).value == 5  # declared: kept
    assert at.checkbox(key=state.DATA_DAY_FIRST).value is False  # not declared: back to its default


def test_explore_settings_survive_a_page_switch_in_the_app():
    at = explore(dataset_from_csv(CSV, "tiny.csv"))
    at.slider(key=state.EXPLORE_TOP_N).set_value(3).run()
    assert not at.exception
    at.switch_page("pages/data_page.py").run()
    assert not at.exception
    at.switch_page("pages/explore_page.py").run()
    assert at.slider(key=state.EXPLORE_TOP_N).value == 3
    assert plotly_figures(at)
