"""Explore page timings through AppTest: first render (cold caches), a filter change, a rerun with nothing changed,
on synthetic datasets of 150,000 and 1,000,000 lines. Run: .venv/bin/python bench/explore_speed.py

Targets (a shared 2-core machine): warm rerun under 2 s; cold under 5 s at 150k lines and 20 s at 1M. The test suite
checks only what these timings rest on (a rerun recomputes no aggregate: tests/app/test_explore_page.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.app.test_explore_page import synthetic_dataset, timed_runs  # noqa: E402


def main() -> None:
    for rows in (150_000, 1_000_000):
        timings = timed_runs(synthetic_dataset(rows))
        print(f"Explore page, {rows:,} rows: " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))


if __name__ == "__main__":
    main()
