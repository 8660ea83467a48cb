"""The Forecast form tells the truth: edits never start a training, a reload shows the running training's settings,
the preset text follows the edits, and the progress counts the epochs the analyst set."""

from __future__ import annotations

import time

import pytest

from components import state
from components.forecast.training import progress_text
from ml.jobs import REGISTRY
from ml.progress import ProgressEvent
from tests.app.conftest import new_app, open_page, texts
from tests.app.test_forecast_page import small_dataset  # noqa: F401 - the same small shop as the page test

PAGE = "pages/forecast_page.py"
pytestmark = pytest.mark.slow


def _set(at, field, value):
    at.number_input(key=state.forecast_widget_key(field)).set_value(value)


def test_edits_do_not_start_a_training_and_the_preset_text_follows_them(small_dataset):  # noqa: F811
    at = open_page(new_app(small_dataset), PAGE)
    at.selectbox(key=state.FORECAST_PRESET).set_value("gru").run()
    assert at.selectbox(key=state.forecast_widget_key("model_type")).value == "gru"
    assert "Custom (started from" not in texts(at)
    _set(at, "window", 28)
    at.run()  # what Enter in a number field did inside the old st.form: a rerun with the new value
    assert state.FORECAST_JOB not in at.session_state or not at.session_state[state.FORECAST_JOB]
    shown = texts(at)
    assert "Custom (started from" in shown and "window 28" in shown


def test_weekly_frequency_takes_the_weekly_defaults_and_keeps_what_the_analyst_edited(small_dataset):  # noqa: F811
    # 56 days is not 56 weeks: the daily window and horizon on weekly totals were refused ("needs at least 121
    # periods") until the analyst found and retyped them; untouched settings follow the frequency, edited ones stay
    at = open_page(new_app(small_dataset), PAGE)
    _set(at, "units", 16)  # an edit the switch must keep
    at.run()
    at.selectbox(key=state.FORECAST_FREQ).set_value("W").run()
    value = {f: at.session_state[state.forecast_widget_key(f)]
             for f in ("window", "horizon", "units", "validation_split", "combine", "day_of_week", "week_of_year")}
    assert value == {"window": 26, "horizon": 8, "units": 16, "validation_split": 0.25,
                     "combine": "ets_arima_snaive_snaive2", "day_of_week": False, "week_of_year": True}
    assert not at.exception and "needs at least" not in texts(at)
    assert "window 26, horizon 8" in texts(at)  # the caption says what will train, not the daily preset's text
    _set(at, "window", 20)  # edited on weekly data, then back to daily: the edit stays, the rest is daily again
    at.run()
    at.selectbox(key=state.FORECAST_FREQ).set_value("D").run()
    value = {f: at.session_state[state.forecast_widget_key(f)] for f in ("window", "horizon", "units", "combine")}
    assert value == {"window": 20, "horizon": 28, "units": 16, "combine": "ets_arima"}
    # untouched, the preset's own text, and on weekly data what it was adapted to
    fresh = open_page(new_app(small_dataset), PAGE)
    fresh.selectbox(key=state.FORECAST_FREQ).set_value("W").run()
    assert "Adapted to weekly data" in texts(fresh) and "window 26, horizon 8" in texts(fresh)


def test_a_reload_shows_the_running_trainings_settings_not_the_defaults(small_dataset):  # noqa: F811
    at = open_page(new_app(small_dataset), PAGE)
    at.selectbox(key=state.FORECAST_PRESET).set_value("gru").run()
    _set(at, "window", 21)
    _set(at, "horizon", 7)
    _set(at, "epochs", 400)
    _set(at, "units", 8)
    _set(at, "patience", 0)
    at.run()
    at = next(b for b in at.button if b.label == "Train and compare").click().run()
    job_id = at.session_state[state.FORECAST_JOB]
    try:
        # a reload: a new session of the same browser, the job re-attached by the workspace
        again = new_app(small_dataset)
        again.session_state[state.FORECAST_JOB] = job_id
        again = open_page(again, PAGE)
        assert again.selectbox(key=state.FORECAST_PRESET).value == "gru"
        assert again.selectbox(key=state.forecast_widget_key("model_type")).value == "gru"
        assert again.number_input(key=state.forecast_widget_key("window")).value == 21
        assert again.number_input(key=state.forecast_widget_key("epochs")).value == 400
    finally:
        REGISTRY.get(job_id).stop()
        deadline = time.monotonic() + 120
        while not REGISTRY.get(job_id).snapshot().finished and time.monotonic() < deadline:
            time.sleep(0.2)


def test_progress_counts_the_epochs_set_per_training_and_bounds_the_time_left():
    history = [{"epoch": e, "t": 100.0 + 2.0 * e} for e in range(1, 16)]
    # 75 epochs of 120 done: the 15th of the second 60-epoch training
    text = progress_text(ProgressEvent("epoch", 75, 120, {"epochs_per_training": 60, "loss": 0.1, "val_loss": 0.2}),
                         history, 150)
    assert "Training 2 of 2" in text and "epoch 15 of 60" in text
    assert "at most about 90 s left" in text  # 45 epochs × 2 s
    first = progress_text(ProgressEvent("epoch", 60, 120, {"epochs_per_training": 60}), history, 150)
    assert "Training 1 of 2" in first and "epoch 60 of 60" in first
    early = progress_text(ProgressEvent("epoch", 2, 60, {"epochs_per_training": 60}), history[:2], 4)
    assert "epoch 2 of 60" in early and "estimating" in early
