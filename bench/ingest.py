"""Ingest benchmark: a 1,000,000-row shop export read by pyarrow alone vs the whole SalesLens ingest.

    .venv/bin/python bench/ingest.py                 # writes bench/out/transactions_1m.csv once, then measures
    .venv/bin/python bench/ingest.py --reps 7        # more repetitions

(a) ``pyarrow.csv.read_csv`` of the file's bytes (the baseline: type inference, all cores);
(b) ``load_dataset`` (read, map, parse, validate, clean) followed by ``ml.series.daily_product_totals``.
Both read the same bytes from memory, in one process, interleaved (the order alternates), after one warm-up run;
the figures are medians. Peak memory is measured in fresh subprocesses as the ru_maxrss growth over a process that
already holds the file's bytes and has imported everything. Targets: (b) <= 1.5x (a); peak of (b) < 5x file size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SEED = 20241122
STREAMED_PATH: Path | None = None
REGIONS = ("North", "South", "East", "West", "Central", "North-East", "South-West", "Islands")
CATEGORIES = (
    "Coffee", "Tea", "Kitchenware", "Snacks", "Personal care", "Home & Garden", "Toys", "Stationery",
    "Baby", "Pet supplies", "Electronics", "Books", "Sports", "Outdoor", "Beauty", "Health", "Office",
    "Crafts", "Party", "Lighting",
)


def make_transactions(path: Path, rows: int = 1_000_000, products: int = 4_000, seed: int = SEED) -> Path:
    """Write a deterministic shop export: chronological order lines, ~2.5 lines per order, ~2% return lines."""
    rng = np.random.default_rng(seed)
    n_orders = rows * 2 // 5
    lines_per_order = rng.integers(1, 5, n_orders)  # 1..4, mean 2.5
    order_of_line = np.repeat(np.arange(n_orders), lines_per_order)[:rows]
    if len(order_of_line) < rows:  # top up with one-line orders
        extra = np.arange(n_orders, n_orders + rows - len(order_of_line))
        order_of_line = np.concatenate([order_of_line, extra])
        n_orders = int(order_of_line[-1]) + 1
    start = np.datetime64("2023-01-01T00:00:00", "s")
    span = 730 * 86_400
    order_time = start + np.sort(rng.integers(0, span, n_orders)).astype("timedelta64[s]")
    n_customers = 60_000
    order_customer = rng.integers(1, n_customers + 1, n_orders)
    guest = rng.random(n_orders) < 0.08
    order_region = rng.integers(0, len(REGIONS), n_orders)

    popularity = np.exp(rng.normal(0.0, 1.2, products))
    product = rng.choice(products, rows, p=popularity / popularity.sum())
    base_price = np.round(np.exp(rng.normal(2.3, 0.8, products)), 2) + 0.49
    price = np.round(base_price[product] * rng.choice([1.0, 1.0, 1.0, 0.9, 0.8], rows), 2)
    qty = rng.choice([1, 2, 3, 4, 6, 12], rows, p=[0.6, 0.2, 0.08, 0.06, 0.04, 0.02])
    returns = rng.random(rows) < 0.02
    qty = np.where(returns, -qty, qty)
    category = rng.integers(0, len(CATEGORIES), products)[product]

    o = order_of_line
    ts = pa.array(order_time[o]).cast(pa.timestamp("s"))
    ts_text = pc.strftime(ts, format="%Y-%m-%d %H:%M:%S")
    prefix = np.where(returns, "C", "")
    order_id = pc.binary_join_element_wise(pa.array(prefix), pc.cast(pa.array(1_000_000 + o), pa.string()), "")
    product_id = pc.utf8_lpad(pc.cast(pa.array(product + 10_000), pa.string()), 6, "P")
    cust = pc.binary_join_element_wise(pa.array(np.full(rows, "C")), pc.utf8_lpad(pc.cast(pa.array(order_customer[o]), pa.string()), 6, "0"), "")
    cust = pc.if_else(pa.array(guest[o]), pa.scalar("", pa.string()), cust)
    cols = [
        ts_text,
        order_id,
        product_id,
        cust,
        pc.cast(pa.array(qty), pa.string()),
        pc.cast(pa.array(price), pa.string()),
        pc.take(pa.array(REGIONS), pa.array(order_region[o])),
        pc.take(pa.array(CATEGORIES), pa.array(category)),
    ]
    # A few exact duplicate lines, as exports sometimes repeat them.
    body = pc.binary_join_element_wise(*cols, ",")
    dup = np.sort(rng.choice(rows - 1, 200, replace=False))
    idx = np.arange(rows)
    idx[dup + 1] = dup
    body = body.take(pa.array(idx))
    header = "Order Date,Order ID,SKU,Customer ID,Quantity,Unit Price,Region,Category\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write(header.encode())
        fh.write("\n".join(body.to_pylist()).encode())
        fh.write(b"\n")
    return path


# ------------------------------------------------------------------------------------------------ measuring


def run_baseline(data: bytes) -> pa.Table:
    return pacsv.read_csv(pa.BufferReader(data))


def run_saleslens(data: bytes, name: str = "transactions.csv"):
    from ml.dataset import load_dataset
    from ml.series import daily_product_totals

    ds = load_dataset([(name, data)])
    return ds, daily_product_totals(ds.frame)


def run_streamed(path: Path):
    """(c) the streamed path (ml/outofcore, what files above 64 MB take): the file read from disk in batches,
    cleaned, written to Parquet; the daily x product totals summed by DuckDB over that Parquet."""
    import tempfile

    import duckdb

    from ml.outofcore.clean import load_large_dataset

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "data.parquet"
        ds = load_large_dataset([path], output=out)
        con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
        daily = con.sql(
            "SELECT date_trunc('day', date) AS day, product_id, sum(quantity) AS units, sum(revenue) AS revenue "
            f"FROM read_parquet('{out}') GROUP BY ALL").to_arrow_table()
        con.close()
    return ds, daily


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def measure_times(data: bytes, reps: int) -> dict[str, list[float]]:
    from ml.dataset import load_dataset
    from ml.series import daily_product_totals

    run_baseline(data)  # warm-up: imports, allocator, page faults
    run_saleslens(data)
    times: dict[str, list[float]] = {"a": [], "b": [], "b_load": [], "b_daily": [], "c": [], "a_cpu": [], "b_cpu": []}
    for rep in range(reps):
        if STREAMED_PATH is not None:
            times["c"].append(_timed(run_streamed, STREAMED_PATH))
        order = ("a", "b") if rep % 2 == 0 else ("b", "a")
        for which in order:
            c0 = time.process_time()  # CPU time of every thread: steadier than wall time on a loaded machine
            if which == "a":
                times["a"].append(_timed(run_baseline, data))
            else:
                t0 = time.perf_counter()
                ds = load_dataset([("transactions.csv", data)])
                t1 = time.perf_counter()
                daily_product_totals(ds.frame)
                t2 = time.perf_counter()
                times["b"].append(t2 - t0)
                times["b_load"].append(t1 - t0)
                times["b_daily"].append(t2 - t1)
            times[f"{which}_cpu"].append(time.process_time() - c0)
    return times


def _maxrss_bytes() -> int:
    """Peak resident memory of this process. Linux's VmHWM belongs to the address space, so it starts afresh in a
    new program; ru_maxrss does not: a child inherits its parent's peak across fork and exec, which made every
    child of a large parent report 0 growth."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def memory_child(path: str, which: str) -> None:
    """Run in a fresh process: print the ru_maxrss growth of one run of (a), (b) or (c), in bytes."""
    import duckdb  # noqa: F401

    from ml.dataset import load_dataset  # noqa: F401  (imports count in the baseline, not in the run)
    from ml.outofcore.clean import load_large_dataset  # noqa: F401
    from ml.series import daily_product_totals  # noqa: F401

    if which == "c":
        before = _maxrss_bytes()
        run_streamed(Path(path))
        print(_maxrss_bytes() - before)
        return

    data = Path(path).read_bytes()
    before = _maxrss_bytes()
    result = run_baseline(data) if which == "a" else run_saleslens(data)
    after = _maxrss_bytes()
    del result
    print(after - before)


