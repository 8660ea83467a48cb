"""A 20M-line plain-transactions CSV (~0.8 GB) through ``python -m ml profile``, against DuckDB's own read.

    .venv/bin/python bench/big_profile.py                     # writes bench/out/saleslens_20m.csv once, measures
    .venv/bin/python bench/big_profile.py --lines 2000000     # smaller
    .venv/bin/python bench/big_profile.py --delete            # remove the generated file afterwards
    .venv/bin/python bench/big_profile.py --layout european   # ';', decimal commas, quoted cp1252 regions

``--layout european`` writes the same lines as a European shop's tool exports them (``;`` between fields, decimal
commas with '.' grouping thousands, a quoted region column in cp1252 with the delimiter inside some values) and
checks the totals against those the generator summed exactly (integer cents) while writing.

Figures: the profile's wall time and the peak summed RSS of its process tree (the CLI and its parse worker,
sampled every 20 ms as in bench/memory.py), its control totals against an independent DuckDB sum over the same
file, and DuckDB's own time to read and sum the file in the same run. Targets (issue 17): < 60 s on 2 cores, peak
< 2 GB, totals equal. The file is never committed: it is generated into bench/out (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.memory import tree_rss  # noqa: E402

HEADER = b"date,order_id,product_id,quantity,unit_price,customer_id\n"


def write_lines(path: Path, lines: int, seed: int = 17, chunk: int = 1_000_000) -> None:
    """Order lines two years long, one line per order id (so no line repeats another), ~1% returns."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01", "D")
    with open(path, "wb") as fh:
        fh.write(HEADER)
        for first in range(0, lines, chunk):
            n = min(chunk, lines - first)
            day = start + np.sort(rng.integers(0, 730, n)).astype("timedelta64[D]")
            product = rng.integers(0, 20_000, n)
            qty = rng.choice(np.array([1, 1, 1, 2, 2, 3, 4, 6]), n) * np.where(rng.random(n) < 0.01, -1, 1)
            cents = 99 + (product % 400) * 25
            cols = [
                pc.strftime(pa.array(day.astype("datetime64[s]")), format="%Y-%m-%d"),
                pc.cast(pa.array(np.arange(first, first + n) + 10_000_000), pa.string()),
                pc.utf8_lpad(pc.cast(pa.array(product), pa.string()), 6, "P"),
                pc.cast(pa.array(qty), pa.string()),
                pc.cast(pa.array(cents / 100), pa.string()),
                pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 90_000, n)), pa.string()), 6, "C"),
            ]
            body = pc.binary_join_element_wise(*cols, ",")
            fh.write("\n".join(body.to_pylist()).encode())
            fh.write(b"\n")


EUROPEAN_HEADER = "date;order_id;product_id;quantity;unit_price;customer_id;region\n"
REGIONS = np.array(['"Île-de-France"', '"Zürich"', '"Köln; Süd"', '"Málaga"', '"Österreich ""Ost"""'])


