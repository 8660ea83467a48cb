"""Forecasting battery: the default network against ETS, seasonal naive and ARIMA on data nobody tuned it to.

Run (from the repository root)::

    .venv/bin/python bench/battery.py                 # full battery, writes bench/battery_last.json
    .venv/bin/python bench/battery.py --quick         # one seed per family, one length, real data cut down
    .venv/bin/python bench/battery.py --families multiplicative,avocado --set epochs=30 --set combine=none

Families (bench/families.py): multiplicative (daily, weekly x yearly, Poisson), additive_trend, level_shift,
promotions (price and promo columns), intermittent, weekly_yearly (W-SUN); each with 3 seeds at lengths of 1, 2
and 3 years (seed i gets length i; weekly: 2, 2.5 and 3 years, since a yearly season needs two years to be seen).
Real data (../shared/realdata, skipped when absent): UCI Online Retail daily net units, the shop total alone and
the 20 products with most net units as one global model; the 12 largest avocado region x type weekly volumes
(TotalUS excluded) as one global model. Horizon 28 days / 8 weeks, the last horizon held out.

Everything goes through ``ml.forecast.run_forecast`` (the path ``python -m ml forecast`` and the Forecast page use)
with ``default_config(freq)`` plus ``--set`` overrides, so the numbers are what a user gets. For each family: the
network's median MASE next to ETS, seasonal naive and ARIMA, the share of series where the network beats seasonal
naive (and ETS), and the seconds spent training the network (holdout fit + future fit) and in the whole call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.families import FAMILIES  # noqa: E402

REALDATA = Path(os.environ.get("SALESLENS_REALDATA", "/work/shared/realdata"))
MODELS = ("network", "ets", "snaive", "arima")
ALONE = "network_alone"  # the network before its blend with ETS (when combine is on)
SEEDS = (0, 1, 2)
DEV_SEEDS = (3, 4)  # --dev: a development battery for choosing defaults, disjoint from the battery's holdouts
HORIZON = {"D": 28, "W": 8}
DAILY_LENGTHS = (365, 730, 1095)
WEEKLY_LENGTHS = (730, 913, 1095)


def uci_frames(top: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shop total daily net units, the ``top`` products by net units), every day filled (0 = no sales)."""
    raw = pd.read_csv(REALDATA / "online_retail_uci.csv.gz", dtype={"InvoiceNo": str, "StockCode": str},
                      parse_dates=["InvoiceDate"], usecols=["StockCode", "Quantity", "InvoiceDate"])
    raw["ds"] = raw["InvoiceDate"].dt.normalize()
    days = pd.date_range(raw["ds"].min(), raw["ds"].max(), freq="D")
    total = raw.groupby("ds")["Quantity"].sum().reindex(days, fill_value=0)
    shop = pd.DataFrame({"unique_id": "uci_total", "ds": days, "y": total.to_numpy(dtype=float)})
    best = raw.groupby("StockCode")["Quantity"].sum().nlargest(top).index
    per = raw[raw["StockCode"].isin(best)].groupby(["StockCode", "ds"])["Quantity"].sum()
    frames = [pd.DataFrame({"unique_id": f"uci_{code}", "ds": days,
                            "y": per.loc[code].reindex(days, fill_value=0).to_numpy(dtype=float)}) for code in best]
    return shop, pd.concat(frames, ignore_index=True)


