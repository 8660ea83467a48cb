"""Avocado against seasonal naive: is the 80% line a matter of origin, of models, or of the data? (issue 18)

Reads the JSON of a multi-origin battery run (nothing is retrained) and rebuilds each series' training rows to add
forecasts that need history. For each pooling of origins it prints, per forecast, the median MASE and the share of
series on which the forecast's MASE is below seasonal naive's, and:

- **direction**: the share of series whose held-out mean is above seasonal naive's (and above the default blend's).
  Near 0% or 100% means one market-wide movement moved every series the same way at that origin.
- **oracle**: per series, the best of the default blend, the network alone, ETS and ARIMA, chosen after seeing the
  holdout (not a forecast anyone can make; an upper bound on choosing among these models).
- **Wilson 95%** interval of the default blend's share, treating series-origins as independent draws.
- fixed combinations with seasonal naive over two years (``snaive2``: the mean of the same week one and two years
  earlier), offered as further candidates: ``b+s2`` (blend, snaive2), ``b+s`` (blend, seasonal naive),
  ``b+s2+e`` (blend, snaive2, ETS), ``e+s2`` (ETS, snaive2), each an equal-weight mean.

Origin k = the series cut k horizons short (origin 1 = the development battery's holdout, on which defaults are
chosen; origin 0 = the battery's holdout). Run (from the repository root)::

    .venv/bin/python bench/battery.py --families avocado --cuts 0,1,2,3,4 --out bench/out/avo5.json
    .venv/bin/python bench/avocado_share.py bench/out/avo5.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.battery import HORIZON, avocado_frame  # noqa: E402
from ml.forecast.metrics import mase  # noqa: E402

SEASON = 52
MODELS = ("network", "network_alone", "ets", "arima", "snaive")
CANDIDATES = ("oracle", "snaive2", "b+s2", "b+s", "b+s2+e", "e+s2")
POOLS = (("origin 0 (battery)", (0,)), ("origins 1-4 (development)", (1, 2, 3, 4)),
         ("origins 0, 2-4 (not development)", (0, 2, 3, 4)), ("all five", (0, 1, 2, 3, 4)))


def origin_of(family: str) -> int:
    return int(family.split("@-")[1]) if "@-" in family else 0


def snaive_two_years(history: np.ndarray, horizon: int) -> np.ndarray:
    n = len(history)
    return np.array([(history[n - SEASON + i] + history[n - 2 * SEASON + i]) / 2 for i in range(horizon)])


def scored_cases(rows: list[dict]) -> list[dict]:
    """One dict per (series, origin): origin, MASE per forecast, and the direction flags."""
    horizon = HORIZON["W"]
    series = {uid: g["y"].to_numpy(float) for uid, g in avocado_frame(12).groupby("unique_id")}
    out = []
    for row in rows:
        k = origin_of(row["family"])
        y = series[row["series"]]
        y = y[: len(y) - k * horizon] if k else y
        history, actual = y[:-horizon], y[-horizon:]
        if not np.allclose(actual, row["holdout"]["y"]):
            raise SystemExit(f"{row['series']} origin {k}: the JSON's holdout is not the series' (other data?)")
        f = {m: np.asarray(row["holdout"][m], float) for m in MODELS}
        f["snaive2"] = snaive_two_years(history, horizon)
        f["b+s2"] = (f["network"] + f["snaive2"]) / 2
        f["b+s"] = (f["network"] + f["snaive"]) / 2
        f["b+s2+e"] = (f["network"] + f["snaive2"] + f["ets"]) / 3
        f["e+s2"] = (f["ets"] + f["snaive2"]) / 2
        score = {m: mase(actual, v, history, SEASON) for m, v in f.items()}
        stored = row["network"]
        if not np.isclose(score["network"], stored, rtol=1e-6):
            raise SystemExit(f"{row['series']} origin {k}: MASE {score['network']:.4f} is not the run's {stored:.4f}")
        score["oracle"] = min(score[m] for m in ("network", "network_alone", "ets", "arima"))
        out.append({"origin": k, "series": row["series"], "score": score,
                    "above_snaive": actual.mean() > f["snaive"].mean(),
                    "above_blend": actual.mean() > f["network"].mean()})
    return out


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    rows = [r for path in argv for r in json.loads(Path(path).read_text())["rows"]
            if r["family"].split("@-")[0] == "avocado"]
    cases = scored_cases(rows)
    print("| origin | series | actual above seasonal naive | actual above the blend |")
    print("|---|---|---|---|")
    for k in sorted({c["origin"] for c in cases}):
        sel = [c for c in cases if c["origin"] == k]
        print(f"| {k} | {len(sel)} | {np.mean([c['above_snaive'] for c in sel]):.0%} | "
              f"{np.mean([c['above_blend'] for c in sel]):.0%} |")
    names = (*MODELS[:-1], *CANDIDATES)
    print("\nmedian MASE / share beating seasonal naive")
    print("| cases | n | seasonal naive | " + " | ".join(names) + " | blend's share, Wilson 95% |")
    print("|---|---|---|" + "---|" * len(names) + "---|")
    for label, origins in POOLS:
        sel = [c["score"] for c in cases if c["origin"] in origins]
        if not sel:
            continue
        cells = [f"{np.median([s[m] for s in sel]):.3f} / {np.mean([s[m] < s['snaive'] for s in sel]):.0%}"
                 for m in names]
        wins = sum(s["network"] < s["snaive"] for s in sel)
        low, high = wilson(wins, len(sel))
        print(f"| {label} | {len(sel)} | {np.median([s['snaive'] for s in sel]):.3f} | " + " | ".join(cells)
              + f" | {wins}/{len(sel)}: {low:.0%}-{high:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
