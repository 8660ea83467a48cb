"""The Ray engine (ml/engine.py) on a real local Ray (``ray.init(num_cpus=2)``): results in submission order from
other processes with the backend and thread caps set, a failing task's message, an unreachable cluster as one line,
and the same answers as the local engine for the products forecast, the search's trials and the recommenders'
evaluation."""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray

from ml.engine import EngineError, LocalEngine, RayEngine, check_reachable, get_engine
from ml.keras_runtime import resolve_backend
from ml.progress import Progress
from ml.schema import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[2]
WEEKLY = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 40.0, -30.0])  # Monday..Sunday, scaled per product


@pytest.fixture(scope="module")
def ray_engine():
    # Ray starts its workers at nice 15: on a shared CI machine the tests would wait behind every other process
    niceness = os.environ.get("RAY_worker_niceness")
    os.environ["RAY_worker_niceness"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield RayEngine()
    finally:
        ray.shutdown()
        if niceness is None:
            os.environ.pop("RAY_worker_niceness", None)
        else:
            os.environ["RAY_worker_niceness"] = niceness


def _describe(x: int) -> tuple[int, int, str | None, str | None]:
    time.sleep(0.5 if x == 0 else 0.0)  # the first item finishes last
    return x * x, os.getpid(), os.environ.get("KERAS_BACKEND"), os.environ.get("OMP_NUM_THREADS")


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"no stock for item {x}")
    return x


def _bad_data(x: int) -> int:
    raise DataError("cli.error.no_such_file", path=f"shard-{x}.csv")


def test_map_returns_results_in_submission_order_from_workers_with_the_backend_set(ray_engine):
    out = ray_engine.map(_describe, range(5))
    assert [r[0] for r in out] == [0, 1, 4, 9, 16]
    assert all(pid != os.getpid() for _, pid, _, _ in out)
    assert {backend for _, _, backend, _ in out} == {resolve_backend()}
    assert {threads for _, _, _, threads in out} == {"1"}
    assert LocalEngine().map(_describe, range(3)) == [(0, os.getpid(), os.environ.get("KERAS_BACKEND"),
                                                        os.environ.get("OMP_NUM_THREADS"))] + \
        [(x * x, os.getpid(), os.environ.get("KERAS_BACKEND"), os.environ.get("OMP_NUM_THREADS")) for x in (1, 2)]


