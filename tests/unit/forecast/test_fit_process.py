"""The statsmodels fits made ahead in a helper process (ml.forecast.fit_process): the same results as fitting them
in the run's process, the same answer when the helper fails or dies, and no helper left once a run ends."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from ml.forecast import baselines, fit_process, run_forecast
from ml.forecast.fit_process import ENV_SWITCH, FitAhead, FitTask, plan_fits, wanted
from ml.progress import Progress
from tests.unit.forecast.conftest import SMALL, make_series

SMALL_FEW = SMALL.replace(epochs=6, patience=0)


def planted(n_series: int = 3, n: int = 160) -> pd.DataFrame:
    """Weekly pattern + trend + noise per series (different levels and seeds): planted truth, several series."""
    return pd.concat([make_series(n, uid=f"p{i}", seed=10 + i, level=40.0 + 15 * i) for i in range(n_series)],
                     ignore_index=True)


@pytest.fixture(autouse=True)
def _fresh_caches():
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()
    yield
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()


@pytest.fixture
def helpers(monkeypatch):
    """Every FitAhead a run starts, to look at afterwards."""
    made: list[FitAhead] = []
    original = FitAhead.start

    def start(self):
        made.append(self)
        return original(self)

    monkeypatch.setattr(FitAhead, "start", start)
    return made


def _run(df, monkeypatch, switch: str, **kwargs):
    monkeypatch.setenv(ENV_SWITCH, switch)
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()
    return run_forecast(df, SMALL_FEW, baselines=True, **kwargs)


def _assert_same(a, b) -> None:
    for name in ("holdout", "future", "scorecard", "summary"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.metrics == b.metrics
    assert a.baseline_models == b.baseline_models
    assert a.forecaster.combine_partners_ == b.forecaster.combine_partners_


def test_switch_and_default():
    assert not wanted(1, {}) and wanted(fit_process.MIN_SERIES, {})
    assert wanted(1, {ENV_SWITCH: "1"}) and not wanted(40, {ENV_SWITCH: "0"})


def test_plan_covers_every_fit_the_run_makes(monkeypatch):
    """Every ETS/ARIMA the run fits in place (helper off) is in the plan, so none is left to the run's core."""
    df = planted(2)
    asked: set[tuple] = set()
    for name in ("_ets_search", "_arima_search"):
        inner = getattr(baselines, name)

        def spy(y, m, *rest, inner=inner, name=name):
            model = "ets" if name == "_ets_search" else "arima"
            asked.add((model, FitTask(model, np.ascontiguousarray(y, dtype=np.float64), m, *(rest or ("D",))).key))
            return inner(y, m, *rest)

        monkeypatch.setattr(baselines, name, spy)
    r = _run(df, monkeypatch, "0", backtest_folds=1)
    from ml.forecast.evaluation import fold_splits
    from ml.forecast.pipeline import check_inputs

    frame, freq = check_inputs(df, SMALL_FEW, 1, 0.9)
    planned = {(t.model, t.key) for t in plan_fits(fold_splits(frame, SMALL_FEW.horizon, 1), frame, freq,
                                                   r.config, ("ets", "arima"))}
    assert asked and asked <= planned


def test_helper_gives_the_same_results_as_fitting_in_place(monkeypatch, helpers):
    """Forecasts, scores and blend shares to the last bit, with backtest folds and the refit; the helper delivered
    fits (or this process took some from the back of the plan), and the run's core fitted none in place."""
    df = planted(3)
    in_place = _run(df, monkeypatch, "0", backtest_folds=1)
    assert not helpers
    fitted_here: list[int] = []
    for name in ("_ets_search", "_arima_search"):
        inner = getattr(baselines, name)
        monkeypatch.setattr(baselines, name, lambda *a, inner=inner: (fitted_here.append(1), inner(*a))[1])
    ahead = _run(df, monkeypatch, "1", backtest_folds=1)
    _assert_same(ahead, in_place)
    (helper,) = helpers
    assert helper.delivered > 0
    # in place only plan tasks: asked for before the helper took them, or taken from the back while waiting
    assert len(fitted_here) == helper.fitted_here + helper.asked_here
    assert helper.delivered + helper.fitted_here + helper.asked_here == len(helper.tasks)
    assert helper.proc.poll() is not None


def test_a_helper_that_dies_at_start_changes_nothing(monkeypatch, helpers):
    df = planted(2)
    in_place = _run(df, monkeypatch, "0", refit=False)
    monkeypatch.setattr(fit_process, "helper_command", lambda fd: [sys.executable, "-c", "raise SystemExit(3)"])
    failed = _run(df, monkeypatch, "1", refit=False)
    _assert_same(failed, in_place)
    assert helpers[0].delivered == 0 and helpers[0].proc.returncode == 3


