"""A pytest plugin that logs the process's memory after each test, to find the tests after which it grows and stays.

    PYTHONPATH=bench MEMPROBE_OUT=/tmp/fc.tsv .venv/bin/python -m pytest -p pytest_memprobe -x -q tests/unit/forecast

One tab-separated line per test: seconds since the start, RSS MB, peak RSS MB, the number of objects the garbage
collector tracks (only with MEMPROBE_OBJECTS=1: counting them costs time on a large heap) and the test's id. At the
end, after a full collection: the RSS, and the 30 most common object types. Steps are easiest to read with
``awk -F'\\t' 'NR>1 {d=$2-p; if (d>8) print $1, $2, d, $5; p=$2}' /tmp/fc.tsv``.
"""

from __future__ import annotations

import collections
import gc
import os
import resource
import time

_state: dict = {}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pytest_configure(config):
    out = open(os.environ.get("MEMPROBE_OUT", "memprobe.tsv"), "w", buffering=1)  # closed in pytest_unconfigure
    out.write("seconds\trss_mb\tpeak_rss_mb\tobjects\ttest\n")
    _state.update(out=out, start=time.perf_counter())


def pytest_runtest_logfinish(nodeid, location):
    objects = len(gc.get_objects()) if os.environ.get("MEMPROBE_OBJECTS") else -1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _state["out"].write(f"{time.perf_counter() - _state['start']:.1f}\t{_rss_mb():.0f}\t{peak:.0f}\t{objects}\t{nodeid}\n")


def pytest_unconfigure(config):
    out = _state.pop("out", None)
    if out is None:
        return
    gc.collect()
    out.write(f"# after a full collection: RSS {_rss_mb():.0f} MB\n")
    counts = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
    for name, n in counts.most_common(30):
        out.write(f"# {n}\t{name}\n")
    out.close()
