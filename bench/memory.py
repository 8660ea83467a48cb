"""Memory benchmark: peak resident memory of ``python -m ml profile`` on a near-cap upload, alone and three at once.

    .venv/bin/python bench/memory.py              # writes bench/out/near_cap.zip once (~1000 MiB of valid CSV)
    .venv/bin/python bench/memory.py --mib 200    # a smaller file (quicker)

The file is the one issue 16 describes: a zip a few MB large that inflates to ~1000 MiB of valid CSV (under the
1 GiB unpacked and 5M-row caps). The profile command is run as a subprocess; its process tree (the CLI and the
parse worker it starts) is sampled every 20 ms from /proc, and the figures are the peak of the tree's summed RSS
and of its largest process, with the exit code and the first line of stderr. Target: peak < 2 GB, exit 0 or exit 2
with one line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PAGE = os.sysconf("SC_PAGE_SIZE")
HEADER = "date,order_id,product_id,product_name,quantity,unit_price,customer_id,description\n"
PADDING = "Handmade ceramic mug with a glazed finish - dishwasher safe - gift boxed; " * 2


def write_near_cap(path: Path, mib: int) -> None:
    """~``mib`` MiB of valid order lines in one zip member (repetitive, so the zip is a few MB)."""
    target = mib * 2**20
    written, order = 0, 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf, \
            zf.open("sales.csv", "w", force_zip64=True) as fh:
        fh.write(HEADER.encode())
        while written < target:
            rows = []
            for i in range(10_000):
                order += 1
                day = 1 + (order // 5000) % 28
                rows.append(f"2024-03-{day:02d},O{order},P{i % 50:03d},Mug {i % 50},{1 + i % 4},9.5,C{i % 997},{PADDING}\n")
            block = "".join(rows).encode()
            fh.write(block)
            written += len(block)


def tree_rss(root: int) -> tuple[int, int]:
    """(summed RSS, largest RSS) of ``root`` and its descendants, in bytes."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/statm", "rb") as fh:
                rss[int(entry)] = int(fh.read().split()[1]) * PAGE
            parents[int(entry)] = int(stat[1])
        except (OSError, IndexError, ValueError):
            continue
    members, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in members:
                members.add(child)
                frontier.append(child)
    sizes = [rss.get(p, 0) for p in members]
    return sum(sizes), max(sizes, default=0)


def measure(files: list[Path]) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ml", "profile", *map(str, files)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_sum = peak_one = 0
    while proc.poll() is None:
        total, largest = tree_rss(proc.pid)
        peak_sum, peak_one = max(peak_sum, total), max(peak_one, largest)
        time.sleep(0.02)
    stderr = proc.stderr.read().strip().splitlines()
    return {"files": len(files), "exit": proc.returncode, "seconds": time.perf_counter() - started,
            "peak_tree_mb": peak_sum / 2**20, "peak_process_mb": peak_one / 2**20,
            "stderr_lines": len(stderr), "stderr": stderr[0][:160] if stderr else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"near_cap_{args.mib}.zip"
    if not path.is_file():
        write_near_cap(path, args.mib)
    with zipfile.ZipFile(path) as zf:
        inflated = sum(i.file_size for i in zf.infolist())
    print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MB zip, {inflated / 2**20:.0f} MiB unpacked")
    for files in ([path], [path, path, path]):
        r = measure(files)
        print(f"profile x{r['files']}: exit {r['exit']}, {r['seconds']:.1f} s, peak RSS tree {r['peak_tree_mb']:.0f} MB"
              f" (largest process {r['peak_process_mb']:.0f} MB), stderr {r['stderr_lines']} line(s): {r['stderr']}")


if __name__ == "__main__":
    main()
