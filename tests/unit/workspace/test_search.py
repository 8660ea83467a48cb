"""Hyperparameter search: stays within its time budget, logs every trial as a run, scores every trial on the same
validation periods as the baselines, and picks the lowest MASE as the best (test_search_holdout.py: the holdout)."""

from __future__ import annotations

import threading
import time

import pytest

from ml.forecast import ForecastConfig
from ml.forecast.search import PARAMS, SearchSpace, run_search
from ml.progress import Progress
from ml.schema import ConfigError
from ml.workspace import get_workspace
from tests.unit.workspace.conftest import make_series

BASE = ForecastConfig(window=14, horizon=7, units=4, epochs=2, patience=0, batch_size=32, seed=3)
SMALL_SPACE = SearchSpace(window=(7, 21), units=(4, 8), layers=(1, 2))


@pytest.mark.slow
def test_search_logs_every_trial_as_a_run_and_highlights_the_best():
    ws = get_workspace()
    series = make_series(n=120)
    seen = []

    def save(result, trial, search_id):
        return ws.save_run("alice", result, {"target": "units", "level": "total", "freq": "D"}, "e" * 32,
                           "s.csv", kind="trial", search_id=search_id, label=f"trial {trial.number}").id

    result = run_search(series, BASE, budget_seconds=300, max_trials=3, space=SMALL_SPACE, seed=1,
                        save_trial=save, progress=Progress(seen.append))
    assert [(e.step, e.done, e.total) for e in seen] == [("trial", n, 3) for n in range(4)]
    assert all(e.metrics["budget_s"] == 300 for e in seen) and len(result.trials) == 3
    assert [e.metrics["mase"] for e in seen[1:]] == [t.mase for t in result.trials]
    runs = ws.list_runs("alice", search_id=result.search_id)
    # every trial, and the chosen settings scored once on the holdout
    assert sorted(r.id for r in runs) == sorted([t.run_id for t in result.trials] + [result.holdout.run_id])
    assert {r.kind for r in runs} == {"trial"}
    # every trial carries the same baseline scores (same validation periods), the network's differ by settings
    trial_runs = [r for r in runs if r.id != result.holdout.run_id]
    baseline_scores = [{m: v for m, v in r.metrics.items() if m not in ("network", "network_alone")} for r in trial_runs]
    assert all(b == baseline_scores[0] for b in baseline_scores) and "snaive" in baseline_scores[0]
    assert result.best.mase == min(t.mase for t in result.trials)
    table = result.table()
    assert table["best"].sum() == 1 and set(PARAMS) <= set(table.columns)
    for t in result.trials:
        assert SMALL_SPACE.window[0] <= t.params["window"] <= SMALL_SPACE.window[1]
        assert 1e-4 <= t.params["learning_rate"] <= 1e-2


@pytest.mark.slow
def test_search_respects_the_time_budget_and_a_stop():
    series = make_series(n=120)
    slow = BASE.replace(epochs=400)
    started = time.monotonic()
    result = run_search(series, slow, budget_seconds=12, max_trials=50, space=SMALL_SPACE)
    elapsed = time.monotonic() - started
    # the trial in flight is stopped at the deadline (best weights kept); then the chosen settings train once more
    # (at most as many epochs as that trial ran, baselines refitted) to be scored on the holdout: about one trial
    assert elapsed < 12 + 25 + 1.5 * result.best.seconds, (elapsed, result.best.seconds)
    assert result.trials and result.trials[-1].status in ("cut", "ok")
    stop = threading.Event()
    stop.set()
    stopped = run_search(series, slow, budget_seconds=60, max_trials=50, space=SMALL_SPACE, progress=Progress(stop=stop))
    assert stopped.stopped and len(stopped.trials) <= 1


def test_bad_budget_is_refused():
    with pytest.raises(ConfigError):
        run_search(make_series(), BASE, budget_seconds=1)
