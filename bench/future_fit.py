"""The future forecast from the holdout model as it is (no further epochs) against the warm-started future fit.

Run (from the repository root)::

    .venv/bin/python bench/future_fit.py [--configs default,preset] [--families multiplicative,...]

A pseudo-future on the development battery (``bench/battery.py --dev``: generator seeds 3 and 4, the real series
cut one horizon short): every series is cut one more horizon short, ``run_forecast(..., refit=False)`` trains the
holdout model on what is left, and from that one model two forecasts of the cut-off horizon are made, the way
``run_forecast`` makes its future forecast: (a) ``future_fit="holdout_model"``, the holdout model from the latest
window; (b) the default, the same model trained ``warm_start_epochs`` more epochs on every row first. Both are scored
(MASE, m = season length) on the cut-off horizon, which neither training saw. Paired: same holdout model, same seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.battery import HORIZON, _cut, cases  # noqa: E402


def _config(kind: str, freq: str):
    from ml.forecast import default_config, get_preset

    pandas_freq = "W-SUN" if freq == "W" else "D"
    if kind == "preset":
        return get_preset("market_trend_lstm", pandas_freq, window=60, layers=2, units=100, epochs=20)
    return default_config(pandas_freq)


def run(kinds: list[str], families: list[str] | None) -> list[dict]:
    from ml.forecast import NeuralForecaster, run_forecast
    from ml.forecast.config import season_length
    from ml.forecast.metrics import mase

    rows = []
    for family, freq, frame in cases(False, families, dev=True):
        h = HORIZON[freq]
        cut = _cut(frame[["unique_id", "ds", "y"]], h)
        for kind in kinds:
            config = _config(kind, freq)
            if kind == "preset" and cut.groupby("unique_id").size().min() < 60 + 3 * h:
                continue
            started = time.perf_counter()
            result = run_forecast(cut, config, baselines=False, refit=False)
            holdout_model = result.forecaster
            fit_seconds = time.perf_counter() - started
            reused = holdout_model.predict(cut)
            started = time.perf_counter()
            warm = NeuralForecaster(holdout_model.config).fit(cut, warm_start=holdout_model)
            warm_seconds = time.perf_counter() - started
            warmed = warm.predict(cut)
            m = season_length(result.freq)
            for uid, actual in frame.groupby("unique_id"):
                y = actual["y"].to_numpy(dtype=float)
                history, target = y[:-h], y[-h:]
                a = reused.loc[reused.unique_id == uid, "yhat"].to_numpy()
                b = warmed.loc[warmed.unique_id == uid, "yhat"].to_numpy()
                rows.append({"family": family, "config": kind, "series": str(uid),
                             "holdout_model": mase(target, a, history, m), "warm_start": mase(target, b, history, m),
                             "fit_seconds": fit_seconds, "warm_seconds": warm_seconds})
            last = rows[-1]
            print(f"{family:15s} {kind:8s} holdout_model {np.median([r['holdout_model'] for r in rows if r['family'] == family and r['config'] == kind]):.3f}"
                  f"  warm {np.median([r['warm_start'] for r in rows if r['family'] == family and r['config'] == kind]):.3f}"
                  f"  fit {last['fit_seconds']:.1f}s warm {last['warm_seconds']:.1f}s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="default,preset")
    parser.add_argument("--families", default=None)
    parser.add_argument("--out", default=str(ROOT / "bench" / "battery_last_future_fit.json"))
    args = parser.parse_args(argv)
    rows = run(args.configs.split(","), args.families.split(",") if args.families else None)
    for kind in args.configs.split(","):
        picked = [r for r in rows if r["config"] == kind]
        if picked:
            a = np.array([r["holdout_model"] for r in picked])
            b = np.array([r["warm_start"] for r in picked])
            print(f"{kind}: {len(picked)} series, median MASE holdout_model {np.median(a):.3f}, warm start "
                  f"{np.median(b):.3f}; holdout_model better on {int((a < b).sum())}")
    Path(args.out).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
