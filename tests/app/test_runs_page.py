"""Runs page in AppTest (English and Chinese): saved runs listed and compared, reopened exactly without
retraining, renamed and deleted; a new session of the same browser gets its dataset and latest run back."""

from __future__ import annotations

import io
import re
import time

import pytest

from components import state
from data.generate import generate
from ml.dataset import load_dataset
from ml.forecast import ForecastConfig, run_forecast
from ml.series import make_series
from ml.workspace import get_workspace
from tests.app.conftest import new_app, open_page, plotly_array, plotly_figures, texts

PAGE = "pages/runs_page.py"
OWNER = "0123456789abcdef0123456789abcdef"
RAW_ID = re.compile(r"\b(runs|workspace|data\.saved)\.[a-z_]+\.[a-z_.]+\b")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained():
    frame, _ = generate(seed=5, start="2024-01-01", end="2024-05-31", n_customers=150, n_products=10, volume=0.4)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    files = [("shop.csv", buf.getvalue().encode())]
    ds = load_dataset(files)
    series = make_series(ds.frame, "units", "total", "D")
    config = ForecastConfig(window=14, horizon=7, units=4, epochs=2, patience=0, seed=1)
    first = run_forecast(series, config, baselines=("naive", "snaive"))
    second = run_forecast(series, config.replace(units=6, model_type="gru"), baselines=("naive", "snaive"))
    return ds, files, first, second


def seed_workspace(trained):
    ds, files, first, second = trained
    ws = get_workspace()
    entry = ws.save_dataset(OWNER, ds, files)
    spec = {"target": "units", "level": "total", "freq": "D"}
    a = ws.save_run(OWNER, first, spec, ds.fingerprint, ds.name, label="lstm baseline")
    b = ws.save_run(OWNER, second, spec, ds.fingerprint, ds.name, label="gru try")
    ws.set_session_pointer(OWNER, dataset=entry.id, run=b.id)
    return a, b


def app_for(owner: str, language: str = "en", dataset=None):
    """A session of the browser whose workspace id is ``owner`` (as its cookie would say)."""
    at = new_app(dataset, language)
    at.session_state[state.OWNER] = owner
    return at


@pytest.mark.parametrize("language", ["en", "zh"])
def test_runs_are_listed_compared_and_named_in_both_languages(trained, language):
    a, b = seed_workspace(trained)
    at = open_page(app_for(OWNER, language), PAGE)
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 2 and {"gru try", "lstm baseline"} <= set(table.iloc[:, 0])
    from ml.keras_runtime import loaded_backend

    backend = {"en": "Backend", "zh": "后端"}[language]
    assert set(table[backend]) == {{"jax": "JAX", "tensorflow": "TensorFlow"}[loaded_backend()]}
    figures = plotly_figures(at)
    assert len(figures) == 2  # overlay + metrics side by side
    overlay = figures[0]
    names = {trace.get("name") for trace in overlay["data"]}
    assert {"gru try", "lstm baseline"} <= names
    bars = figures[1]["data"]  # one panel per metric (MAE, RMSE, sMAPE, MASE), one bar per run in each
    assert len(bars) == 8 and {bar["name"] for bar in bars} == {"gru try", "lstm baseline"}
    _, _, first, second = trained
    for bar in bars[3::4]:  # the MASE panel
        expected = (first if bar["name"] == "lstm baseline" else second).metrics["network"]["mase"]
        assert float(plotly_array(bar["y"])[0]) == pytest.approx(expected)
    shown = texts(at)
    assert not RAW_ID.search(shown), RAW_ID.search(shown)
    if language == "zh":
        assert "运行记录" in shown


def test_other_browsers_see_nothing(trained):
    seed_workspace(trained)
    at = open_page(app_for("f" * 32), PAGE)
    assert not at.exception
    assert not at.dataframe and "No runs yet" in texts(at)


def test_reopen_brings_back_the_run_exactly_without_retraining(trained):
    _, _, first, _ = trained
    a, _ = seed_workspace(trained)
    at = open_page(app_for(OWNER), PAGE)
    at.selectbox(key=state.RUNS_ACTIVE).set_value(a.id)
    at.run()
    started = time.perf_counter()
    next(b for b in at.button if b.label == "Reopen on the Forecast page").click()
    at.run()
    elapsed = time.perf_counter() - started
    assert not at.exception
    run = at.session_state[state.FORECAST_RESULT]
    assert run.run_id == a.id and run.result.forecaster is None  # nothing retrained
    assert run.result.metrics == first.metrics
    assert "Predicted vs actual" in " ".join(f["layout"]["title"]["text"] for f in plotly_figures(at))
    assert at.number_input(key=state.forecast_widget_key("window")).value == first.config.window  # settings too
    assert at.number_input(key=state.forecast_widget_key("units")).value == first.config.units
    assert elapsed < 20  # AppTest on a shared 2-core machine; the engine's own reopen is timed in the unit tests


def test_rename_and_delete(trained):
    a, b = seed_workspace(trained)
    at = open_page(app_for(OWNER), PAGE)
    at.selectbox(key=state.RUNS_ACTIVE).set_value(a.id)
    at.run()
    at.text_input(key=state.RUNS_LABEL).set_value("promo check")
    next(x for x in at.button if x.label == "Save name").click()
    at.run()
    assert get_workspace().get_run(OWNER, a.id).label == "promo check"
    at.checkbox(key=state.runs_delete_confirm_key(a.id)).check()
    at.run()
    next(x for x in at.button if x.label == "Delete run").click()
    at.run()
    assert not at.exception
    assert [r.id for r in get_workspace().list_runs(OWNER)] == [b.id]


