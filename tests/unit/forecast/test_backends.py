"""TensorFlow and JAX: ``python -m ml forecast --backend`` trains on each and says which, and a bundle saved on one
backend loads and predicts on the other (and on its own) to the same numbers.

Each backend runs in processes of its own (Keras fixes its backend at import); the network is tiny and trains for
a few epochs, so this stays a test of plumbing and portability, not of accuracy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.keras_runtime import BACKENDS
from tests.unit.forecast.conftest import make_series

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow

# the network alone (no blend with exponential smoothing, which could take the whole forecast on a short series and
# make both backends' bundles predict the same smoother): what is compared is the network's weights across backends
TRAIN = ["--json", "--no-baselines", "--epochs", "3", "--window", "14", "--horizon", "7", "--units", "8",
         "--seed", "3", "--combine", "none"]
PREDICT = """
import json, sys
from pathlib import Path
from ml.keras_runtime import select_backend
running = select_backend()
from ml.dataset import CleaningOptions, load_dataset
from ml.forecast import load_bundle
from ml.mapping import parse_map_argument
from ml.series import make_series
csv = Path(sys.argv[1])
frame = make_series(load_dataset([(csv.name, csv.read_bytes())], parse_map_argument(""), CleaningOptions()).frame,
                    "units", "total", "D")
out = {"running": running}
for bundle in sys.argv[2:]:
    forecaster = load_bundle(bundle)
    out[bundle] = {"trained_on": forecaster.backend_, "yhat": forecaster.predict(frame)["yhat"].tolist()}
print(json.dumps(out))
"""


def _run(args: list[str], backend: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "SALESLENS_BACKEND")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if backend:
        env["SALESLENS_BACKEND"] = backend
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One CLI training per backend, each saving its bundle: (folder, csv, {backend: JSON answer})."""
    tmp = tmp_path_factory.mktemp("backends")
    series = make_series(n=200, seed=4)
    csv = tmp / "sales.csv"
    pd.DataFrame({"date": series["ds"].dt.strftime("%Y-%m-%d"), "quantity": series["y"].round(2)}).to_csv(csv, index=False)
    answers = {}
    for backend in BACKENDS:
        # SALESLENS_BACKEND names the other backend: the command-line option must win
        other = next(b for b in BACKENDS if b != backend)
        proc = _run(["-m", "ml", "forecast", str(csv), "--backend", backend, *TRAIN, "--save", str(tmp / backend)],
                    other)
        assert proc.returncode == 0, proc.stderr[-3000:]
        answers[backend] = json.loads(proc.stdout)
    return tmp, csv, answers


def test_the_cli_trains_on_each_backend_and_says_which(trained):
    tmp, _, answers = trained
    for backend in BACKENDS:
        answer = answers[backend]
        assert answer["backend"] == backend
        assert answer["epochs_run"] >= 1 and len(answer["forecast"]) == 7
        assert all(v is not None for v in answer["metrics"]["network"].values())
        assert json.loads((tmp / backend / "forecaster.json").read_text())["backend"] == backend


def test_a_bundle_predicts_the_same_on_either_backend(trained):
    tmp, csv, _ = trained
    bundles = [str(tmp / b) for b in BACKENDS]
    loaded = {}
    for backend in BACKENDS:
        proc = _run(["-c", PREDICT, str(csv), *bundles], backend)
        assert proc.returncode == 0, proc.stderr[-3000:]
        loaded[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
        assert loaded[backend]["running"] == backend
    for trained_on, bundle in zip(BACKENDS, bundles, strict=True):
        same, other = (np.asarray(loaded[b][bundle]["yhat"]) for b in (trained_on, next(x for x in BACKENDS
                                                                                          if x != trained_on)))
        assert loaded["jax"][bundle]["trained_on"] == loaded["tensorflow"][bundle]["trained_on"] == trained_on
        assert len(same) == 7 and np.ptp(same) > 0.1  # a real forecast (the series' weekly swing), not constants
        # measured on this 2-core CPU: at most 1.2e-5 apart (4e-7 of the level) either way; 1e-4 of the level
        # leaves room for other CPUs' and GPUs' float32 rounding
        assert np.max(np.abs(same - other)) <= 1e-4 * np.mean(np.abs(same)), (trained_on, same, other)
    # the two trainings differ, so the comparison above could tell a wrong model from the right one
    tf_bundle, jax_bundle = (np.asarray(loaded["jax"][b]["yhat"]) for b in bundles)
    assert np.max(np.abs(tf_bundle - jax_bundle)) > 1e-3 * np.mean(np.abs(tf_bundle))
