"""The seeds' preset through SalesLens against the same recipe written plainly in Keras (bench/plain_keras.py).

Run (from the repository root)::

    .venv/bin/python bench/battery_presets.py            # accuracy on the battery subset + time side by side
    .venv/bin/python bench/battery_presets.py --quick    # two series, shorter time comparison

Accuracy: for one series of each generated family (seed 0, two years) and the UCI shop total, the last horizon
held out: the preset ``market_trend_lstm`` with the seeds' request (LSTM(100) x2, window 60, 20 epochs) through
``run_forecast`` (improvements at their defaults) against ``plain_keras_forecast`` with the same layers, units,
window, epochs and batch, both on this process's Keras backend (JAX). Reported: each MAE ratio SalesLens / plain and
the median (target <= 1.0).

Time: on the issue's series (daily, 1,100 days, weekly x yearly multiplicative, h = 28), side by side in one run:
the plain script's single ``model.fit`` on TensorFlow (a child process with KERAS_BACKEND=tensorflow), then
SalesLens end to end (holdout fit, scoring against every baseline, warm-started fit for the future forecast), and
the network's share of it. Target: SalesLens <= 0.5 x plain.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REQUEST = {"window": 60, "layers": 2, "units": 100, "epochs": 20}


def _tf_child(data_path: str, horizon: int, out_path: str) -> None:
    os.environ["KERAS_BACKEND"] = "tensorflow"
    from bench.plain_keras import plain_keras_forecast

    y = np.load(data_path)
    forecast, seconds = plain_keras_forecast(y[:-horizon], horizon, **REQUEST)
    Path(out_path).write_text(json.dumps({"fit_seconds": seconds, "forecast": forecast.tolist()}))


def accuracy(quick: bool) -> list[dict]:
    from bench.battery import uci_frames
    from bench.families import FAMILIES
    from bench.plain_keras import plain_keras_forecast
    from ml.forecast import get_preset, run_forecast
    from ml.forecast.metrics import mae

    cases = [(name, make(0, 730), freq) for name, (make, freq) in FAMILIES.items() if freq == "D"]
    try:
        cases.append(("uci_total", uci_frames(1)[0], "D"))
    except FileNotFoundError:
        pass
    if quick:
        cases = cases[:2]
    rows = []
    for name, frame, _freq in cases:
        frame = frame[["unique_id", "ds", "y"]]
        config = get_preset("market_trend_lstm", "D", **REQUEST)
        result = run_forecast(frame, config, baselines=False, refit=False)
        y = frame["y"].to_numpy()
        h = config.horizon
        plain, _ = plain_keras_forecast(y[:-h], h, **REQUEST)
        ours = mae(y[-h:], result.holdout["network"].to_numpy())
        reference = mae(y[-h:], plain)
        rows.append({"series": name, "saleslens_mae": ours, "plain_mae": reference, "ratio": ours / reference,
                     "blend_weight": float(result.forecaster.combine_weights_[frame["unique_id"].iloc[0]])})
        print(f"{name:16s} SalesLens MAE {ours:9.2f}  plain Keras MAE {reference:9.2f}  ratio {ours / reference:.3f}",
              flush=True)
    return rows


def timing(length: int) -> dict:
    from bench.families import multiplicative
    from ml.forecast import get_preset, run_forecast

    frame = multiplicative(11, length)[["unique_id", "ds", "y"]]
    horizon = 28
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "y.npy", frame["y"].to_numpy())
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--tf-child", str(Path(tmp) / "y.npy"), str(horizon),
                        str(Path(tmp) / "out.json")], check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        plain = json.loads((Path(tmp) / "out.json").read_text())
        plain["process_seconds"] = time.perf_counter() - started
    config = get_preset("market_trend_lstm", "D", **REQUEST)
    started = time.perf_counter()
    result = run_forecast(frame, config)
    total = time.perf_counter() - started
    out = {"plain_tf_fit_seconds": plain["fit_seconds"], "plain_tf_process_seconds": plain["process_seconds"],
           "saleslens_total_seconds": total, "saleslens_network_seconds": result.train_seconds,
           "epochs_run": result.epochs_run, "ratio_total": total / plain["fit_seconds"],
           "ratio_network": result.train_seconds / plain["fit_seconds"]}
    print(json.dumps(out, indent=1), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--tf-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "bench" / "battery_last_presets.json"))
    args = parser.parse_args(argv)
    if args.tf_child:
        _tf_child(args.tf_child[0], int(args.tf_child[1]), args.tf_child[2])
        return 0
    report: dict = {}
    if not args.skip_accuracy:
        rows = accuracy(args.quick)
        report["accuracy"] = rows
        print(f"median MAE ratio SalesLens / plain Keras: {np.median([r['ratio'] for r in rows]):.3f}")
    if not args.skip_timing:
        report["timing"] = timing(730 if args.quick else 1100)
    Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
