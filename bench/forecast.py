"""Forecasting benchmark: SalesLens' engine against the seeds' plain Keras-on-TensorFlow script, on one machine in
one run, plus the default config's training time and an honest accuracy scorecard on real data.

Run (from the repository root)::

    .venv/bin/python bench/forecast.py --tf-python /path/to/tf-venv/bin/python

Bench-only dependency: the plain reference script needs TensorFlow, which SalesLens itself does not use (it runs
Keras on JAX). Install it in a separate virtualenv so it cannot change the app's pinned packages::

    python3.11 -m venv .venv-bench-tf && .venv-bench-tf/bin/pip install tensorflow==2.21.0 pandas==3.1.1 numpy==2.4.6

Without ``--tf-python`` the current interpreter is used if it can import tensorflow, else the comparison is skipped.

What is measured:
1. Reference (plain script, TensorFlow): a univariate daily series of 1,100 points, MinMax scaler fitted on all but
   the last 28 days, window 60, LSTM(100, return_sequences) -> LSTM(100) -> Dense(1), adam, MSE, batch 32,
   20 epochs, the 28-day holdout predicted recursively with model.predict. Timed: model.fit.
   SalesLens with the same request (``--model lstm --window 60 --layers 2 --units 100 --epochs 20``, every other
   setting at its default): timed NeuralForecaster.fit (windowing, network build, compilation and training).
   Target: SalesLens time <= 0.5 x reference, holdout MAE <= 1.05 x reference.
   The series: shop-level daily net units of the UCI Online Retail data (374 real days, 2010-12-01 .. 2011-12-09,
   every row summed incl. returns, missing days 0), padded at the front to 1,100 points with copies of its first
   364 days (52 whole weeks, so weekdays stay aligned). The 28-day holdout is the real last 28 days.
2. Default config training time on a generated 730-day daily series (weekly pattern + trend + noise).
3. Scorecard on the real 374-day shop series, last 28 days held out (network with default config over 3 seeds vs
   naive, seasonal naive, moving average, ETS, ARIMA; MASE with m = 7).
4. ``--sample``: the bundled sample (planted weekly/yearly seasonality, trend, promotions, price effects), daily
   units, default configuration: the whole-shop series, and all 40 products at once (one global model, per-series
   scaling), each against seasonal naive and ETS on the same 28-day holdout. Target: the network beats seasonal
   naive on MASE for the whole shop and for most products; the default configuration trains in under 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RETAIL = Path(os.environ.get("SALESLENS_REALDATA", ROOT.parent / "shared" / "realdata")) / "online_retail_uci.csv.gz"
if not RETAIL.exists():
    RETAIL = Path("/work/shared/realdata/online_retail_uci.csv.gz")
HOLDOUT = 28
LENGTH = 1100


# ---------------------------------------------------------------------------------------------- plain reference
def plain_tf_worker(data_path: str, out_path: str) -> None:
    """The seeds' script, written plainly (runs in the TensorFlow interpreter; imports nothing from SalesLens)."""
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import tensorflow as tf
    from tensorflow import keras

    y = np.load(data_path).astype("float32")
    train = y[:-HOLDOUT]
    lo, hi = train.min(), train.max()  # MinMaxScaler(0, 1) fitted on all but the last 28 days
    scaled = (y - lo) / (hi - lo)
    window = 60
    x_train = np.array([scaled[i:i + window] for i in range(len(train) - window)])[..., None]
    y_train = np.array([scaled[i + window] for i in range(len(train) - window)])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((window, 1)),
        keras.layers.LSTM(100, return_sequences=True),
        keras.layers.LSTM(100),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0)
    train_seconds = time.perf_counter() - start
    history = list(scaled[len(train) - window:len(train)])
    preds = []
    start = time.perf_counter()
    for _ in range(HOLDOUT):  # recursive: each prediction is fed back as the newest input
        step = float(model.predict(np.array(history[-window:])[None, :, None], verbose=0)[0, 0])
        preds.append(step)
        history.append(step)
    predict_seconds = time.perf_counter() - start
    yhat = np.array(preds) * (hi - lo) + lo
    actual = y[-HOLDOUT:]
    Path(out_path).write_text(json.dumps({
        "train_seconds": train_seconds, "predict_seconds": predict_seconds,
        "mae": float(np.mean(np.abs(actual - yhat))), "windows": int(len(x_train)),
        "tensorflow": tf.__version__, "keras": keras.__version__,
    }))


