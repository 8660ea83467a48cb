"""The default configuration on a 730-day daily series, end to end (issue 18 item 5: within 15 s on 2 cores).

Run (from the repository root)::

    .venv/bin/python bench/default_speed.py [--rounds 2] [--code /path/to/other/checkout] [--set FIELD=VALUE]

``run_forecast(multiplicative(11, 730), default_config("D"))`` with every baseline (naive, seasonal naive, moving
average, ETS, ARIMA), the holdout fit, the scoring and the future fit, in a fresh process per round, Keras imported
before the clock. ``--code`` imports ``ml`` from another checkout (e.g. main before a change), so "before" and
"after" can alternate under about the same load. Reported per round: wall and CPU seconds (every thread), the
network's training seconds and epochs, each model's MASE and the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(code: str, overrides: dict) -> None:
    sys.path.insert(0, code)
    sys.path.insert(1, str(ROOT))
    os.environ.setdefault("KERAS_BACKEND", "jax")
    from bench.families import multiplicative
    from ml.forecast import default_config, network, run_forecast  # noqa: F401 (the Keras import, before the clock)

    frame = multiplicative(11, 730)[["unique_id", "ds", "y"]]
    load = os.getloadavg()[0]
    cpu, started = time.process_time(), time.perf_counter()
    result = run_forecast(frame, default_config("D", **overrides))
    out = {"code": code, "seconds": round(time.perf_counter() - started, 2),
           "cpu_seconds": round(time.process_time() - cpu, 2), "train_seconds": round(result.train_seconds, 2),
           "epochs_run": result.epochs_run, "mase": {k: round(v["mase"], 4) for k, v in result.metrics.items()},
           "future_head": [round(float(v), 3) for v in result.future["yhat"].to_numpy()[:3]],
           "load_start": load, "load_end": os.getloadavg()[0]}
    print(json.dumps(out), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--code", nargs="+", default=[str(ROOT)], help="checkouts to import ml from, in turn")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return 0
    overrides = {k: json.loads(v) if v[:1].isdigit() or v in ("true", "false") else v
                 for k, v in (item.split("=", 1) for item in args.set)}
    for _ in range(args.rounds):
        for code in args.code:
            subprocess.run([sys.executable, __file__, "--child", code, json.dumps(overrides)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
