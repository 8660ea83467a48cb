"""Forecast page in AppTest: configure, train in the background, see the scorecard and the chart's data, stop a
training mid-run, and keep the last good result when a setting cannot work."""

from __future__ import annotations

import io
import time

import pytest

from components import state
from data.generate import generate
from ml.dataset import load_dataset
from ml.jobs import REGISTRY
from tests.app.conftest import new_app, open_page, plotly_array, plotly_figures, texts

PAGE = "pages/forecast_page.py"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_dataset():
    frame, _ = generate(seed=5, start="2024-01-01", end="2024-08-31", n_customers=200)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return load_dataset([("small.csv", buf.getvalue().encode())])


def configure(at, **values):
    for field, value in values.items():
        at.number_input(key=state.forecast_widget_key(field)).set_value(value)


def click(at, label):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def wait_until_finished(at, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = REGISTRY.get(at.session_state[state.FORECAST_JOB]) if state.FORECAST_JOB in at.session_state else None
        if job is None or job.snapshot().finished:
            return at.run()
        time.sleep(0.5)
    raise AssertionError("training did not finish in time")


ENGINE_NAMES = {"jax": "JAX", "tensorflow": "TensorFlow"}


def test_train_shows_scorecard_verdict_and_chart(small_dataset):
    at = open_page(new_app(small_dataset), PAGE)
    assert not at.exception
    configure(at, window=14, horizon=7, epochs=4, units=8, patience=0)
    at = click(at, "Train and compare")
    assert at.session_state[state.FORECAST_JOB], "training should start in the background"
    at = wait_until_finished(at)
    assert not at.exception
    run = at.session_state[state.FORECAST_RESULT]
    # holdout model (4 epochs) + the future fit, warm-started from it (warm_start_epochs more)
    assert run is not None and run.result.epochs_run == 4 + run.config.warm_start_epochs == 7
    from ml.workspace import get_workspace

    saved = get_workspace().get_run(at.session_state[state.OWNER], run.run_id)
    assert run.number == saved.number  # the "Run N" of the Runs page
    assert any(c.value.startswith(f"Run {saved.number} · ") for c in at.caption)
    scorecard = at.dataframe[0].value
    assert {"Network", "Seasonal naive", "ETS", "ARIMA", "Naive (last value)", "Moving average"} <= set(scorecard.index)
    assert "The network was the most accurate model on" in texts(at) or at.warning or at.success
    from ml.keras_runtime import resolve_backend

    assert run.result.backend == resolve_backend()  # the worker process trained on the configured backend
    assert f"Trained on {ENGINE_NAMES[run.result.backend]}" in texts(at)  # the backend that trained it, shown
    shares = run.result.blend_shares  # the blend's shares per series, shown under the scorecard
    assert shares and all(sum(b.values()) == pytest.approx(1.0) for b in shares.values())
    assert any(c.value.startswith("Shares of the blend") and "Network" in c.value for c in at.caption), "\n".join(c.value for c in at.caption)
    figure = next(f for f in plotly_figures(at) if "Predicted vs actual" in f["layout"]["title"]["text"])
    traces = {t["name"]: t for t in figure["data"] if "name" in t}
    assert len(plotly_array(traces["Network (held-out period)"]["y"])) == 7
    assert len(plotly_array(traces["Forecast"]["y"])) == 7
    holdout_actual = run.result.holdout["y"].to_numpy()
    assert len(holdout_actual) == 7


def test_stop_mid_training_keeps_the_best_weights(small_dataset):
    at = open_page(new_app(small_dataset), PAGE)
    configure(at, window=14, horizon=7, epochs=400, units=8, patience=0)
    at = click(at, "Train and compare")
    job = REGISTRY.get(at.session_state[state.FORECAST_JOB])
    deadline = time.monotonic() + 120
    while job.snapshot().done < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    at = click(at, "Stop")
    at = wait_until_finished(at)
    run = at.session_state[state.FORECAST_RESULT]
    assert run.stopped and run.result.epochs_run < 400
    assert "Training was stopped early" in texts(at)


def test_impossible_setting_shows_a_message_and_keeps_the_last_result(small_dataset):
    at = open_page(new_app(small_dataset), PAGE)
    configure(at, window=14, horizon=7, epochs=2, units=8, patience=0)
    at = wait_until_finished(click(at, "Train and compare"))
    first = at.session_state[state.FORECAST_RESULT]
    configure(at, window=400)
    at = wait_until_finished(click(at, "Train and compare"))
    assert not at.exception
    assert any("Choose a shorter window" in e.value or "Shorten the window" in e.value for e in at.error)
    assert at.session_state[state.FORECAST_RESULT] is first