# ---------------------------------------------------------------------------------------------- data
def load_shop_units() -> pd.DataFrame:  # noqa: F821
    import pandas as pd

    raw = pd.read_csv(RETAIL, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"])
    daily = raw.groupby(raw["InvoiceDate"].dt.normalize())["Quantity"].sum()
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max(), freq="D"), fill_value=0)
    return pd.DataFrame({"unique_id": "shop_units", "ds": daily.index, "y": daily.to_numpy(dtype=float)})


def pad_to(df: pd.DataFrame, length: int) -> pd.DataFrame:  # noqa: F821
    import pandas as pd

    y = df["y"].to_numpy()
    block = y[:364]
    while len(y) < length:
        y = np.concatenate([block, y])
    y = y[-length:]
    ds = pd.date_range(end=df["ds"].iloc[-1], periods=length, freq="D")
    return pd.DataFrame({"unique_id": "shop_units", "ds": ds, "y": y})


def generated_730() -> pd.DataFrame:  # noqa: F821
    import pandas as pd

    rng = np.random.default_rng(0)
    ds = pd.date_range("2023-01-01", periods=730, freq="D")
    y = 200 + 0.1 * np.arange(730) + np.array([0, 10, 20, 30, 40, 80, -60])[ds.day_of_week] + rng.normal(0, 10, 730)
    return pd.DataFrame({"unique_id": "generated", "ds": ds, "y": y})


# ---------------------------------------------------------------------------------------------- runs
def run_reference(tf_python: str | None, y: np.ndarray) -> dict | None:
    python = tf_python
    if python is None:
        try:
            import importlib.util

            python = sys.executable if importlib.util.find_spec("tensorflow") else None
        except Exception:
            python = None
    if python is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "y.npy", Path(tmp) / "out.json"
        np.save(data, y)
        subprocess.run([python, __file__, "--plain-tf-worker", str(data), str(out)], check=True,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        return json.loads(out.read_text())


def run_saleslens_same_request(df) -> dict:
    from ml.forecast import ForecastConfig, NeuralForecaster
    from ml.forecast.data import split_holdout

    config = ForecastConfig(model_type="lstm", window=60, layers=2, units=100, epochs=20, horizon=HOLDOUT)
    train, test = split_holdout(df, HOLDOUT)
    start = time.perf_counter()
    forecaster = NeuralForecaster(config).fit(train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pred = forecaster.predict(train)
    predict_seconds = time.perf_counter() - start
    mae = float(np.mean(np.abs(test["y"].to_numpy() - pred["yhat"].to_numpy())))
    from ml.forecast import network

    return {"fit_seconds": fit_seconds, "train_seconds": forecaster.train_seconds_, "epochs_run": forecaster.epochs_run_,
            "predict_seconds": predict_seconds, "mae": mae, "backend": network.backend_name(),
            "config": config.to_dict()}


def run_default_730() -> dict:
    from ml.forecast import ForecastConfig, NeuralForecaster

    df = generated_730()
    start = time.perf_counter()
    forecaster = NeuralForecaster(ForecastConfig()).fit(df.iloc[:-28])
    return {"fit_seconds": time.perf_counter() - start, "train_seconds": forecaster.train_seconds_,
            "epochs_run": forecaster.epochs_run_}


def run_scorecard(df, seeds: list[int]) -> dict:
    from ml.forecast import ForecastConfig, run_forecast

    per_seed, baselines, models = [], {}, {}
    for i, seed in enumerate(seeds):
        result = run_forecast(df, ForecastConfig(seed=seed), baselines=(i == 0), refit=False)
        metrics = result.metrics
        per_seed.append({"seed": seed, **metrics["network"], "train_seconds": result.train_seconds,
                         "epochs_run": result.epochs_run, "coverage_holdout": result.coverage["holdout"]})
        if i == 0:
            baselines = {k: v for k, v in metrics.items() if k != "network"}
            models = result.baseline_models
    return {"network": per_seed, "baselines": baselines, "baseline_models": models}


def run_sample_accuracy(changes: dict | None = None) -> dict:
    from ml.dataset import load_dataset
    from ml.forecast import ForecastConfig, run_forecast
    from ml.series import make_series

    path = ROOT / "data" / "sample_sales.csv.gz"
    frame = load_dataset([(path.name, path.read_bytes())]).frame
    out: dict = {}
    for level in ("total", "products"):
        series = make_series(frame, "units", level, "D")
        start = time.perf_counter()
        result = run_forecast(series, ForecastConfig(**(changes or {})), baselines=("snaive", "ets"), refit=False)
        seconds = time.perf_counter() - start
        wide = result.summary.pivot(index="unique_id", columns="model", values="mase")
        out[level] = {
            "series": int(len(wide)),
            "seconds_with_baselines": seconds,
            "train_seconds": result.train_seconds,
            "epochs_run": result.epochs_run,
            "batch_sizes": result.forecaster.batch_sizes_,
            "median_mase": {m: float(wide[m].median()) for m in wide.columns},
            "network_beats_snaive": int((wide["network"] < wide["snaive"]).sum()),
            "network_beats_ets": int((wide["network"] < wide["ets"]).sum()),
            "best_counts": {str(k): int(v) for k, v in result.summary[result.summary.best]["model"].value_counts().items()},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tf-python", help="python interpreter with tensorflow==2.21.0 for the reference script")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--sample", action="store_true", help="only the bundled sample's accuracy (section 4)")
    parser.add_argument("--global-batch-size", type=int, default=None,
                        help="--sample: the global model's batch (default: ForecastConfig's; 0 = batch_size)")
    parser.add_argument("--seed", type=int, default=None, help="--sample: the network's seed (default 42)")
    parser.add_argument("--plain-tf-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_tf_worker:
        plain_tf_worker(*args.plain_tf_worker)
        return
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import pandas as pd

    if args.sample:
        result = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
                  "date": datetime.now(UTC).isoformat(timespec="seconds"),
                  "machine": f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f} at start",
                  "sample": run_sample_accuracy({k: v for k, v in (("global_batch_size", args.global_batch_size),
                                                                   ("seed", args.seed)) if v is not None})}
        print(json.dumps(result, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))
        return
    shop = load_shop_units()
    padded = pad_to(shop, LENGTH)
    out: dict = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}, Python "
                   f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at start",
        "data": f"shop daily net units, {len(shop)} real days padded to {LENGTH}; holdout {HOLDOUT} days",
    }
    out["reference"] = None if args.skip_reference else run_reference(args.tf_python, padded["y"].to_numpy())
    out["saleslens_same_request"] = run_saleslens_same_request(padded)
    out["default_730"] = run_default_730()
    out["scorecard"] = run_scorecard(shop, args.seeds)
    _print(out, pd)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