def test_a_new_session_of_the_same_browser_gets_dataset_and_latest_run_back(trained):
    ds = trained[0]
    _, b = seed_workspace(trained)
    at = app_for(OWNER)  # no dataset given: as after a refresh
    at.session_state[state.SAMPLE_OFFERED] = False
    at = open_page(at, "pages/forecast_page.py")
    assert not at.exception
    assert at.session_state[state.DATASET].fingerprint == ds.fingerprint
    assert at.session_state[state.FORECAST_RESULT].run_id == b.id
    assert "gru try" in texts(at)


def test_damaged_registry_shows_a_message_and_repair(trained, tmp_path):
    a, b = seed_workspace(trained)
    ws = get_workspace()
    ws.close()
    db = ws.settings.sqlite_path
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    db.write_bytes(b"garbage" * 500)
    at = open_page(app_for(OWNER), PAGE)
    assert not at.exception
    assert any("damaged" in e.value for e in at.error)
    next(x for x in at.button if x.label == "Repair the registry").click()
    at.run()
    assert not at.exception
    assert {r.id for r in get_workspace().list_runs(OWNER)} == {a.id, b.id}
    assert len(at.dataframe[0].value) == 2


def test_search_runs_in_the_background_logs_trials_and_highlights_the_best(trained):
    from ml.jobs import REGISTRY

    ds = trained[0]
    at = app_for(OWNER, dataset=ds)
    at = open_page(at, "pages/forecast_page.py")
    for field, value in {"window": 14, "horizon": 7, "units": 4, "patience": 0}.items():
        at.number_input(key=state.forecast_widget_key(field)).set_value(value)
    next(b for b in at.button if b.label == "Train and compare")  # the form is there
    at.number_input(key=state.FORECAST_SEARCH_BUDGET).set_value(0.5)
    at.number_input(key=state.FORECAST_SEARCH_TRIALS).set_value(2)
    at.number_input(key=state.FORECAST_SEARCH_EPOCHS).set_value(2)
    at.run()
    next(b for b in at.button if b.label == "Start search").click()
    at.run()
    job = REGISTRY.get(at.session_state[state.FORECAST_SEARCH_JOB])
    assert job is not None and job.kind == "search"
    deadline = time.monotonic() + 240
    while not job.snapshot().finished and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run()
    assert not at.exception
    result = at.session_state[state.FORECAST_SEARCH_RESULT]
    assert 1 <= len(result.trials) <= 2
    trials = get_workspace().list_runs(OWNER, search_id=result.search_id)
    final = 1 if result.holdout is not None and result.holdout.run_id else 0  # the choice scored on the holdout
    assert {r.kind for r in trials} == {"trial"} and len(trials) == len([t for t in result.trials if t.run_id]) + final
    assert "Chosen: trial" in " ".join(s.value for s in at.success)
    assert "Scored once on the holdout" in " ".join(s.value for s in at.info)
    assert "How the choice was made" in " ".join(c.value for c in at.caption)


def test_a_training_still_running_shows_up_again_after_a_refresh(trained):
    from ml.jobs import REGISTRY

    ds = trained[0]
    owner = "1" * 32
    at = open_page(app_for(owner, dataset=ds), "pages/forecast_page.py")
    for field, value in {"window": 14, "horizon": 7, "units": 4, "patience": 0, "epochs": 400}.items():
        at.number_input(key=state.forecast_widget_key(field)).set_value(value)
    next(b for b in at.button if b.label == "Train and compare").click()
    at.run()
    job = REGISTRY.get(at.session_state[state.FORECAST_JOB])
    try:
        deadline = time.monotonic() + 120
        while job.snapshot().done < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        again = app_for(owner, dataset=ds)  # a new session of the same browser (after a refresh)
        again = open_page(again, "pages/forecast_page.py")
        assert not again.exception
        assert again.session_state[state.FORECAST_JOB] == job.id
        assert any("Training" in m.value for m in again.markdown)
        stranger = open_page(app_for("2" * 32, dataset=ds), "pages/forecast_page.py")
        assert not stranger.session_state[state.FORECAST_JOB]
    finally:
        job.stop()
        deadline = time.monotonic() + 120
        while not job.snapshot().finished and time.monotonic() < deadline:
            time.sleep(0.2)


def test_a_run_has_the_same_number_on_the_runs_and_forecast_pages(trained):
    a, b = seed_workspace(trained)
    assert (a.number, b.number) == (1, 2)
    at = open_page(app_for(OWNER), PAGE)
    table = at.dataframe[0].value.set_index("Run")
    assert table.loc["gru try", "No."] == b.number and table.loc["lstm baseline", "No."] == a.number
    assert at.selectbox(key=state.RUNS_ACTIVE).format_func(b.id) == "Run 2 · gru try"
    at.selectbox(key=state.RUNS_ACTIVE).set_value(b.id)
    at.run()
    next(x for x in at.button if x.label == "Reopen on the Forecast page").click()
    at.run()
    assert not at.exception
    assert at.session_state[state.FORECAST_RESULT].number == b.number
    assert any(c.value.startswith(f"Run {b.number} · ") for c in at.caption)  # the Forecast page's summary line
