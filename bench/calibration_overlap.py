"""Does calibrating intervals on the validation windows that also pick the best epoch make them too narrow?

Issue 19 item 4. When the backtest gives too few residuals, ``run_forecast`` calibrates its conformal intervals on the
holdout model's validation windows, the windows early stopping used to pick the epoch (an overlap). This measures it:
for each seed, one run with no backtest (calibration on those validation windows) and one with backtest folds
(calibration on fold residuals that no epoch choice saw). The holdout model is trained identically in both runs (same
rows, seed and settings), so the holdout predictions are the same and only the calibration differs. Reported per
seed: achieved holdout coverage at the nominal 90% and the mean interval half-width relative to the mean level.

Run (from the repository root)::

    .venv/bin/python bench/calibration_overlap.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data.generate import generate  # noqa: E402
from ml.dataset import load_dataset  # noqa: E402
from ml.forecast import default_config, run_forecast  # noqa: E402
from ml.series import make_series  # noqa: E402


def measure(seed: int, folds: int, epochs: int) -> dict[str, float]:
    frame, _ = generate(seed=seed, start="2024-01-01", end="2025-06-30", n_customers=300, n_products=8)
    ds = load_dataset([("shop.csv", frame.to_csv(index=False).encode())])
    series = make_series(ds.frame, "units", "products", "D")
    config = default_config("D", epochs=epochs, patience=4, seed=seed)
    out = {}
    for name, k in (("validation_windows", 0), ("backtest", folds)):
        r = run_forecast(series, config, baselines=False, backtest_folds=k, refit=False)
        h = r.holdout
        out[name] = {"source": r.coverage["source"], "coverage": round(float(r.coverage["holdout"]), 3),
                     "half_width_rel": round(float(((h["upper"] - h["lower"]) / 2).mean() / h["y"].abs().mean()), 3),
                     "n_points": len(h)}
        out[name + "_network"] = h["network"].round(6).tolist()
    same = out.pop("validation_windows_network") == out.pop("backtest_network")
    return {"seed": seed, "same_holdout_predictions": same, **out}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    rows = [measure(seed, args.folds, args.epochs) for seed in args.seeds]
    for row in rows:
        print(json.dumps(row))
    for name in ("validation_windows", "backtest"):
        cov = np.mean([r[name]["coverage"] for r in rows])
        width = np.mean([r[name]["half_width_rel"] for r in rows])
        print(f"{name}: mean holdout coverage {cov:.3f} (nominal 0.90), mean half-width / level {width:.3f}")


if __name__ == "__main__":
    main()