def _print(out: dict, pd) -> None:
    print(f"# Forecast benchmark — {out['date']}\ncommand: {out['command']}\nmachine: {out['machine']}\n")
    ref, sl = out["reference"], out["saleslens_same_request"]
    print("## Seeds' LSTM(100)x2, window 60, 20 epochs, 1,100-point daily series, 28-day holdout")
    print("| run | backend | trained in (s) | epochs | 28-step predict (s) | holdout MAE |")
    print("|---|---|---|---|---|---|")
    if ref:
        print(f"| plain script (recursive Dense(1)) | TensorFlow {ref['tensorflow']} | {ref['train_seconds']:.1f} | 20 | "
              f"{ref['predict_seconds']:.2f} | {ref['mae']:.0f} |")
    print(f"| SalesLens `--model lstm --window 60 --layers 2 --units 100 --epochs 20` | {sl['backend']} | "
          f"{sl['fit_seconds']:.1f} | {sl['epochs_run']} | {sl['predict_seconds']:.2f} | {sl['mae']:.0f} |")
    if ref:
        print(f"\ntime ratio {sl['fit_seconds'] / ref['train_seconds']:.2f} (target <= 0.50); "
              f"MAE ratio {sl['mae'] / ref['mae']:.3f} (target <= 1.05)")
    d = out["default_730"]
    print(f"\n## Default config, generated 730-day daily series\nfit {d['fit_seconds']:.1f} s "
          f"({d['train_seconds']:.1f} s in training, {d['epochs_run']} epochs; target < 15 s)")
    sc = out["scorecard"]
    print("\n## Real shop daily net units (374 days), last 28 days held out, MASE m=7")
    print("| model | MAE | RMSE | sMAPE | MASE |\n|---|---|---|---|---|")
    for name, m in sc["baselines"].items():
        label = f"{name} ({sc['baseline_models']['shop_units'][name]})" if name in ("ets", "arima") else name
        print(f"| {label} | {m['mae']:.0f} | {m['rmse']:.0f} | {m['smape']:.1f} | {m['mase']:.3f} |")
    for r in sc["network"]:
        print(f"| network, default config, seed {r['seed']} ({r['epochs_run']} epochs, {r['train_seconds']:.1f} s) | "
              f"{r['mae']:.0f} | {r['rmse']:.0f} | {r['smape']:.1f} | {r['mase']:.3f} |")


if __name__ == "__main__":
    main()