def avocado_frame(top: int) -> pd.DataFrame:
    raw = pd.read_csv(REALDATA / "avocado_hab_weekly.csv", parse_dates=["Date"])
    raw = raw[raw["region"] != "TotalUS"]
    raw["unique_id"] = "avo_" + raw["region"] + "_" + raw["type"]
    best = raw.groupby("unique_id")["Total Volume"].sum().nlargest(top).index
    out = raw[raw["unique_id"].isin(best)].rename(columns={"Date": "ds", "Total Volume": "y"})
    return out[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"]).reset_index(drop=True)


def cases(quick: bool, families: list[str] | None, dev: bool = False,
          cuts: tuple[int, ...] = (0,)) -> list[tuple[str, str, pd.DataFrame]]:
    """(family, freq, frame) for every run; a frame with several series is one global-model run.

    ``dev``: generator seeds 3 and 4 instead of 0-2, and every real series cut one horizon short, so its holdout is
    the period before the battery's holdout: what defaults are chosen on never includes what the battery scores.
    ``cuts``: each real series is also scored from earlier origins, ``k`` horizons before its end for every k in
    ``cuts`` (0 = the battery's holdout; 1 is the dev battery's, on which the defaults were chosen). The family of
    such a run is named ``<family>@-k``."""
    out: list[tuple[str, str, pd.DataFrame]] = []
    seeds = DEV_SEEDS if dev else (SEEDS[:1] if quick else SEEDS)
    for name, (make, freq) in FAMILIES.items():
        if families and name not in families:
            continue
        lengths = WEEKLY_LENGTHS if freq == "W" else DAILY_LENGTHS
        for seed in seeds:
            days = lengths[1] if quick else lengths[seed % len(lengths)]
            out.append((name, freq, make(seed, days)))
    if REALDATA.exists():
        if not families or "uci_total" in families or "uci_products" in families:
            shop, products = uci_frames(6 if quick else 20)
            if not families or "uci_total" in families:
                out.append(("uci_total", "D", shop))
            if not families or "uci_products" in families:
                out.append(("uci_products", "D", products))
        if not families or "avocado" in families:
            out.append(("avocado", "W", avocado_frame(4 if quick else 12)))
    if dev:
        out = [(family, freq, frame if family in FAMILIES else _cut(frame, HORIZON[freq]))
               for family, freq, frame in out]
    if cuts != (0,):
        expanded = []
        for family, freq, frame in out:
            for k in ((0,) if family in FAMILIES else cuts):
                expanded.append((family, freq, frame) if k == 0 else
                                (f"{family}@-{k}", freq, _cut(frame, k * HORIZON[freq])))
        out = expanded
    return out


def _cut(frame: pd.DataFrame, periods: int) -> pd.DataFrame:
    """Every series of a long frame without its last ``periods`` rows."""
    keep = frame.groupby("unique_id").cumcount(ascending=False) >= periods
    return frame[keep].reset_index(drop=True)


def parse_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def run_case(family: str, freq: str, frame: pd.DataFrame, overrides: dict) -> list[dict]:
    from ml.forecast import default_config, run_forecast

    config = default_config("W-SUN" if freq == "W" else "D", **overrides)
    started = time.perf_counter()
    result = run_forecast(frame, config, baselines=("snaive", "ets", "arima"))
    seconds = time.perf_counter() - started
    summary = result.summary
    rows = []
    for uid, group in summary.groupby("unique_id"):
        scores = group.set_index("model")["mase"]
        maes = group.set_index("model")["mae"]
        rows.append({"family": family, "series": str(uid), **{m: float(scores.get(m, np.nan)) for m in (*MODELS, ALONE)},
                     **{f"mae_{m}": float(maes.get(m, np.nan)) for m in MODELS},
                     "train_seconds": result.train_seconds / summary["unique_id"].nunique(),
                     "total_seconds": seconds / summary["unique_id"].nunique(),
                     "run_train_seconds": result.train_seconds, "run_seconds": seconds,
                     "combine_weight": _weights(result.forecaster).get(str(uid)),
                     "combine_errors": getattr(result.forecaster, "combine_errors_", {}).get(str(uid)),
                     "holdout": _holdout(result.holdout, str(uid))})
    return rows


def _record_validation() -> dict:
    """Wrap the forecaster's partner and blend steps to keep what the network's shares are chosen from, per series
    (keys ``<uid>/y``, ``/origins``, ``/actual``, ``/network`` and one per partner, e.g. ``/ets``; ``main`` files
    them under ``<family>|`` after each case, so a series scored from several origins keeps each); the forecasts
    are unchanged."""
    from ml.forecast import forecaster as fc

    store: dict = {}
    last: dict = {}
    partner, blend = fc.NeuralForecaster._partner_forecasts, fc._blend_errors

    def partner_recorded(self, y, uid, origins):
        out = partner(self, y, uid, origins)
        last.update(uid=uid, y=np.asarray(y, float), origins=np.asarray(origins), partners=out)
        return out

    def blend_recorded(actual, forecasts, grid):
        if last:
            uid = last["uid"]
            store.update({f"{uid}/y": last["y"], f"{uid}/origins": last["origins"],
                          f"{uid}/actual": np.asarray(actual), f"{uid}/network": np.asarray(forecasts[0]),
                          **{f"{uid}/{name}": f for name, f in last["partners"].items()}})
            last.clear()
        return blend(actual, forecasts, grid)

    fc.NeuralForecaster._partner_forecasts = partner_recorded
    fc._blend_errors = blend_recorded
    return store


def _holdout(holdout: pd.DataFrame, uid: str) -> dict:
    """The held-out actuals and each model's forecast of one series (to compare combination rules offline)."""
    rows = holdout[holdout["unique_id"] == uid]
    return {c: [float(v) for v in rows[c]] for c in ("y", *MODELS, ALONE) if c in rows}


def _weights(forecaster) -> dict:
    return {k: float(v) for k, v in getattr(forecaster, "combine_weights_", {}).items()}


def table(rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    if ALONE not in frame:
        frame[ALONE] = np.nan
    lines = ["| family | series | network | ETS | seasonal naive | ARIMA | beats snaive | beats ETS | network alone | "
             "alone beats snaive | alone beats ETS | train s / series | total s / series |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = [(f, g) for f, g in frame.groupby("family", sort=False)] + [("**all**", frame)]
    for family, g in groups:
        med = {m: g[m].median() for m in MODELS}
        lines.append(
            f"| {family} | {len(g)} | {med['network']:.3f} | {med['ets']:.3f} | {med['snaive']:.3f} | "
            f"{med['arima']:.3f} | {(g['network'] < g['snaive']).mean():.0%} | {(g['network'] <= g['ets']).mean():.0%} | "
            f"{g[ALONE].median():.3f} | {(g[ALONE] < g['snaive']).mean():.0%} | {(g[ALONE] <= g['ets']).mean():.0%} | "
            f"{g['train_seconds'].median():.1f} | {g['total_seconds'].median():.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed per family, one length, less real data")
    parser.add_argument("--dev", action="store_true", help="development battery: seeds 3 and 4, real series cut "
                        "one horizon short (choose defaults here, report the battery)")
    parser.add_argument("--families", default="", help="comma-separated subset (family names, uci_total, "
                        "uci_products, avocado)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a ForecastConfig field of the default configuration")
    parser.add_argument("--cuts", default="0", help="comma-separated origins for the real series, in horizons "
                        "before the end (e.g. 0,2,3,4: the battery's holdout and three earlier ones; 1 is the dev "
                        "battery's holdout); generated families are scored at 0 only")
    parser.add_argument("--out", default=str(ROOT / "bench" / "battery_last.json"))
    parser.add_argument("--dump-validation", metavar="PATH", help="also write each series' validation windows "
                        "(training rows, origins, actuals, the network's and ETS's forecasts) to PATH (.npz), to "
                        "compare combination rules offline on what the share is chosen from")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="print the table of earlier runs' JSON files "
                        "together (run subsets in parallel processes, then merge)")
    args = parser.parse_args(argv)
    if args.merge:
        rows = [r for path in args.merge for r in json.loads(Path(path).read_text())["rows"]]
        print(table(rows))
        return 0
    overrides = {k: parse_value(v) for k, v in (item.split("=", 1) for item in args.set)}
    families = [f for f in args.families.split(",") if f] or None
    rows: list[dict] = []
    dump = _record_validation() if args.dump_validation else None
    started = time.perf_counter()
    cuts = tuple(int(k) for k in args.cuts.split(",") if k.strip())
    for family, freq, frame in cases(args.quick, families, args.dev, cuts):
        case_rows = run_case(family, freq, frame, overrides)
        rows.extend(case_rows)
        if dump is not None:  # the case's keys under its family: the same series at several origins stays apart
            for key in [k for k in dump if "|" not in k]:
                dump[f"{family}|{key}"] = dump.pop(key)
        _save(args.out, overrides, args, rows, dump)  # after every case: a killed run keeps what it finished
        for r in case_rows:
            print(f"{family:15s} {r['series'][:24]:24s} net {r['network']:.3f} ets {r['ets']:.3f} "
                  f"snaive {r['snaive']:.3f} arima {r['arima']:.3f} alone {r[ALONE]:.3f} w {r['combine_weight']} "
                  f"train {r['run_train_seconds']:.1f}s total {r['run_seconds']:.1f}s", flush=True)
    print()
    print(table(rows))
    print(f"\nbattery wall time {time.perf_counter() - started:.0f} s; overrides {overrides}")
    return 0


def _save(out: str, overrides: dict, args: argparse.Namespace, rows: list[dict], dump: dict | None) -> None:
    Path(out).write_text(json.dumps({"overrides": overrides, "quick": args.quick, "dev": args.dev, "rows": rows},
                                    indent=1))
    if dump is not None:
        np.savez_compressed(args.dump_validation, **dump)


if __name__ == "__main__":
    raise SystemExit(main())
