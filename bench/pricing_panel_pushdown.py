"""Pricing's first view on a saved dataset queried in place: the weekly price panel (``ml.pushdown.prices``) query by
query, then the elasticities of every product fitted on it, in a fresh process, with its peak RSS.

    .venv/bin/python bench/pricing_panel_pushdown.py --lines 2000000            # writes bench/out/pricing_2m.parquet
    .venv/bin/python bench/pricing_panel_pushdown.py --parquet PATH            # an existing dataset's data.parquet

The generated lines are bench/pushdown.py's shape (20,000 products with a skewed popularity, 90,000 customers, a tenth
of the lines guests, two years, one order per line), with one difference: a line is 20% cheaper three times in ten,
so prices move and elasticities are fitted. Compare two versions of the code as a ratio, back to back on the same
file: the shared 2-core machine inflates absolute times.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def write_lines(path: Path, lines: int) -> None:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    con.execute("SELECT setseed(0.17)")
    con.execute(f"""COPY (
        SELECT date, order_id, product_id, customer_id, quantity, unit_price, quantity * unit_price AS revenue FROM (
            SELECT *, round(5 + (hash(product_id) % 50) * (CASE WHEN random() < 0.3 THEN 0.8 ELSE 1.0 END), 2)
                       AS unit_price
            FROM (SELECT TIMESTAMP '2023-01-02' + to_seconds(CAST(floor(random() * 730 * 86400) AS BIGINT)) AS date,
                         'O' || CAST(i AS VARCHAR) AS order_id,
                         'P' || lpad(CAST(CAST(floor(pow(random(), 2) * 20000) AS INT) AS VARCHAR), 5, '0')
                             AS product_id,
                         CASE WHEN random() < 0.1 THEN NULL
                              ELSE 'C' || CAST(CAST(floor(random() * 90000) AS INT) AS VARCHAR) END AS customer_id,
                         CAST(1 + floor(random() * 4) AS DOUBLE) AS quantity
                  FROM range({lines}) t(i)))
        ORDER BY date) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)""")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--parquet", default=None, help="an existing Parquet of canonical lines")
    args = parser.parse_args()
    path = Path(args.parquet) if args.parquet else OUT / f"pricing_{args.lines // 1_000_000}m.parquet"
    if not path.exists():
        started = time.perf_counter()
        write_lines(path, args.lines)
        print(f"wrote {path.name} in {time.perf_counter() - started:.1f} s")

    import ml.pushdown.explore as explore
    import ml.pushdown.prices as prices
    from ml.pricing import ElasticityConfig, estimate_elasticities
    from ml.pushdown import ParquetTable

    timed: list[tuple[float, str]] = []
    original = prices.query

    def query(table, sql, *rest, **kwargs):
        started = time.perf_counter()
        out = original(table, sql, *rest, **kwargs)
        timed.append((time.perf_counter() - started, " ".join(sql.split())[:70]))
        return out

    prices.query = explore.query = query
    table = ParquetTable(path)
    started = time.perf_counter()
    panel = prices.query_price_panel(table, "W")
    paneled = time.perf_counter()
    estimates = estimate_elasticities(panel, ElasticityConfig(freq="W"))
    estimated = time.perf_counter()
    for seconds, sql in timed:
        print(f"  {seconds:7.2f} s  {sql}")
    print(f"panel {paneled - started:.2f} s ({len(panel.frame):,} product-weeks) · elasticities "
          f"{estimated - paneled:.2f} s ({int((estimates['status'] == 'ok').sum()):,} of {len(estimates):,} estimated) · "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"check: units {panel.frame['units'].sum():,.0f}, revenue {panel.frame['revenue'].sum():,.2f}, "
          f"median elasticity {estimates['elasticity'].median():.4f}")


if __name__ == "__main__":
    main()
