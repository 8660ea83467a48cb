"""The seeds' preset through SalesLens against the same recipe written plainly in Keras (bench/plain_keras.py).

Run (from the repository root)::

    .venv/bin/python bench/battery_presets.py            # accuracy on the battery subset + time side by side
    .venv/bin/python bench/battery_presets.py --quick    # two series, shorter time comparison

Accuracy: for one series of each generated family (seed 0, two years) and the UCI shop total, the last horizon
held out: the preset ``market_trend_lstm`` with the seeds' request (LSTM(100) x2, window 60, 20 epochs) through
``run_forecast`` (improvements at their defaults) against ``plain_keras_forecast`` with the same layers, units,
window, epochs and batch, both on this process's Keras backend (JAX). Reported: each MAE ratio SalesLens / plain and
the median (target <= 1.0).

Time (``--skip-accuracy``; ``--rounds N`` repeats it): on the issue's series (daily, 1,100 days, weekly x yearly
multiplicative, h = 28), side by side in one run, each in a fresh process: the plain script's single ``model.fit``
on TensorFlow (KERAS_BACKEND=tensorflow); SalesLens ``run_forecast`` end to end (holdout fit, scoring against every
baseline, warm-started fit for the future forecast) on JAX, "before" (no compilation cache, baselines after the
network), "after" (the defaults) and "holdout_model" (the defaults with ``future_fit="holdout_model"``: the future
forecast from the holdout model, no warm-start epochs); and ``python -m ml forecast --preset market_trend_lstm ...
--json`` on the same series written as a CSV, with and without ``--future-fit holdout_model``, whose own
``total_seconds`` is read back. Keras is imported before the clock starts in every
one of them, as the plain script's fit excludes its imports. Target: SalesLens <= 0.5 x plain. Then (c): the default
configuration end to end on a 730-day series (target 15 s).
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


def _tf_child(data_path: str, horizon: str, out_path: str) -> None:
    os.environ["KERAS_BACKEND"] = "tensorflow"
    from bench.plain_keras import plain_keras_forecast

    y = np.load(data_path)
    horizon = int(horizon)
    timings: dict = {}
    forecast, seconds = plain_keras_forecast(y[:-horizon], horizon, **REQUEST, timings=timings)
    Path(out_path).write_text(json.dumps({"fit_seconds": seconds, **timings, "forecast": forecast.tolist()}))


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


VARIANTS = {  # SalesLens child process -> environment, run_forecast arguments and config changes
    "before": ({"SALESLENS_COMPILE_CACHE": "off"}, {"overlap_baselines": False}, {}),
    "after": ({}, {}, {}),
    # the future forecast from the holdout model as it is (no warm-start epochs)
    "holdout_model": ({}, {}, {"future_fit": "holdout_model"}),
}


def _saleslens_child(data_path: str, variant: str, out_path: str) -> None:
    """run_forecast end to end in a fresh process, Keras imported first (timed apart, as the plain fit's is)."""
    env, kwargs, changes = VARIANTS[variant]
    os.environ.update(env)
    started = time.perf_counter()
    from ml.forecast import get_preset, network, run_forecast  # noqa: F401 (network: the Keras import)

    import_seconds = time.perf_counter() - started
    y = np.load(data_path)
    frame = _frame(y)
    config = get_preset("market_trend_lstm", "D", **REQUEST, **changes)
    cpu, started = time.process_time(), time.perf_counter()
    result = run_forecast(frame, config, **kwargs)
    total = time.perf_counter() - started
    out = {"import_seconds": import_seconds, "total_seconds": total, "cpu_seconds": time.process_time() - cpu,
           "network_seconds": result.train_seconds, "epochs_run": result.epochs_run,
           "reported_total_seconds": result.total_seconds, "mase": result.metrics["network"]["mase"]}
    Path(out_path).write_text(json.dumps(out))


def _frame(y: np.ndarray):
    import pandas as pd

    return pd.DataFrame({"unique_id": "mult_11", "ds": pd.date_range("2022-01-03", periods=len(y), freq="D"), "y": y})


def _child(args: list[str], out: Path, env: dict | None = None) -> tuple[dict, float]:
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, *args, str(out)], check=True,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    return json.loads(out.read_text()), time.perf_counter() - started


def _cli(csv: Path, *extra: str) -> tuple[dict, float]:
    """``python -m ml forecast`` with the preset and the seeds' request: what it reports of its own time."""
    command = [sys.executable, "-m", "ml", "forecast", str(csv), "--preset", "market_trend_lstm", "--json",
               "--window", "60", "--layers", "2", "--units", "100", "--epochs", "20", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout), time.perf_counter() - started


