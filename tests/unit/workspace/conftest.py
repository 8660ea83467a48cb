"""Workspace tests: every test gets its own workspace folder (never the repo's ./workspace) and tiny trained runs."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from data.generate import generate
from ml.dataset import load_dataset
from ml.forecast import ForecastConfig, run_forecast
from ml.workspace import reset_workspaces
from ml.workspace.settings import ENV_DATABASE, ENV_ROOT, ENV_SECRET, ENV_SHARED
from tests.postgres import postgres_schema

WEEKLY = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 40.0, -30.0])
TINY = ForecastConfig(window=14, horizon=7, units=4, epochs=2, patience=0, batch_size=32, seed=3)


def make_series(n: int = 120, uid: str = "s", seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    y = 50 + 0.2 * np.arange(n) + WEEKLY[ds.day_of_week] + rng.normal(0, 3.0, n)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": y})


@pytest.fixture(autouse=True)
def workspace_env(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    monkeypatch.setenv(ENV_ROOT, str(root))
    for name in (ENV_DATABASE, ENV_SHARED, ENV_SECRET):
        monkeypatch.delenv(name, raising=False)
    reset_workspaces()
    yield root
    reset_workspaces()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, workspace_env, monkeypatch):
    """The registry database for the tests that must hold on both: SQLite in the workspace folder (the default) and
    a real PostgreSQL server when SALESLENS_TEST_POSTGRES_URL is set (CI exports what ``.ci/postgres.sh`` prints).
    Each PostgreSQL test gets a schema of its own (``search_path``), dropped afterwards."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    with postgres_schema("the registry") as url:
        monkeypatch.setenv(ENV_DATABASE, url)
        reset_workspaces()
        try:
            yield "postgresql"
        finally:
            reset_workspaces()


@pytest.fixture(scope="session")
def tiny_result():
    """One trained run (2 epochs, 4 units: seconds), shared by the tests that only read it."""
    return run_forecast(make_series(), TINY, baselines=("naive", "snaive"), backtest_folds=0)


@pytest.fixture(scope="session")
def small_dataset():
    frame, _ = generate(seed=3, start="2024-01-01", end="2024-02-29", n_customers=80, n_products=10, volume=0.3)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    data = buf.getvalue().encode()
    return load_dataset([("small.csv", data)]), [("small.csv", data)]
