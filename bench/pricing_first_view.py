"""What the first Pricing view on a file costs, step by step, in a fresh interpreter (nothing imported before):
import, weekly price panel, elasticities of every product, suggestions, then the portfolio headline it gives.

    .venv/bin/python bench/pricing_first_view.py ../shared/realdata/online_retail_uci.csv.gz

Reading the file is not timed (the page has the dataset already). Compare two versions as a ratio within one run of
this command each, back to back: the shared 2-core machine inflates absolute times.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(path: str) -> None:
    from ml.dataset import load_dataset

    ds = load_dataset([(Path(path).name, Path(path).read_bytes())])
    started = time.perf_counter()
    from ml.pricing import (
        ElasticityConfig,
        OptimiserConfig,
        estimate_elasticities,
        make_price_panel,
        suggest_prices,
        summarise_portfolio,
    )

    imported = time.perf_counter()
    config = ElasticityConfig()
    panel = make_price_panel(ds.frame, config.freq)
    paneled = time.perf_counter()
    estimates = estimate_elasticities(panel, config)
    estimated = time.perf_counter()
    table = suggest_prices(estimates, OptimiserConfig(objective="revenue"))
    suggested = time.perf_counter()
    s = summarise_portfolio(table, config.periods_per_30_days, False, config)
    print(f"import {imported - started:.2f} s · panel {paneled - imported:.2f} s · elasticities {estimated - paneled:.2f} s "
          f"({len(estimates)} products) · suggestions {suggested - estimated:.2f} s · total {suggested - started:.2f} s")
    print(f"headline per 30 days: now {s.revenue_now:,.0f}, change {s.revenue_change:+,.0f} "
          f"({s.revenue_change / s.revenue_now:+.1%}), range {s.revenue_change_low:+,.0f} to {s.revenue_change_high:+,.0f}; "
          f"{s.n_suggested} counted, {s.n_bound} at a limit, median elasticity {s.median_elasticity:.2f}, "
          f"{s.n_year_baseline} on the year's average")


if __name__ == "__main__":
    main(sys.argv[1])