def test_a_helper_killed_mid_run_or_whose_fits_raise_changes_nothing(monkeypatch, helpers):
    """The helper is killed after its first fit (the run's process fits the rest); then a helper whose every fit
    raises: the run fits each itself, raising or falling back as it always did."""
    df = planted(2)
    in_place = _run(df, monkeypatch, "0", refit=False)
    original = FitAhead._serve

    def serve_then_kill(self):
        message = self._conn.recv()  # "ready"
        i, task = self._claim_front()
        self._conn.send(("fit", i, task.model, task.y, task.m, task.freq_kind))
        self._conn.recv()
        self.proc.kill()
        self.proc.wait()
        with self._cond:
            self._alive = False
        assert message == ("ready",)

    monkeypatch.setattr(FitAhead, "_serve", serve_then_kill)
    killed = _run(df, monkeypatch, "1", refit=False)
    _assert_same(killed, in_place)
    monkeypatch.setattr(FitAhead, "_serve", original)
    monkeypatch.setattr(fit_process, "helper_command", lambda fd: [
        sys.executable, "-c", "import sys; from ml.forecast import fit_process, baselines\n"
        "def boom(*a): raise ValueError('planted')\n"
        "baselines.fit_kept = boom\n"
        f"sys.exit(fit_process.serve({fd}))"])
    raising = _run(df, monkeypatch, "1", refit=False)
    _assert_same(raising, in_place)
    assert helpers[-1].delivered == 0


def _children() -> set[int]:
    pids = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as fh:
                pids.update(int(p) for p in fh.read().split())
        except OSError:
            pass
    return pids


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs /proc")
def test_a_stopped_run_leaves_no_helper(monkeypatch, helpers):
    """Stop during the first epoch: the run returns (cancelled) and its helper has exited and been waited for."""
    df = planted(2)
    before = _children()
    stop = threading.Event()
    progress = Progress(lambda event: stop.set(), stop)
    monkeypatch.setenv(ENV_SWITCH, "1")
    r = run_forecast(df, SMALL_FEW, baselines=True, progress=progress)
    assert r.cancelled
    (helper,) = helpers
    assert helper.proc.returncode is not None  # waited for: no zombie
    assert _children() <= before


def test_ray_tasks_never_start_a_helper():
    """A Ray task is given one CPU (ml.engine.RayEngine): its environment turns the helper off."""
    from ml.engine import worker_env

    assert not wanted(40, worker_env())


# ------------------------------------------------------------------------------------------ in a job's worker
HERE = __name__


def forecast_in_worker(job, report_helper: bool = False):
    """A job (ml.jobs worker process): the run with the helper and without, and whether they agree."""
    if report_helper:
        original = FitAhead.start

        def start(self):
            original(self)
            job.report("helper", 0, pid=float(self.proc.pid))
            return self

        FitAhead.start = start
    os.environ[ENV_SWITCH] = "1"
    ahead = run_forecast(planted(2), SMALL_FEW, baselines=True, refit=False)
    os.environ[ENV_SWITCH] = "0"
    baselines._ETS_CACHE.clear()
    baselines._ARIMA_CACHE.clear()
    in_place = run_forecast(planted(2), SMALL_FEW, baselines=True, refit=False)
    _assert_same(ahead, in_place)
    return {"same": True, "children": sorted(_children())}


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_inside_a_job_worker_the_helper_gives_the_same_results():
    from ml.jobs import DONE, JobRegistry

    job = JobRegistry(max_workers=1).submit("train", "fit ahead", "t", f"{HERE}:forecast_in_worker")
    assert _wait_for(lambda: job.snapshot().status == DONE, 120), job.snapshot().error
    assert job.result == {"same": True, "children": []}


def test_a_killed_job_worker_takes_its_helper_with_it():
    """The worker dies (SIGKILL, as the server's death ends it) while its run trains: the helper's pipe closes and
    it exits on its own."""
    from ml.jobs import JobRegistry

    job = JobRegistry(max_workers=1).submit("train", "fit ahead", "t", f"{HERE}:forecast_in_worker",
                                            {"report_helper": True})

    def helper_pid():
        for row in job.snapshot().history:
            if "pid" in row:
                return int(row["pid"])
        return None

    assert _wait_for(lambda: helper_pid() is not None, 120)
    pid = helper_pid()
    os.kill(job.pid, signal.SIGKILL)

    def gone() -> bool:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().split(") ")[1][0] == "Z"  # a zombie of init's until it reaps it: gone
        except FileNotFoundError:
            return True

    assert _wait_for(gone, 30)


def test_seasonal_naive_partner_plans_the_same_fits_as_ets_and_arima():
    # seasonal naive and the two-season mean fit nothing: the weekly default ("ets_arima_snaive_snaive2") and
    # "ets_arima_snaive" ask the helper for exactly the ETS and ARIMA partners of "ets_arima", and "ets" (the
    # built-in smoother) for none
    from ml.forecast.evaluation import fold_splits
    from ml.forecast.pipeline import check_inputs

    df = planted(2)
    frame, freq = check_inputs(df, SMALL_FEW, 1, 0.9)
    splits = fold_splits(frame, SMALL_FEW.horizon, 1)

    def planned(combine: str) -> set[tuple]:
        return {(t.model, t.key) for t in plan_fits(splits, frame, freq, SMALL_FEW.replace(combine=combine), ())}

    assert planned("ets_arima_snaive") == planned("ets_arima") and {m for m, _ in planned("ets_arima")} == {"ets", "arima"}
    assert planned("ets_arima_snaive_snaive2") == planned("ets_arima")
    assert planned("ets") == set() and planned("none") == set()
