"""Forecast page in AppTest: a training cut off by a server stop is shown after the restart with its settings, and
one click trains it again with those settings on the same data; Dismiss forgets it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from components import state
from data.generate import generate
from ml.forecast import ForecastConfig
from ml.jobs import REGISTRY
from ml.workspace import get_workspace, reset_workspaces
from ml.workspace.files import utc_now
from ml.workspace.started import started_row
from tests.app.conftest import dataset_from_csv, new_app, open_page

PAGE = "pages/forecast_page.py"
OWNER = "c" * 32
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dataset():
    frame, _ = generate(seed=5, start="2024-01-01", end="2024-05-31", n_customers=150, n_products=10, volume=0.4)
    text = frame.to_csv(index=False)
    return dataset_from_csv(text, "shop.csv"), [("shop.csv", text.encode("utf-8"))]


def cut_off_training(ds, run_id: str) -> ForecastConfig:
    """A training recorded as started by a server process that has died since."""
    config = ForecastConfig(model_type="gru", window=15, horizon=6, units=5, epochs=400, patience=0, seed=4)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    row = started_row(run_id, OWNER, "Units · total · daily", {"target": "units", "level": "total", "freq": "D"},
                      config.to_dict(), {"folds": 1, "level": 0.8}, ds.fingerprint, ds.name, utc_now())
    get_workspace().registry.add_started({**row, "pid": dead.pid, "token": "0" * 32})
    reset_workspaces()  # the restarted server opens the registry
    return config


def stop_and_wait(job, timeout: float = 120) -> None:
    job.stop()
    deadline = time.monotonic() + timeout
    while not job.snapshot().finished and time.monotonic() < deadline:
        time.sleep(0.2)


def app(ds, page: str = PAGE):
    at = new_app(ds)
    at.session_state[state.OWNER] = OWNER  # the browser whose workspace id this is (its cookie)
    return open_page(at, page)


def click_rerun(at):
    """Click the interrupted training's Re-run; returns the app and the training it started."""
    next(b for b in at.button if b.label == "Train again with these settings").click()
    at.run()
    assert not at.exception
    return at, REGISTRY.get(at.session_state[state.FORECAST_JOB])


def test_an_interrupted_training_is_shown_with_its_settings_and_trains_again_in_one_click(dataset):
    ds, files = dataset
    get_workspace().save_dataset(OWNER, ds, files)
    config = cut_off_training(ds, "9" * 32)
    at = app(ds)
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert "was cut off when the server stopped" in notice and "window 15" in notice and "400 epochs" in notice
    at, job = click_rerun(at)
    try:
        assert job is not None and job.kind == "forecast"
        for field in ("model_type", "window", "horizon", "units", "epochs", "seed"):
            assert at.session_state[state.forecast_widget_key(field)] == getattr(config, field)
        assert at.session_state[state.FORECAST_FOLDS] == 1 and at.session_state[state.FORECAST_INTERVAL] == 0.8
        assert "9" * 32 not in {r.id for r in get_workspace().interrupted_runs(OWNER)}
    finally:
        stop_and_wait(job)


def test_dismiss_forgets_the_interrupted_training(dataset):
    ds, files = dataset
    get_workspace().save_dataset(OWNER, ds, files)
    cut_off_training(ds, "8" * 32)
    at = app(ds)
    next(b for b in at.button if b.label == "Dismiss").click()
    at.run()
    assert not at.exception
    assert get_workspace().interrupted_runs(OWNER) == []
    assert not any("was cut off" in w.value for w in at.warning)


def test_the_runs_page_lists_it_too_and_its_rerun_trains_on_the_forecast_page(dataset):
    ds, files = dataset
    get_workspace().save_dataset(OWNER, ds, files)
    config = cut_off_training(ds, "7" * 32)
    at = app(ds, "pages/runs_page.py")
    assert not at.exception
    assert any("was cut off when the server stopped" in w.value for w in at.warning)
    at, job = click_rerun(at)
    try:
        assert job is not None and job.kind == "forecast"
        assert at.session_state[state.forecast_widget_key("window")] == config.window
        assert get_workspace().interrupted_runs(OWNER) == []
    finally:
        stop_and_wait(job)