def measure_memory(path: Path, which: str) -> int:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", which, "--file", str(path)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    return int(out.stdout.strip().splitlines()[-1])


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--streamed", action="store_true", help="also (c): the streamed path of ml/outofcore")
    parser.add_argument("--memory-child", choices=["a", "b", "c"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = args.file or OUT / ("transactions_1m.csv" if args.rows == 1_000_000 else f"transactions_{args.rows}.csv")
    if args.memory_child:
        memory_child(str(path), args.memory_child)
        return
    if args.regenerate or not path.exists():
        t = time.perf_counter()
        make_transactions(path, rows=args.rows)
        print(f"generated {path.relative_to(ROOT)} in {time.perf_counter() - t:.1f} s")
    data = path.read_bytes()
    size = len(data)
    global STREAMED_PATH
    STREAMED_PATH = path if args.streamed else None

    times = measure_times(data, args.reps)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    ratio = med["b"] / med["a"]
    # Ratio per interleaved pair as well: less sensitive to load changing during the run.
    pair_ratios = [b / a for a, b in zip(times["a"], times["b"], strict=True)]

    ds, daily = run_saleslens(data)
    mem_a = mem_b = mem_c = None
    if not args.no_memory:
        mem_a = measure_memory(path, "a")
        mem_b = measure_memory(path, "b")
        mem_c = measure_memory(path, "c") if args.streamed else None

    import pandas as pd

    cmd = f"{os.path.relpath(sys.executable, ROOT)} {' '.join(sys.argv)}"
    rows = [
        ("file", f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {ds.report.rows_read:,} rows, {size / 1e6:.1f} MB"),
        ("(a) pyarrow.csv.read_csv", f"{med['a']:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in times['a'])})"),
        ("(b) load_dataset + daily_product_totals", f"{med['b']:.3f} s  (runs: {', '.join(f'{x:.3f}' for x in times['b'])})"),
        ("    of which load_dataset", f"{med['b_load']:.3f} s"),
        ("    of which daily_product_totals", f"{med['b_daily']:.3f} s"),
        ("ratio (b)/(a), medians", f"{ratio:.2f}x   (target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'})"),
        ("ratio per interleaved pair", f"median {statistics.median(pair_ratios):.2f}x, range {min(pair_ratios):.2f}-{max(pair_ratios):.2f}x"),
        ("CPU time (a) / (b), medians", f"{med['a_cpu']:.3f} s / {med['b_cpu']:.3f} s = {med['b_cpu'] / med['a_cpu']:.2f}x"),
    ]
    if times["c"]:
        med_c = statistics.median(times["c"])
        rows += [("(c) streamed: load_large_dataset + DuckDB daily totals",
                  f"{med_c:.3f} s = {med_c / med['a']:.2f}x (a)  (runs: {', '.join(f'{x:.3f}' for x in times['c'])})")]
    if mem_c is not None:
        rows += [("peak memory (c), RSS growth", f"{mem_c / 1e6:.0f} MB = {mem_c / size:.2f}x file")]
    if mem_b is not None:
        rows += [
            ("peak memory (a), RSS growth", f"{mem_a / 1e6:.0f} MB = {mem_a / size:.2f}x file"),
            ("peak memory (b), RSS growth", f"{mem_b / 1e6:.0f} MB = {mem_b / size:.2f}x file   (target < 5x: {'met' if mem_b < 5 * size else 'NOT met'})"),
        ]
    rows += [
        ("rows kept / daily x product groups", f"{ds.report.rows_kept:,} / {len(daily):,}"),
        ("command", cmd),
        ("machine", f"{os.cpu_count()} cores, {_cpu_name()}, {platform.system()} {platform.release()}"),
        ("versions", f"Python {platform.python_version()}, pyarrow {pa.__version__}, pandas {pd.__version__}, numpy {np.__version__}"),
        ("date", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        ("repetitions", f"{args.reps} interleaved, after one warm-up run; load average {os.getloadavg()[0]:.1f} at the end"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
