"""Do the forecasts' totals match the held-out totals? Per family and origin of a battery JSON, for each model: the
share of series whose held-out total is above the forecast's total, and the median of (actual total - forecast
total) / actual total (positive = the forecast is short). MASE is an MAE, so a median-like forecast can win it while
its totals run short on lumpy series; this shows where that happens. Nothing is retrained.

Run (from the repository root)::

    .venv/bin/python bench/battery.py --families uci_products --cuts 0,1,2,3,4 --out bench/out/uci5.json
    .venv/bin/python bench/forecast_bias.py bench/out/uci5.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

MODELS = ("network", "network_alone", "ets", "arima", "snaive")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    rows = [r for path in argv for r in json.loads(Path(path).read_text())["rows"]]
    print("| family (origin) | series | " + " | ".join(f"{m}: short on / median gap" for m in MODELS) + " |")
    print("|---|---|" + "---|" * len(MODELS))
    for family in sorted({r["family"] for r in rows}):
        part = [r for r in rows if r["family"] == family]
        cells = []
        for model in MODELS:
            actual = np.array([np.sum(r["holdout"]["y"]) for r in part if model in r["holdout"]])
            forecast = np.array([np.sum(r["holdout"][model]) for r in part if model in r["holdout"]])
            if not len(actual):
                cells.append("–")
                continue
            gap = (actual - forecast) / np.where(actual != 0, np.abs(actual), 1.0)
            cells.append(f"{np.mean(actual > forecast):.0%} / {np.median(gap):+.2f}")
        print(f"| {family} | {len(part)} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
