"""TensorFlow against JAX: the same SalesLens networks, each backend in its own process, ratios within one run.

Run (from the repository root; about 10 minutes on 2 shared cores)::

    .venv/bin/python bench/backends.py [--epochs 10] [--rounds 1] [--configs saleslens_default,market_trend_lstm]

Every configuration (the default one and each seed preset of ml/forecast/config.py) trains for the same fixed
number of epochs (early stopping off, so both backends run the same work) on a generated 730-day daily series
(weekly pattern + trend + noise), and forecasts the next horizon. Timed: ``NeuralForecaster.fit`` (windowing,
build, XLA compilation, training, calibration predictions) and ``predict`` (the future horizon; the recursive heads
call the network once per step). Variants, each in a fresh subprocess (Keras fixes its backend at import):

- ``jax``: SalesLens on JAX as shipped;
- ``tf_plain``: TensorFlow with Keras' default compile settings (what a plain script gets);
- ``tf``: TensorFlow with SalesLens' settings (``ml.forecast.network.TF_OPTIONS``: XLA + 32 steps per call);
- ``tf_xla``, ``tf_spe``: one of the two settings alone; ``tf_threads1``: the settings plus one inter-op thread;
  ``jax_spe``: JAX with 32 steps per call (checks that JAX does not need it). Only on the first configuration.

Variants run in rounds (all variants once, then again), so slow phases of the shared machine hit every variant.
Prints a Markdown table: seconds per variant and each one's ratio to ``jax`` in the same round (medians over
rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MAIN = ("jax", "tf_plain", "tf")
EXTRA = ("tf_xla", "tf_spe", "tf_threads1", "jax_spe")
BACKEND = {"jax": "jax", "jax_spe": "jax"}  # every other variant runs on TensorFlow


def generated_730():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    ds = pd.date_range("2023-01-01", periods=730, freq="D")
    y = 200 + 0.1 * np.arange(730) + np.array([0, 10, 20, 30, 40, 80, -60])[ds.day_of_week] + rng.normal(0, 10, 730)
    return pd.DataFrame({"unique_id": "generated", "ds": ds, "y": y})


def worker(variant: str, configs: list[str], epochs: int, out: str) -> None:
    """Runs in its own process: choose the backend, apply the variant's settings, time every configuration."""
    sys.path.insert(0, str(ROOT))
    from ml.keras_runtime import select_backend

    backend = select_backend(BACKEND.get(variant, "tensorflow"))
    started = time.perf_counter()
    from ml.forecast import NeuralForecaster, get_preset, network

    import_seconds = time.perf_counter() - started
    if variant == "tf_plain":
        network.TF_OPTIONS = {}
    elif variant == "tf_xla":
        network.TF_OPTIONS = {"jit_compile": True}
    elif variant == "tf_spe":
        network.TF_OPTIONS = {"steps_per_execution": 32}
    elif variant == "tf_threads1":
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
    elif variant == "jax_spe":
        original = network.compile_options
        network.compile_options = lambda model: {**original(model), "steps_per_execution": 32}
    frame = generated_730()
    rows = []
    for name in configs:
        config = get_preset(name, "D", epochs=epochs, patience=0)
        forecaster = NeuralForecaster(config)
        start = time.perf_counter()
        forecaster.fit(frame)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        forecaster.predict(frame)
        rows.append({"config": name, "fit": fit_seconds, "predict": time.perf_counter() - start,
                     "loss": forecaster.history_["loss"][-1], "epochs": forecaster.epochs_run_})
    Path(out).write_text(json.dumps({"variant": variant, "backend": backend, "import": import_seconds,
                                     "versions": network.versions(), "rows": rows}))


def run_variant(variant: str, configs: list[str], epochs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "SALESLENS_BACKEND")}
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        proc = subprocess.run([sys.executable, __file__, "--worker", variant, "--configs", ",".join(configs),
                               "--epochs", str(epochs), "--out", str(out)], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{variant} failed:\n{proc.stderr[-3000:]}")
        return json.loads(out.read_text())


def main() -> None:
    from ml.forecast.config import PRESETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--configs", default=",".join(PRESETS))
    parser.add_argument("--no-extra", action="store_true", help="skip the single-setting variants")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configs = args.configs.split(",")
    if args.worker:
        worker(args.worker, configs, args.epochs, args.out)
        return
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for variant in MAIN + (() if args.no_extra else EXTRA):
            chosen = configs if variant in MAIN else configs[:1]
            results.setdefault(variant, []).append(run_variant(variant, chosen, args.epochs))
            print(f"{variant}: done", file=sys.stderr, flush=True)
    print(f"bench/backends.py --epochs {args.epochs} --rounds {args.rounds}, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, {results['jax'][0]['versions']} / "
          f"{results['tf'][0]['versions']}")
    print()
    print("| configuration | JAX fit s | TF plain fit s | TF tuned fit s | TF plain / JAX | TF tuned / JAX | "
          "JAX predict s | TF tuned predict s |")
    print("|---|---|---|---|---|---|---|---|")
    for i, name in enumerate(configs):
        def med(variant: str, key: str, index: int = i) -> float:
            return statistics.median(r["rows"][index][key] for r in results[variant])

        def ratio(variant: str, index: int = i) -> float:
            return statistics.median(a["rows"][index]["fit"] / b["rows"][index]["fit"]
                                     for a, b in zip(results[variant], results["jax"], strict=True))

        print(f"| {name} | {med('jax', 'fit'):.1f} | {med('tf_plain', 'fit'):.1f} | {med('tf', 'fit'):.1f} | "
              f"{ratio('tf_plain'):.2f} | {ratio('tf'):.2f} | {med('jax', 'predict'):.2f} | {med('tf', 'predict'):.2f} |")
    print()
    print("Import of Keras + the network module (s): " + ", ".join(
        f"{v} {statistics.median(r['import'] for r in results[v]):.1f}" for v in MAIN))
    if not args.no_extra:
        print()
        print(f"Single settings on {configs[0]} (fit s, ratio to JAX in the same round):")
        for variant in ("jax", "tf_plain", *EXTRA[:3], "tf", "jax_spe"):
            fit = statistics.median(r["rows"][0]["fit"] for r in results[variant])
            rel = statistics.median(a["rows"][0]["fit"] / b["rows"][0]["fit"]
                                    for a, b in zip(results[variant], results["jax"], strict=True))
            print(f"- {variant}: {fit:.1f} s ({rel:.2f}x JAX), final loss {results[variant][0]['rows'][0]['loss']:.4f}")


if __name__ == "__main__":
    main()
