"""The part of the 1M-row ingest no cleaning step can avoid, against the raw read (issue 17's 1.5x target).

    .venv/bin/python bench/ingest_floor.py             # needs bench/out/transactions_1m.csv (bench/ingest.py writes it)

(a) ``pyarrow.csv.read_csv`` of the file's bytes, as in bench/ingest.py; (m) what ``load_dataset`` does before its
first cleaning step: read as text, detect the mapping and styles, convert every mapped column (in the same pool of
two threads), and the SHA-256 of the bytes for the fingerprint. No checks, no frame, no totals. Interleaved after a
warm-up; medians and the ratio per pair. If (m) alone is above 1.5x (a), the whole ingest cannot be within it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ml.dataset.cleaner import Cleaner  # noqa: E402
from ml.dataset.columns import map_columns  # noqa: E402
from ml.dataset.load import _hash_files, _start_report  # noqa: E402
from ml.dataset.options import CleaningOptions  # noqa: E402
from ml.dataset.read import read_tables  # noqa: E402
from ml.limits import LIMITS  # noqa: E402


def unavoidable(files: list[tuple[str, bytes]]) -> None:
    options = CleaningOptions()
    with ThreadPoolExecutor(2) as pool:
        mapped = map_columns(read_tables(files, LIMITS, None), None, None)
        report = _start_report(mapped, options)
        cleaner = Cleaner(mapped.take_table(), mapped.date_style, mapped.number_style, options, report, mapped.origin,
                          pool)
        cleaner._convert()
        pool.submit(_hash_files, files).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--file", type=Path, default=ROOT / "bench" / "out" / "transactions_1m.csv")
    args = parser.parse_args()
    data = args.file.read_bytes()
    files = [(args.file.name, data)]
    runs = {"a": lambda: pacsv.read_csv(pa.BufferReader(data)), "m": lambda: unavoidable(files)}
    for run in runs.values():
        run()  # warm-up
    wall: dict[str, list[float]] = {"a": [], "m": []}
    cpu: dict[str, list[float]] = {"a": [], "m": []}
    for rep in range(args.reps):
        for which in ("a", "m") if rep % 2 == 0 else ("m", "a"):
            t, c = time.perf_counter(), time.process_time()
            runs[which]()
            wall[which].append(time.perf_counter() - t)
            cpu[which].append(time.process_time() - c)
    pairs = [m / a for a, m in zip(wall["a"], wall["m"], strict=True)]
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"(a) pyarrow.csv.read_csv             {med['a']:.3f} s")
    print(f"(m) read as text, map, convert, hash {med['m']:.3f} s = {med['m'] / med['a']:.2f}x (a)")
    print(f"ratio per interleaved pair           median {statistics.median(pairs):.2f}x, "
          f"range {min(pairs):.2f}-{max(pairs):.2f}x")
    print(f"CPU time (a) / (m), medians          {med_cpu['a']:.3f} s / {med_cpu['m']:.3f} s = "
          f"{med_cpu['m'] / med_cpu['a']:.2f}x")
    print(f"repetitions                          {args.reps} interleaved after a warm-up; load average "
          f"{os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