def timing(length: int, rounds: int, variants: tuple[str, ...] = tuple(VARIANTS)) -> dict:
    """Plain TensorFlow fit, SalesLens before and after this change, and the CLI, one after the other in fresh
    processes, ``rounds`` times (ratios are taken within a round: the machine is shared)."""
    from bench.families import multiplicative

    frame = multiplicative(11, length)[["unique_id", "ds", "y"]]
    horizon = 28
    out: dict = {"rounds": [], "load_at_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "y.npy"
        np.save(data, frame["y"].to_numpy())
        csv = Path(tmp) / "daily.csv"
        frame.rename(columns={"ds": "date", "y": "quantity"})[["date", "quantity"]].to_csv(csv, index=False)
        for _ in range(rounds):
            row: dict = {"load": os.getloadavg()[0]}
            plain, row["plain_process_seconds"] = _child(["--tf-child", str(data), str(horizon)], Path(tmp) / "tf.json")
            row["plain_tf_fit_seconds"] = plain["fit_seconds"]
            row["plain_tf_fit_cpu_seconds"] = plain["fit_cpu_seconds"]
            for variant in variants:
                row[variant], _ = _child(["--sl-child", str(data), variant], Path(tmp) / f"{variant}.json")
            cli, row["cli_process_seconds"] = _cli(csv)
            row["cli"] = {k: cli[k] for k in ("total_seconds", "train_seconds", "epochs_run", "backend")}
            row["cli"]["mase"] = cli["metrics"]["network"]["mase"]
            cli, row["cli_holdout_model_process_seconds"] = _cli(csv, "--future-fit", "holdout_model")
            row["cli_holdout_model"] = {k: cli[k] for k in ("total_seconds", "train_seconds", "epochs_run", "backend")}
            row["cli_holdout_model"]["mase"] = cli["metrics"]["network"]["mase"]
            fit = row["plain_tf_fit_seconds"]
            row["ratios"] = {name: round(row[name]["total_seconds"] / fit, 3) for name in variants}
            row["ratios"].update({f"{name}_network": round(row[name]["network_seconds"] / fit, 3) for name in variants})
            row["ratios"]["cli_reported"] = round(row["cli"]["total_seconds"] / fit, 3)
            row["ratios"]["cli_holdout_model_reported"] = round(row["cli_holdout_model"]["total_seconds"] / fit, 3)
            # under a heavy load wall times measure the machine's other work: CPU seconds, every thread counted
            row["cpu_ratios"] = {name: round(row[name]["cpu_seconds"] / row["plain_tf_fit_cpu_seconds"], 3)
                                 for name in variants}
            print(json.dumps(row, indent=1), flush=True)
            out["rounds"].append(row)
    return out


def default_730() -> dict:
    """(c): the default configuration on a 730-day daily series, end to end with every baseline (Keras imported
    before timing)."""
    from bench.families import multiplicative
    from ml.forecast import default_config, network, run_forecast  # noqa: F401

    frame = multiplicative(11, 730)[["unique_id", "ds", "y"]]
    started = time.perf_counter()
    result = run_forecast(frame, default_config("D"))
    out = {"total_seconds": time.perf_counter() - started, "network_seconds": result.train_seconds,
           "epochs_run": result.epochs_run, "mase": {k: v["mase"] for k, v in result.metrics.items()},
           "load": os.getloadavg()[0]}
    print(json.dumps(out, indent=1), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="time comparison rounds")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="SalesLens variants timed (of VARIANTS)")
    parser.add_argument("--skip-default", action="store_true", help="skip the default config on 730 days")
    parser.add_argument("--tf-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--sl-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "bench" / "battery_last_presets.json"))
    args = parser.parse_args(argv)
    if args.tf_child:
        _tf_child(*args.tf_child)
        return 0
    if args.sl_child:
        _saleslens_child(*args.sl_child)
        return 0
    report: dict = {}
    if not args.skip_accuracy:
        rows = accuracy(args.quick)
        report["accuracy"] = rows
        print(f"median MAE ratio SalesLens / plain Keras: {np.median([r['ratio'] for r in rows]):.3f}")
    if not args.skip_timing:
        report["timing"] = timing(730 if args.quick else 1100, args.rounds, tuple(args.variants.split(",")))
    if not args.skip_default:
        report["default_730"] = default_730()
    Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
