"""The Explore, Forecast, Pricing and Recommendations pages driven once through Streamlit's AppTest on the large
saved dataset that bench/pushdown.py imported (run that first): what each page shows, its time, this process's peak
RSS, and whether the frame was ever read.

    .venv/bin/python bench/pushdown_pages.py [--dataset ID] [--fresh] [--pages N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORKSPACE = ROOT / "bench" / "out" / "pushdown_ws"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--pages", type=int, default=4, help="the first N of Explore, Forecast, Pricing, Recommendations")
    parser.add_argument("--fresh", action="store_true",
                        help="drop the figures kept beside the dataset and compute them again first, as saving does "
                             "(ml.pushdown.facts), timed")
    args = parser.parse_args()
    os.environ["SALESLENS_WORKSPACE"] = str(WORKSPACE)
    dataset_id = args.dataset or next(WORKSPACE.glob("dataset_*.id")).read_text().strip()
    from streamlit.testing.v1 import AppTest

    from components import state
    from ml.workspace import get_workspace

    if args.fresh:
        from ml.pushdown.facts import facts_path, prepare_facts

        parquet = WORKSPACE / "datasets" / dataset_id / "data.parquet"
        facts_path(parquet).unlink(missing_ok=True)
        started = time.perf_counter()
        prepare_facts(parquet)
        print(f"figures kept beside the dataset computed (as on saving) in {time.perf_counter() - started:.1f} s, "
              f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    started = time.perf_counter()
    ds, _ = get_workspace().load_dataset("bench", dataset_id)
    print(f"opened {ds.name} ({type(ds).__name__}, {ds.report.rows_kept:,} lines) in "
          f"{time.perf_counter() - started:.1f} s")
    pages = [("pages/explore_page.py", None), ("pages/forecast_page.py", "product"), ("pages/pricing_page.py", None),
             ("pages/recommend_page.py", None)]
    for page, level in pages[:args.pages]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state[state.SAMPLE_OFFERED] = True
        at.session_state[state.DATASET] = ds
        if level:
            at.session_state[state.FORECAST_LEVEL] = level
        at.query_params["lang"] = "en"
        at.run()
        at.switch_page(page)
        started = time.perf_counter()
        at.run()
        first = time.perf_counter() - started
        started = time.perf_counter()
        at.run()
        again = time.perf_counter() - started
        print(f"\n{page}: first run {first:.1f} s, rerun {again:.1f} s, exceptions: {len(at.exception)}")
        for m in at.metric:
            print(f"  metric {m.label}: {m.value}")
        print(f"  charts: {len(at.get('plotly_chart'))}, dataframes: {len(at.dataframe)}")
        for box in at.selectbox:
            print(f"  selectbox {box.label}: {len(box.options)} options, first {box.options[:2]}")
        for e in (*at.caption, *at.info, *at.warning, *at.error):
            print(f"  {type(e).__name__}: {str(e.value)[:160]}")
    print(f"\nframe read: {'frame' in ds.__dict__}; peak RSS of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