def test_a_failing_task_reports_its_message_and_a_typed_error_stays_itself(ray_engine):
    with pytest.raises(EngineError) as caught:
        ray_engine.map(_fail_on_three, range(5))
    assert caught.value.message_id == "engine.error.task_failed"
    assert caught.value.params["task"] == 4
    assert "ValueError: no stock for item 3" in str(caught.value)
    with pytest.raises(DataError) as typed:
        ray_engine.map(_bad_data, [7])
    assert typed.value.message_id == "cli.error.no_such_file" and typed.value.params == {"path": "shard-7.csv"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_engine_choice_and_an_unreachable_cluster(monkeypatch):
    monkeypatch.delenv("SALESLENS_RAY_ADDRESS", raising=False)
    assert get_engine().name == "local"
    with pytest.raises(ConfigError):
        get_engine("spark")
    with pytest.raises(ConfigError):
        check_reachable("no-port-here")
    with pytest.raises(EngineError) as caught:
        check_reachable(f"127.0.0.1:{_free_port()}")
    assert caught.value.message_id == "engine.error.unreachable"
    monkeypatch.setenv("SALESLENS_RAY_ADDRESS", f"ray://127.0.0.1:{_free_port()}")
    with pytest.raises(EngineError):
        get_engine()


def test_cli_with_an_unreachable_cluster_exits_2_with_one_line(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("date,product_id,quantity\n2025-01-01,A,1\n")
    proc = subprocess.run([sys.executable, "-m", "ml", "forecast", str(path), "--engine", "ray", "--ray-address",
                           f"127.0.0.1:{_free_port()}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "ray start --head" in proc.stderr


# ------------------------------------------------------------------------------------ the products forecast


def planted_products(n_products: int = 6, days: int = 180, seed: int = 0) -> pd.DataFrame:
    """Order lines: each product sells a level of its own plus a weekly pattern scaled to it, with noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = []
    for p in range(n_products):
        level = 40.0 + 15.0 * p
        units = level + (level / 50.0) * WEEKLY[dates.day_of_week] + rng.normal(0, 3.0, days)
        rows.append(pd.DataFrame({"Date": dates.date, "SKU": f"P{p:02d}", "Qty": np.maximum(units.round(), 0),
                                  "Price": 2.5}))
    return pd.concat(rows, ignore_index=True)


SMALL = ("--epochs", "8", "--window", "14", "--horizon", "7", "--units", "16", "--patience", "8", "--seed", "7",
         "--combine", "none")
# Network MASE on planted_products() with SMALL, local runs (bench/RESULTS.md, "Ray ... one network"): seeds 7 / 1 /
# 2 give 8.929 / 4.726 / 3.743, so at 8 epochs the seeds' noise (range 5.2) swamps any real effect; the Ray run is
# held to the float rounding of the same training in another process instead (rel 1e-6; bench/ray_scale.py finds
# the metrics identical), and the old sharding (two global models, 10.577 at seed 7, 18% off; shards 2) fails it.


def _cli(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "ml", "forecast", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_products_forecast_on_ray_gives_the_local_metrics(ray_engine, tmp_path):
    path = tmp_path / "sales.csv"
    planted_products().to_csv(path, index=False)
    common = (str(path), "--map", "date=Date,product_id=SKU,quantity=Qty,unit_price=Price", "--level", "products",
              "--json", *SMALL)
    local = _cli(*common)
    on_ray = _cli(*common, "--engine", "ray", "--ray-address", ray.get_runtime_context().gcs_address)
    assert local["engine"] == "local" and on_ray["engine"] == "ray"
    assert local["shards"] == on_ray["shards"] == 1  # one network over every product, on 2 workers
    assert set(on_ray) == set(local) and set(on_ray["metrics"]) == set(local["metrics"])
    assert [(r["unique_id"], r["date"]) for r in on_ray["forecast"]] == [(r["unique_id"], r["date"])
                                                                        for r in local["forecast"]]
    for model, metrics in local["metrics"].items():  # the network to float rounding, the baselines exactly
        tolerance = 1e-6 if model == "network" else 1e-12
        assert on_ray["metrics"][model] == pytest.approx(metrics, rel=tolerance), model
    for key in ("value", "lower", "upper"):  # the forecast and its conformal bounds (pooled over every product)
        assert [r[key] for r in on_ray["forecast"]] == pytest.approx([r[key] for r in local["forecast"]], rel=1e-6)
    assert [(r["unique_id"], r["model"], r["best"]) for r in on_ray["series"]] == \
        [(r["unique_id"], r["model"], r["best"]) for r in local["series"]]
    assert [r["mase"] for r in on_ray["series"]] == pytest.approx([r["mase"] for r in local["series"]], rel=1e-6)
    assert on_ray["baseline_models"] == local["baseline_models"] and on_ray["coverage"] == local["coverage"]
    assert on_ray["epochs_run"] == local["epochs_run"] > 0
    # the network beats nothing at 8 epochs, but it is a network: not a baseline under another name
    assert local["metrics"]["network"]["mase"] != pytest.approx(local["metrics"]["naive"]["mase"], rel=1e-3)


# ------------------------------------------------------------------------------------ search and recommenders


def _planted_series(n: int = 3) -> pd.DataFrame:
    frame = planted_products(n_products=n, days=150)
    return frame.rename(columns={"SKU": "unique_id", "Date": "ds", "Qty": "y"})[["unique_id", "ds", "y"]].assign(
        ds=lambda d: pd.to_datetime(d["ds"]))


@pytest.mark.slow
def test_search_trials_on_ray_give_the_local_answer(ray_engine):
    from ml.forecast import ForecastConfig
    from ml.forecast.search import SearchSpace, run_search

    base = ForecastConfig(window=14, horizon=7, units=8, epochs=4, patience=4, batch_size=32, learning_rate=5e-3,
                          seed=3)
    space = SearchSpace(window=(7, 14), units=(8, 16), layers=(1, 1))
    events: dict[str, list] = {"local": [], "ray": []}
    run = functools.partial(run_search, _planted_series(), base, budget_seconds=1200, max_trials=2, space=space,
                            seed=5)
    local = run(engine=LocalEngine(), progress=Progress(events["local"].append))
    on_ray = run(engine=ray_engine, progress=Progress(events["ray"].append))
    # the progress contract holds on Ray: a "trial" event before the first trial and after each, with the budget
    # and the scored trial's validation MASE
    for name, result in (("local", local), ("ray", on_ray)):
        assert [(e.step, e.done, e.total) for e in events[name]] == [("trial", n, 2) for n in range(3)], name
        assert all(e.metrics["budget_s"] == 1200 for e in events[name])
        assert [e.metrics.get("mase") for e in events[name][1:]] == [t.mase for t in result.trials]
    # TPE's first trials are its seeded random start-up draws: asked two at a time or one at a time, the same
    assert [t.params for t in on_ray.trials] == [t.params for t in local.trials]
    assert [t.status for t in on_ray.trials] == [t.status for t in local.trials] == ["ok", "ok"]
    assert on_ray.baseline_metrics == local.baseline_metrics
    # the same seeded training in another process: equal to float32 rounding (measured: identical to 1e-6)
    assert [t.mase for t in on_ray.trials] == pytest.approx([t.mase for t in local.trials], rel=1e-4)
    assert on_ray.best.number == local.best.number


def test_recommender_evaluation_on_ray_gives_the_local_table(ray_engine):
    from data.generate import generate
    from ml.dataset import load_dataset
    from ml.recommend.evaluation import METRICS, evaluate_algorithms

    generated, _ = generate(seed=3, start="2024-01-01", end="2024-03-31", n_customers=150, volume=0.5)
    frame = load_dataset([("shop.csv", generated.to_csv(index=False).encode())]).frame
    algorithms = ["popularity", "item-knn", "user-knn", "svd", "content"]
    seen: dict[str, list] = {"local": [], "ray": []}
    local = evaluate_algorithms(frame, algorithms, k=5, test_days=21, seed=1, progress=Progress(seen["local"].append))
    on_ray = evaluate_algorithms(frame, algorithms, k=5, test_days=21, seed=1, engine=ray_engine,
                                 progress=Progress(seen["ray"].append))
    # each algorithm's end is reported as the share of 100 per cent finished so far: locally in the order given; on
    # Ray in the order the tasks finish, still growing (the fits' own events stay in the workers)
    ends = [(name, round(100 * (i + 1) / len(algorithms)), 100) for i, name in enumerate(algorithms)]
    assert [(e.done, e.total) for e in seen["ray"]] == [(done, total) for _, done, total in ends]
    assert sorted(e.step for e in seen["ray"]) == sorted(algorithms)
    local_events = [(e.step, e.done, e.total) for e in seen["local"]]
    assert [local_events.index(end) for end in ends] == sorted(local_events.index(end) for end in ends)
    assert list(on_ray.table["algorithm"]) == list(local.table["algorithm"]) == algorithms
    pd.testing.assert_frame_equal(on_ray.table[["algorithm", *METRICS]], local.table[["algorithm", *METRICS]])
    assert on_ray.best == local.best and on_ray.errors == local.errors
    # the table says something: item-knn finds the planted baskets better than popularity on this shop
    assert local.table.set_index("algorithm").loc["item-knn", "ndcg"] > 0
