"""The recommenders' inputs on a large saved dataset (bench/pushdown.py imported it; run that first): the customer x
product matrix and the time split's evaluation built by DuckDB in place (``ml.pushdown.interactions``) against
``build_interactions`` / ``evaluate_algorithms`` on the frame read into pandas, each path in a fresh process (time,
peak RSS; the two must give the same matrix and metrics).

    .venv/bin/python bench/pushdown_recommend.py [--dataset ID] [--modes pushdown,frame] [--algorithms popularity]

``--modes page`` times the Recommendations page's job on the dataset in place (``run_recommendations`` of its
``ParquetTable``: the evaluation, then the fit on all of it) with the first algorithm fitted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORKSPACE = ROOT / "bench" / "out" / "pushdown_ws"


def child(mode: str, dataset_id: str, algorithms: list[str]) -> dict:
    from ml.pushdown.interactions import query_evaluation, query_interactions
    from ml.pushdown.stored import table_of
    from ml.recommend.evaluation import evaluate_algorithms
    from ml.recommend.interactions import build_interactions
    from ml.workspace import get_workspace

    times: dict[str, float] = {}

    def step(name, fn):
        started = time.perf_counter()
        value = fn()
        times[name] = round(time.perf_counter() - started, 2)
        print(f"{mode}: {name} {times[name]} s", file=sys.stderr, flush=True)
        return value

    ds, _ = get_workspace().load_dataset("bench", dataset_id)
    if mode == "page":  # the Recommendations page's job on the dataset in place: evaluate, then fit on all of it
        from ml.recommend.service import RecommendSettings, run_recommendations

        table = table_of(ds)
        assert table is not None, "the dataset is below the pushdown threshold"
        settings = RecommendSettings(algorithms=algorithms, algorithm=algorithms[0])
        run = step("page job (evaluate + fit)", lambda: run_recommendations(table, settings))
        matrix, result = run.fitted.interactions, run.evaluation
    elif mode == "frame":
        frame = step("read frame", lambda: ds.frame)
        matrix = step("customer x product matrix", lambda: build_interactions(frame))
        result = step("evaluation (time split, 30 days)", lambda: evaluate_algorithms(frame, algorithms, 10, 30))
    else:
        table = table_of(ds)
        assert table is not None, "the dataset is below the pushdown threshold"
        matrix = step("customer x product matrix", lambda: query_interactions(table))
        result = step("evaluation (time split, 30 days)", lambda: query_evaluation(table, algorithms, 10, 30))
    return {"mode": mode, "times": times,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "numbers": {"shape": list(matrix.matrix.shape), "nnz": int(matrix.matrix.nnz),
                        "weight_sum": round(float(matrix.matrix.sum()), 3),
                        "popularity_sum": float(matrix.popularity.sum()), "customers_scored": result.n_customers,
                        "metrics": result.metrics_json()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--modes", default="pushdown,frame")
    parser.add_argument("--algorithms", default="popularity")
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    os.environ["SALESLENS_WORKSPACE"] = str(WORKSPACE)
    dataset_id = args.dataset or next(WORKSPACE.glob("dataset_*.id")).read_text().strip()
    if args.child:
        print(json.dumps(child(args.child, dataset_id, args.algorithms.split(","))))
        return
    results = {}
    for mode in args.modes.split(","):
        env = {**os.environ, "SALESLENS_PUSHDOWN_ROWS": "1" if mode in ("pushdown", "page") else str(10**12)}
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--dataset", dataset_id, "--algorithms",
                              args.algorithms], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        if out.returncode:
            print(f"{mode}: exit {out.returncode}")
            continue
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        results[mode]["wall_s"] = round(time.perf_counter() - started, 1)
    for mode, r in results.items():
        print(f"{mode}: {r['times']}, peak RSS {r['peak_rss_mb']} MB, process {r['wall_s']} s")
        print(f"  {r['numbers']}")
    numbers = [r["numbers"] for r in results.values()]
    print("same numbers:", all(n == numbers[0] for n in numbers), f"; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
