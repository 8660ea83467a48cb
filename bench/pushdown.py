"""The Explore and Forecast pages' aggregates on a large saved dataset: queried in place by DuckDB (``ml/pushdown``)
against reading the frame into pandas, each in a fresh process (time per step, peak RSS).

    .venv/bin/python bench/pushdown.py --lines 5000000     # generates bench/out/pushdown_5m.csv and imports it once
    .venv/bin/python bench/pushdown.py --lines 5000000 --modes pushdown   # one path only
    .venv/bin/python bench/pushdown.py --lines 20000000 --direct --modes pushdown   # Parquet written by DuckDB

The file comes from bench/big_profile.py's generator (plain transactions: 20,000 products, 90,000 customers, two
years) and enters a workspace under bench/out/ through ``python -m ml import``, as an analyst's large file would.
Steps are what the two pages compute when they open (filter bar, KPI cards, daily trend, top products, weekday
heatmap; the Forecast page's product list and two series) and one filter change. The numbers of both paths are
printed side by side and must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
OWNER = "bench"


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(mode: str, dataset_id: str) -> dict:
    """One path, in this process: every step timed; peak RSS from the kernel at the end."""
    import pandas as pd

    from components.common.filters import filter_options
    from ml.explore import make_kpis, make_top, make_trend, make_weekday_matrix, prepare_frame
    from ml.pushdown.explore import query_ranked_products
    from ml.pushdown.stored import table_of
    from ml.schema import Col
    from ml.series import Filters, make_series
    from ml.workspace import get_workspace

    times: dict[str, float] = {}
    base = rss_mb()

    def step(name, fn):
        started = time.perf_counter()
        value = fn()
        times[name] = round(time.perf_counter() - started, 2)
        return value

    ds, _ = step("open dataset", lambda: get_workspace().load_dataset(OWNER, dataset_id))
    if mode == "frame":
        data = step("read frame + code ids", lambda: prepare_frame(ds.frame))
    else:
        data = table_of(ds)
        assert data is not None, "the dataset is below the pushdown threshold"
    options = step("filter bar choices", lambda: filter_options(ds.fingerprint, data))
    kpis = step("KPI cards", lambda: make_kpis(data, None, "previous"))
    trend = step("trend by day", lambda: make_trend(data, None, "D"))
    step("trend by month", lambda: make_trend(data, None, "M"))
    top = step("top 10 products", lambda: make_top(data, None, "product", "revenue", 10))
    step("weekday heatmap", lambda: make_weekday_matrix(data, None, "revenue", "week"))
    last = options.last_day
    recent = Filters(date_from=last - pd.Timedelta(days=89), date_to=last)
    recent_kpis = step("filter: last 90 days (KPIs + trend)",
                       lambda: (make_kpis(data, recent, "previous"), make_trend(data, recent, "D"))[0])

    def ranked():
        if isinstance(data, pd.DataFrame):
            sums = data.groupby(Col.PRODUCT_ID, observed=True)[Col.QUANTITY].sum()
            return [str(p) for p in sums.sort_values(ascending=False).index]
        return query_ranked_products(data)

    products = step("forecast: product list", ranked)
    total = step("forecast: shop total, daily", lambda: make_series(data, "units", "total", "D"))
    five = "products:" + "|".join(sorted(products[:5]))
    several = step("forecast: 5 products, weekly", lambda: make_series(data, "units", five, "W"))
    return {
        "mode": mode, "times": times, "rss_after_imports_mb": round(base),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "numbers": {
            "lines": kpis.current.lines, "revenue": round(kpis.current.revenue, 2), "units": kpis.current.units,
            "orders": kpis.current.orders, "customers": kpis.current.customers,
            "trend_days": len(trend), "trend_revenue": round(float(trend["revenue"].sum()), 2),
            "top_revenue": [round(float(v), 2) for v in top.table["revenue"]],
            "recent_revenue": round(recent_kpis.current.revenue, 2),
            "products": len(options.products), "series_total_units": float(total["y"].sum()),
            "series_5_weekly": round(float(several["y"].sum()), 2), "series_5_rows": len(several),
        },
    }


def _generated(lines: int, workspace: Path) -> tuple[Path, Path]:
    """(the file holding the dataset id once it is saved, the generated CSV: written when missing and not saved)."""
    from bench.big_profile import write_lines

    marker = workspace / f"dataset_{lines}.id"
    csv = OUT / f"pushdown_{lines // 1_000_000}m.csv"
    if not marker.exists() and not csv.exists():
        write_lines(csv, lines)
    return marker, csv


def ensure_dataset(lines: int, workspace: Path) -> str:
    """The generated file imported once into ``workspace``; its dataset id."""
    marker, csv = _generated(lines, workspace)
    if marker.exists():
        return marker.read_text().strip()
    started = time.perf_counter()
    env = {**os.environ, "SALESLENS_WORKSPACE": str(workspace)}
    out = subprocess.run([sys.executable, "-m", "ml", "import", str(csv), "--owner", OWNER, "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True)
    print(f"imported {csv.name} in {time.perf_counter() - started:.0f} s")
    dataset_id = json.loads(out.stdout)["dataset_id"]
    marker.write_text(dataset_id)
    return dataset_id


def ensure_direct_dataset(lines: int, workspace: Path) -> str:
    """A dataset of the generated file whose cleaned Parquet DuckDB writes straight from the CSV (the columns and
    types ``python -m ml import`` writes; revenue = quantity x unit price; the generator's lines need no cleaning),
    saved into ``workspace`` with the report of an import. For files above the import's row cap
    (``ml.limits.DISK_LIMITS.max_rows``)."""
    import duckdb

    from ml.dataset import CleaningOptions, ValidationReport
    from ml.pushdown.stored import stored_dataset
    from ml.schema import ColumnMapping
    from ml.workspace import get_workspace

    marker, csv = _generated(lines, workspace)
    if marker.exists():
        return marker.read_text().strip()
    parquet = OUT / f"pushdown_{lines // 1_000_000}m.parquet"
    started = time.perf_counter()
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    if parquet.exists():  # written by an earlier run that stopped before saving it
        con.execute(f"SELECT 1 FROM '{parquet}' LIMIT 0")
    else:
        con.execute(f"""COPY (SELECT CAST(date AS TIMESTAMP) AS date, order_id, product_id, customer_id,
                       CAST(quantity AS DOUBLE) AS quantity, unit_price, quantity * unit_price AS revenue
                    FROM read_csv('{csv}', header=true, columns={{'date': 'DATE', 'order_id': 'VARCHAR',
                         'product_id': 'VARCHAR', 'quantity': 'DOUBLE', 'unit_price': 'DOUBLE',
                         'customer_id': 'VARCHAR'}}))
                    TO '{parquet}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)""")
    con.close()
    print(f"wrote {parquet.name} with DuckDB in {time.perf_counter() - started:.0f} s")
    os.environ["SALESLENS_WORKSPACE"] = str(workspace)
    columns = {c: c for c in ("date", "order_id", "product_id", "quantity", "unit_price", "customer_id")}
    ds = stored_dataset(parquet, name=csv.name, mapping=ColumnMapping(columns),
                        report=ValidationReport(rows_read=lines, rows_kept=lines), source_columns=list(columns),
                        fingerprint=f"bench-direct-{lines}", options=CleaningOptions())
    entry = get_workspace().save_dataset(OWNER, ds)
    parquet.unlink()
    marker.write_text(entry.id)
    return entry.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--modes", default="pushdown,frame")
    parser.add_argument("--child", default=None)
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--direct", action="store_true",
                        help="write the Parquet with DuckDB instead of python -m ml import (above its row cap)")
    args = parser.parse_args()
    workspace = OUT / "pushdown_ws"
    if args.child:
        os.environ["SALESLENS_WORKSPACE"] = str(workspace)
        print(json.dumps(child(args.child, args.dataset)))
        return
    dataset_id = args.dataset or (ensure_direct_dataset if args.direct else ensure_dataset)(args.lines, workspace)
    results = {}
    for mode in args.modes.split(","):
        env = {**os.environ, "SALESLENS_WORKSPACE": str(workspace),
               "SALESLENS_PUSHDOWN_ROWS": "1" if mode == "pushdown" else str(10**12)}
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--dataset", dataset_id], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        if out.returncode:
            print(f"{mode}: exit {out.returncode}\n{out.stderr[-2000:]}")
            continue
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        results[mode]["wall_s"] = round(time.perf_counter() - started, 1)
    steps = list(next(iter(results.values()))["times"]) if results else []
    steps = list(dict.fromkeys([*steps, *(s for r in results.values() for s in r["times"])]))
    print(f"{'step':<38}" + "".join(f"{m:>12}" for m in results))
    for name in steps:
        print(f"{name:<38}" + "".join(f"{r['times'].get(name, float('nan')):>12.2f}" for r in results.values()))
    for key in ("peak_rss_mb", "rss_after_imports_mb", "wall_s"):
        print(f"{key:<38}" + "".join(f"{r[key]:>12}" for r in results.values()))
    numbers = [r["numbers"] for r in results.values()]
    for key in numbers[0] if numbers else []:
        values = [n[key] for n in numbers]
        same = all(v == values[0] for v in values)
        print(f"  {key}: {values[0]}" + ("" if same else f"  DIFFERENT: {values}"))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
