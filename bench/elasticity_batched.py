"""Every product's elasticity on the weekly panel of a large in-place dataset: the regressions one product at a time
(``ml.pricing.elasticity.BLOCK_PRODUCTS = 1``) against a block at once (``ml.pricing.batched``), interleaved in one
process on the same panel (wall and CPU seconds of each), and how far apart their estimates are.

    .venv/bin/python bench/elasticity_batched.py --parquet bench/out/pricing_2m.parquet [--repeats 2] [--main FILE]

``--main FILE``: an ``ml/pricing/elasticity.py`` of another commit (``git show b264f84:ml/pricing/elasticity.py >
/tmp/elasticity_main.py``), timed as a third variant in the same rounds and checked equal to the loop.

Make the Parquet with bench/pricing_panel_pushdown.py --lines 2000000 --parquet bench/out/pricing_2m.parquet.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NUMBERS = ["elasticity", "std_error", "ci_low", "ci_high", "r2", "promo_effect", "baseline_units"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parquet", required=True)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--main", default=None, help="an elasticity.py of another commit, timed as well")
    args = parser.parse_args()

    import numpy as np

    import ml.pricing.elasticity as elasticity
    from ml.pricing import ElasticityConfig, estimate_elasticities
    from ml.pushdown import ParquetTable
    from ml.pushdown.prices import query_price_panel

    panel = query_price_panel(ParquetTable(Path(args.parquet)), "W")
    print(f"panel: {len(panel.products):,} products, {len(panel.frame):,} product-weeks; load {os.getloadavg()}")
    block = elasticity.BLOCK_PRODUCTS
    variants = [("loop", 1, estimate_elasticities), ("batched", block, estimate_elasticities)]
    if args.main:
        import importlib.util

        spec = importlib.util.spec_from_file_location("elasticity_main", args.main)
        main_module = importlib.util.module_from_spec(spec)
        sys.modules["elasticity_main"] = main_module
        spec.loader.exec_module(main_module)
        variants.insert(0, ("main", 1, main_module.estimate_elasticities))
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in variants}
    tables = {}
    for _ in range(args.repeats):
        for name, size, estimate in variants:
            elasticity.BLOCK_PRODUCTS = size
            wall, cpu = time.perf_counter(), time.process_time()
            tables[name] = estimate(panel, ElasticityConfig(freq="W"))
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            print(f"  {name:8s} wall {times[name][-1][0]:6.2f} s  cpu {times[name][-1][1]:6.2f} s", flush=True)
    loop, batch = tables["loop"], tables["batched"]
    if args.main:
        import pandas as pd

        pd.testing.assert_frame_equal(tables["main"], loop, check_exact=True)
        print("main == loop: identical frames")
    same = all((loop[c].equals(batch[c])) for c in ("product_id", "status", "reason", "confidence", "n_obs"))
    diff = max(float(np.nanmax(np.abs(loop[c] - batch[c]) / np.maximum(1.0, np.abs(loop[c])), initial=0.0))
               for c in NUMBERS)
    best = {k: min(v) for k, v in times.items()}
    print(f"statuses/reasons/confidence identical: {same}; largest difference (relative, or absolute below 1): "
          f"{diff:.2e}; {int((loop['status'] == 'ok').sum()):,} estimated")
    for name in times:
        print(f"best of {args.repeats}: {name:8s} {best[name][0]:6.2f} s wall / {best[name][1]:6.2f} s cpu; "
              f"batched {best[name][1] / best['batched'][1]:.2f}x faster in cpu, "
              f"{best[name][0] / best['batched'][0]:.2f}x in wall")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
