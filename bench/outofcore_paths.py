"""One file through the three ingest paths in one run: in memory (``ml.dataset.load_dataset``), streamed and cleaned
in DuckDB SQL (``load_large_dataset``, engine "auto": says which path it took) and streamed in batches (engine
"batches"); time of each, and whether the report, control totals and cleaned frame equal the in-memory ones.

    .venv/bin/python bench/outofcore_paths.py ../shared/realdata/online_retail_uci.csv.gz

``python -m ml profile`` streams only files above ``ml.outofcore.run.STREAM_BYTES`` unpacked (64 MB): the UCI export
(45 MB) is profiled in memory by the CLI; this script runs the streamed paths on it directly.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.dataset import CleaningOptions, ReturnsPolicy, load_dataset  # noqa: E402
from ml.limits import DISK_LIMITS  # noqa: E402
from ml.outofcore.clean import load_large_dataset  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--returns", default="keep", choices=[p.value for p in ReturnsPolicy])
    args = parser.parse_args()
    options = CleaningOptions(returns=ReturnsPolicy(args.returns))
    raw = args.file.read_bytes()
    text = gzip.decompress(raw) if args.file.suffix == ".gz" else raw
    lines = text.count(b"\n") - 1
    started = time.perf_counter()
    memory = load_dataset([(args.file.name, raw)], None, options)
    print(f"{args.file.name}: {lines:,} lines; in memory {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory(prefix="saleslens-bench-") as folder:
        for engine in ("auto", "batches"):
            out = Path(folder) / f"{engine}.parquet"
            started = time.perf_counter()
            got = load_large_dataset([args.file], None, options, limits=DISK_LIMITS, output=out, engine=engine)
            seconds = time.perf_counter() - started
            try:
                pd.testing.assert_frame_equal(pq.read_table(out).to_pandas(), memory.frame, check_categorical=False)
                frame = "equal"
            except AssertionError:
                frame = "DIFFERENT"
            report = "equal" if got.report.to_json_dict() == memory.report.to_json_dict() else "DIFFERENT"
            totals = "equal" if got.control_totals() == memory.control_totals() else "DIFFERENT"
            print(f"  streamed, engine {engine!r} -> {got.engine}: {seconds:.1f} s; report {report}, totals {totals}, "
                  f"frame {frame}; duplicates {got.report.count('duplicates'):,} (in memory "
                  f"{memory.report.count('duplicates'):,}); totals {got.control_totals()}")


if __name__ == "__main__":
    main()
