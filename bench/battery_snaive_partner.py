"""Offline check of one more combination partner: seasonal naive beside the scorecard's ETS and ARIMA.

The Forecast page blends the network with ETS and ARIMA, the shares chosen per series on the validation windows
before the holdout (``combine="ets_arima"``). On weekly avocado the yearly seasonal naive is the baseline the blend
fails to clear (issue 18), so this asks whether letting the same validation choice give seasonal naive a share
helps. Nothing is retrained: the networks', ETS's and ARIMA's forecasts from each validation origin come from the
dumps of ``bench/battery.py --dump-validation``; seasonal naive's from each origin is computed from the same training
rows (``seasonal_naive(y[:origin])``, exactly what the scorecard's baseline does at the holdout).

Run (from the repository root) after the dumps (one process per origin; bench/RESULTS.md has the loop)::

    .venv/bin/python bench/battery.py --families avocado,uci_total --cuts K \\
        --out bench/out/val_cutK.json --dump-validation bench/out/val_cutK.npz        # K = 0..4
    .venv/bin/python bench/battery.py --dev --families multiplicative,... \\
        --out bench/out/val_gen_dev.json --dump-validation bench/out/val_gen_dev.npz
    .venv/bin/python bench/battery_snaive_partner.py bench/out/val_cut*.json bench/out/val_gen*.json ...

Each JSON file is read with the .npz beside it. Rules: ``current`` (network, ETS, ARIMA: reproduces the MASE of
each run made with that blend, checked first), ``snaive4`` (network, ETS, ARIMA, seasonal naive on the 4-simplex), ``snaive_for_arima``
(network, ETS, seasonal naive), ``snaive2_for_snaive`` (network, ETS, ARIMA, the mean of the same period one and
two seasons earlier), ``snaive5`` (network, ETS, ARIMA, seasonal naive, that mean: the weekly default since
2026-12-02, ``combine="ets_arima_snaive_snaive2"``). Choose on the development cases (origins 1-4 of the real series, generator seeds 3
and 4), report the battery's (origin 0, the battery's seeds).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.forecast.baselines import seasonal_naive_origin_forecasts  # noqa: E402
from ml.forecast.forecaster import _best_shares, _blend, _blend_errors, blend_grid  # noqa: E402

WEEKLY = ("avocado", "weekly_yearly")
RULES = {"current": ("network", "ets", "arima"), "snaive4": ("network", "ets", "arima", "snaive"),
         "snaive_for_arima": ("network", "ets", "snaive"),
         "snaive2_for_snaive": ("network", "ets", "arima", "snaive2"),
         "snaive5": ("network", "ets", "arima", "snaive", "snaive2")}


def seasonal_naive_years(y: np.ndarray, m: int, horizon: int, years: int = 2) -> np.ndarray:
    """The mean of the same period in each of the last ``years`` seasons that the history holds (seasonal naive
    when it holds one)."""
    y = np.asarray(y, dtype=float)
    seen = max(1, min(years, len(y) // m))
    if len(y) < m:
        return np.full(horizon, y[-1])
    steps = np.arange(horizon)
    return np.mean([y[len(y) - k * m + steps % m] for k in range(1, seen + 1)], axis=0)


def scored_rows(path: Path) -> list[dict]:
    doc = json.loads(path.read_text())
    dump = np.load(path.with_suffix(".npz"))
    out = []
    for row in doc["rows"]:
        uid, family = row["series"], row["family"]
        base, _, cut = family.partition("@-")
        prefix = f"{family}|{uid}" if f"{family}|{uid}/actual" in dump else uid  # dumps before the family prefix
        if f"{prefix}/actual" not in dump:
            continue
        m = 52 if base in WEEKLY else 7
        y, origins, actual = dump[f"{prefix}/y"], dump[f"{prefix}/origins"].astype(int), dump[f"{prefix}/actual"]
        horizon = actual.shape[1]
        validation = {"network": dump[f"{prefix}/network"], "ets": dump[f"{prefix}/ets"], "arima": dump[f"{prefix}/arima"],
                      "snaive": seasonal_naive_origin_forecasts(y, m, horizon, origins),
                      "snaive2": np.stack([seasonal_naive_years(y[:o], m, horizon) for o in origins])}
        held = row["holdout"]
        holdout = {"network": np.array(held["network_alone"]), "ets": np.array(held["ets"]),
                   "arima": np.array(held["arima"]), "snaive": np.array(held["snaive"]),
                   "snaive2": seasonal_naive_years(y, m, horizon)}
        scale = row["mae_network"] / row["network"]
        real = base in ("avocado", "uci_total", "uci_products")
        dev = int(cut or 0) > 0 if real else bool(doc.get("dev"))
        item = {"family": base, "origin": int(cut or 0), "dev": dev, "uid": uid,
                **{k: row[k] for k in ("network", "ets", "snaive", "arima")}}
        for rule, names in RULES.items():
            grid = blend_grid(len(names))
            errors = _blend_errors(actual, [validation[n] for n in names], grid)
            shares = _best_shares(errors, grid, 0.0)
            blend = _blend([holdout[n] for n in names], shares)
            item[rule] = float(np.mean(np.abs(np.array(held["y"]) - blend)) / scale)
            item[f"{rule}_shares"] = " ".join(f"{s:.1f}" for s in shares)
        out.append(item)
    return out


def main(paths: list[str]) -> int:
    frame = pd.DataFrame([r for p in paths for r in scored_rows(Path(p))])
    # a run's own MASE is reproduced by the rule of the weekly default it ran under: "current" before 2026-12-02 (and
    # daily series), "snaive4" until the two-season mean joined, "snaive5" since; one of them, or the offline
    # re-choice is not the forecaster's
    same = {r: np.isclose(frame[r], frame["network"], atol=1e-6) for r in ("current", "snaive4", "snaive5")}
    print(f"each run's own MASE reproduced: {int((same['current'] | same['snaive4'] | same['snaive5']).sum())} of "
          f"{len(frame)} (" + ", ".join(f"by {r} {int(v.sum())}" for r, v in same.items()) + ")")
    cols = (*RULES, "ets", "arima", "snaive")
    lines = ["| family | cases | series | " + " | ".join(cols) + " | " +
             " | ".join(f"{r} beats snaive" for r in RULES) + " | " + " | ".join(f"{r} <= ETS" for r in RULES) + " |",
             "|" + "---|" * (3 + len(cols) + 2 * len(RULES))]
    for dev in (True, False):
        part = frame[frame["dev"] == dev]
        if part.empty:
            continue
        groups = [(f, g) for f, g in part.groupby("family", sort=False)] + [("**all**", part)]
        for family, g in groups:
            lines.append(f"| {family} | {'dev' if dev else 'battery'} | {len(g)} | "
                         + " | ".join(f"{g[c].median():.3f}" for c in cols) + " | "
                         + " | ".join(f"{(g[r] < g['snaive']).mean():.0%}" for r in RULES) + " | "
                         + " | ".join(f"{(g[r] <= g['ets']).mean():.0%}" for r in RULES) + " |")
    print("\n".join(lines))
    for family, g in frame.groupby("family", sort=False):
        d = g["snaive4"] - g["current"]
        print(f"{family}: snaive4 - current over {len(g)} series-runs: mean {d.mean():+.3f}, better on "
              f"{(d < 0).mean():.0%}, worse on {(d > 0).mean():.0%}")
    snaive_share = frame["snaive4_shares"].str.split().str[-1].astype(float)
    print("\nseasonal naive's share under snaive4: mean", round(float(snaive_share.mean()), 3),
          "zero on", f"{(snaive_share == 0).mean():.0%}", "of series")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
