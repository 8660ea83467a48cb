"""Offline check of one combination rule: the blend's shares chosen per series (the default) or pooled over the
series of a global model (one share vector minimising the sum of scaled validation errors), or half of each.

Run (from the repository root), after dumping the validation windows at five origins::

    for k in 0 1 2 3 4; do .venv/bin/python bench/battery.py --families avocado,uci_products --cuts $k \\
        --out bench/out/val_cut$k.json --dump-validation bench/out/val_cut$k.npz; done
    .venv/bin/python bench/battery_pooled_shares.py

Choose on origins 1-4 (before the battery's holdout), report origin 0. Nothing is retrained: every rule reuses the
run's networks, ETS and ARIMA forecasts; "per_series" must reproduce the run's own MASE (checked first).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.forecast.forecaster import _blend, blend_grid  # noqa: E402

RULES = ("per_series", "pooled", "half")


def series_items(k: int) -> dict[str, list[dict]]:
    """family -> one dict per series of the run at origin ``k``: validation errors on the grid, holdout forecasts."""
    rows = json.loads((ROOT / "bench" / "out" / f"val_cut{k}.json").read_text())["rows"]
    dump = np.load(ROOT / "bench" / "out" / f"val_cut{k}.npz")
    grid = blend_grid(3)
    out: dict[str, list[dict]] = {}
    for row in rows:
        uid = row["series"]
        key = f"{row['family']}|{uid}" if f"{row['family']}|{uid}/actual" in dump else uid  # older dumps: no family
        if f"{key}/actual" not in dump:
            continue
        actual = dump[f"{key}/actual"]
        forecasts = [dump[f"{key}/network"], dump[f"{key}/ets"], dump[f"{key}/arima"]]
        held = row["holdout"]
        out.setdefault(row["family"].split("@")[0], []).append({
            "uid": uid, "scale": row["mae_network"] / row["network"], "row": row,
            "errors": np.array([np.nanmean(np.abs(actual - _blend(forecasts, w))) for w in grid]),
            "holdout": np.array([held["network_alone"], held["ets"], held["arima"]]), "y": np.array(held["y"])})
    return out


def main() -> int:
    grid = blend_grid(3)
    scored = []
    for k in range(5):
        for family, items in series_items(k).items():
            pooled = sum(it["errors"] / it["scale"] for it in items)
            for it in items:
                shares = {"per_series": grid[int(np.argmin(it["errors"]))], "pooled": grid[int(np.argmin(pooled))],
                          "half": grid[int(np.argmin(it["errors"] / it["scale"] + pooled / len(items)))]}
                scored.append({"family": family, "origin": k, "uid": it["uid"],
                               **{rule: float(np.mean(np.abs(it["y"] - w @ it["holdout"])) / it["scale"])
                                  for rule, w in shares.items()},
                               **{m: it["row"][m] for m in ("network", "ets", "snaive", "arima")}})
    frame = pd.DataFrame(scored)
    print("per-series reproduces the runs' MASE:", bool(np.allclose(frame["per_series"], frame["network"], atol=1e-9)))
    for (family, dev), g in frame.groupby(["family", frame["origin"] > 0]):
        print(family, "origins 1-4 (choose)" if dev else "origin 0 (report)", len(g),
              " ".join(f"{c} {g[c].median():.3f}" for c in (*RULES, "ets", "snaive", "arima")),
              " beats snaive:", " ".join(f"{c} {(g[c] < g['snaive']).mean():.0%}" for c in RULES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