def write_european(path: Path, lines: int, seed: int = 17, chunk: int = 1_000_000) -> dict:
    """``write_lines``'s orders in the European layout; returns the totals summed while writing (quantity, revenue
    from integer cents: exact, first and last day)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01", "D")
    quantity, cents_total, days = 0, 0, []
    with open(path, "wb") as fh:
        fh.write(EUROPEAN_HEADER.encode("cp1252"))
        for first in range(0, lines, chunk):
            n = min(chunk, lines - first)
            day = start + np.sort(rng.integers(0, 730, n)).astype("timedelta64[D]")
            product = rng.integers(0, 20_000, n)
            qty = rng.choice(np.array([1, 1, 1, 2, 2, 3, 4, 6]), n) * np.where(rng.random(n) < 0.01, -1, 1)
            cents = (99 + (product % 400) * 25) * np.where(product % 50 == 0, 100, 1)  # some above 1.000,00
            quantity += int(qty.sum())
            cents_total += int((qty * cents).sum())
            days += [day[0], day[-1]]
            whole = pc.cast(pa.array(cents // 100), pa.string())
            grouped = pc.replace_substring_regex(whole, r"(\d)(\d{3})$", r"\1.\2")  # below 1.000.000,00
            price = pc.binary_join_element_wise(
                grouped, pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0"), ",")
            cols = [
                pc.strftime(pa.array(day.astype("datetime64[s]")), format="%Y-%m-%d"),
                pc.cast(pa.array(np.arange(first, first + n) + 10_000_000), pa.string()),
                pc.utf8_lpad(pc.cast(pa.array(product), pa.string()), 6, "P"),
                pc.cast(pa.array(qty), pa.string()),
                price,
                pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 90_000, n)), pa.string()), 6, "C"),
                pa.array(REGIONS[rng.integers(0, len(REGIONS), n)]),
            ]
            body = pc.binary_join_element_wise(*cols, ";")
            fh.write("\n".join(body.to_pylist()).encode("cp1252"))
            fh.write(b"\n")
    return {"rows": lines, "total_quantity": float(quantity), "total_revenue": cents_total / 100,
            "date_min": str(min(days)), "date_max": str(max(days))}


def duckdb_european(path: Path) -> float:
    """DuckDB's own read of the European file (latin-1 decodes these cp1252 letters alike) and its sums: seconds."""
    import duckdb

    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    started = time.perf_counter()
    con.execute(
        "SELECT count(*), sum(quantity), sum(quantity * CAST(replace(replace(unit_price, '.', ''), ',', '.') AS DOUBLE)) "
        f"FROM read_csv('{path}', header=true, delim=';', quote='\"', encoding='latin-1', columns={{'date': 'DATE', "
        "'order_id': 'VARCHAR', 'product_id': 'VARCHAR', 'quantity': 'DOUBLE', 'unit_price': 'VARCHAR', "
        "'customer_id': 'VARCHAR', 'region': 'VARCHAR'})").fetchone()
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def duckdb_sums(path: Path) -> tuple[dict, float]:
    import duckdb

    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    started = time.perf_counter()
    row = con.execute(
        "SELECT count(*), sum(quantity), sum(quantity * unit_price), min(date), max(date) "
        f"FROM read_csv('{path}', header=true, delim=',', columns={{'date': 'DATE', 'order_id': 'VARCHAR', "
        "'product_id': 'VARCHAR', 'quantity': 'DOUBLE', 'unit_price': 'DOUBLE', 'customer_id': 'VARCHAR'})"
    ).fetchone()
    seconds = time.perf_counter() - started
    con.close()
    return {"rows": row[0], "total_quantity": row[1], "total_revenue": row[2], "date_min": str(row[3]),
            "date_max": str(row[4])}, seconds


def profile(path: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ml", "profile", str(path), "--json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid)[0])
        time.sleep(0.02)
    out, err = proc.communicate()
    return {"exit": proc.returncode, "seconds": time.perf_counter() - started, "peak_mb": peak / 2**20,
            "json": json.loads(out) if proc.returncode == 0 else None, "stderr": err.strip()[:300]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000_000)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--delete", action="store_true")
    parser.add_argument("--layout", choices=["plain", "european"], default="plain")
    args = parser.parse_args()
    european = args.layout == "european"
    suffix = "_european" if european else ""
    path = args.file or ROOT / "bench" / "out" / f"saleslens_{args.lines // 1_000_000}m{suffix}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    if european:  # written every time: the totals come from the writing
        t = time.perf_counter()
        written = write_european(path, args.lines)
        print(f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t:.1f} s")
    elif not path.exists():
        t = time.perf_counter()
        write_lines(path, args.lines)
        print(f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t:.1f} s")
    try:
        raw, raw_seconds = (written, duckdb_european(path)) if european else duckdb_sums(path)
        result = profile(path)
        print(f"file: {path}, {path.stat().st_size / 1e9:.2f} GB, {raw['rows']:,} lines")
        print(f"DuckDB read + sum (2 threads): {raw_seconds:.1f} s")
        print(f"python -m ml profile: exit {result['exit']}, {result['seconds']:.1f} s "
              f"({result['seconds'] / raw_seconds:.1f}x DuckDB), peak RSS of the tree {result['peak_mb']:.0f} MB")
        if result["json"] is None:
            print(f"stderr: {result['stderr']}")
            return
        got = result["json"]
        print(f"rows kept {got['rows_kept']:,} of {got['rows_read']:,}")
        for key in ("total_quantity", "total_revenue", "date_min", "date_max"):
            match = got[key] == raw[key] if isinstance(raw[key], str) else abs(got[key] - raw[key]) <= 1e-9 * abs(raw[key])
            print(f"  {key}: profile {got[key]}  {'written' if european else 'DuckDB'} {raw[key]}  "
                  f"{'equal' if match else 'DIFFERENT'}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if args.delete:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
