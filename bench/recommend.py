"""Recommendations benchmark: every algorithm against popularity on a time split, on the bundled sample and on the
real UCI Online Retail transactions, plus frequently-bought-together recovery of the planted complement pairs.

Run (from the repository root)::

    .venv/bin/python bench/recommend.py [--json PATH] [--gru-real] [--scale]

What is measured (k = 10, the last 30 days held out; a customer counts when they bought a product new to them in the
test period; recommendations exclude what the customer bought before):
1. Sample data (``data/sample_sales.csv.gz``: 1,500 customers in 4 planted segments, 40 products, 6 planted
   complement pairs): every algorithm including the GRU. Targets: item-kNN, ALS and the GRU each beat popularity on
   recall@10 by at least 10 %; for every planted pair A -> B, B is A's first "frequently bought together" product.
2. UCI Online Retail (``../shared/realdata/online_retail_uci.csv.gz``, 541,909 lines, loaded with the app's cleaning,
   returns kept and netted per customer and product): every algorithm except the GRU (the GRU with ``--gru-real``).
   Targets: each algorithm fits and evaluates in under 10 s (module imports done once before timing); the best beats
   popularity on recall@10 and NDCG@10. The interaction matrix is built once per dataset and timed separately.
3. ``--scale``: a generated matrix of 200,000 customers x 30,000 products x 5M interactions; peak memory of fitting
   item-kNN and ALS in a fresh process each. Target: under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "data" / "sample_sales.csv.gz"
TRUTH = ROOT / "data" / "sample_truth.json"
RETAIL = Path(os.environ.get("SALESLENS_REALDATA", ROOT.parent / "shared" / "realdata")) / "online_retail_uci.csv.gz"
K, TEST_DAYS = 10, 30


def warm_imports() -> None:
    """Import what the algorithms import lazily, so fit times measure fitting."""
    import implicit.cpu.als  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401


def evaluate(frame: pd.DataFrame, algorithms: list[str]) -> tuple[pd.DataFrame, dict]:
    from ml.recommend import build_interactions, evaluate_algorithms, time_split

    train, _ = time_split(frame, TEST_DAYS)
    started = time.perf_counter()
    build_interactions(train, catalogue=frame)
    build_seconds = time.perf_counter() - started
    result = evaluate_algorithms(frame, algorithms, k=K, test_days=TEST_DAYS)
    table = result.table.copy()
    table["seconds"] = table["fit_seconds"] + table["eval_seconds"]
    info = {"customers_evaluated": result.n_customers, "products": result.n_products, "best": result.best,
            "interaction_build_seconds": round(build_seconds, 3), "errors": {k: v[0] for k, v in result.errors.items()}}
    return table, info


def print_table(title: str, table: pd.DataFrame) -> None:
    print(f"\n{title}")
    base = table.set_index("algorithm").loc["popularity"]
    print(f"{'algorithm':<20}{'prec@10':>9}{'recall@10':>10}{'ndcg@10':>9}{'map@10':>8}{'hit':>7}{'cover':>7}{'fit s':>8}{'eval s':>8}{'recall/pop':>11}")
    for _, r in table.iterrows():
        print(f"{r['algorithm']:<20}{r['precision']:>9.4f}{r['recall']:>10.4f}{r['ndcg']:>9.4f}{r['map']:>8.4f}{r['hit_rate']:>7.3f}"
              f"{r['coverage']:>7.3f}{r['fit_seconds']:>8.2f}{r['eval_seconds']:>8.2f}{r['recall'] / base['recall']:>11.2f}")


def load(path: Path):
    from ml.dataset import load_dataset

    started = time.perf_counter()
    ds = load_dataset([(path.name, path.read_bytes())])
    return ds.frame, time.perf_counter() - started


def bench_sample() -> dict:
    from ml.recommend import ALGORITHMS, bought_together, co_purchase_pairs

    frame, load_s = load(SAMPLE)
    table, info = evaluate(frame, ALGORITHMS)
    print_table(f"Sample data ({len(frame):,} lines; {info['customers_evaluated']} customers evaluated; load {load_s:.1f} s)", table)
    recall = table.set_index("algorithm")["recall"]
    targets = {f"{a}_recall_vs_popularity": round(float(recall[a] / recall["popularity"]), 3) for a in ("item-knn", "als", "gru")}
    started = time.perf_counter()
    pairs = co_purchase_pairs(frame)
    pairs_s = time.perf_counter() - started
    truth = json.loads(TRUTH.read_text())
    found = []
    for planted in truth["complement_pairs"]:
        top = bought_together(pairs, planted["a"], n=3)
        rank = int(np.flatnonzero(top["product_b"].to_numpy() == planted["b"])[0]) + 1 if (top["product_b"] == planted["b"]).any() else None
        row = top[top["product_b"] == planted["b"]]
        found.append({"a": planted["a"], "b": planted["b"], "rank": rank, "lift": round(float(row["lift"].iloc[0]), 3) if len(row) else None,
                      "n_customers": int(row["n_customers"].iloc[0]) if len(row) else None, "runner_up_lift": round(float(top["lift"].iloc[1]), 3)})
    print(f"\nPlanted complement pairs in 'frequently bought together' (window 14 d, {pairs_s:.2f} s for all {len(pairs):,} pairs):")
    for f in found:
        print(f"  {f['a']} -> {f['b']}: rank {f['rank']}, lift {f['lift']} ({f['n_customers']} customers; next best lift {f['runner_up_lift']})")
    ok = all(v >= 1.10 for v in targets.values()) and all(f["rank"] == 1 for f in found)
    print("Targets (item-kNN, ALS, GRU recall@10 >= 1.10 x popularity; every planted pair ranked 1):", "MET" if ok else "NOT MET", targets)
    return {"table": table.round(5).to_dict(orient="records"), **info, "targets": targets, "complements": found, "targets_met": ok,
            "pairs_seconds": round(pairs_s, 3)}


def bench_real(with_gru: bool) -> dict:
    from ml.recommend import ALGORITHMS, co_purchase_pairs

    if not RETAIL.is_file():
        print(f"\nUCI Online Retail not found at {RETAIL}: skipped")
        return {"skipped": True}
    frame, load_s = load(RETAIL)
    algorithms = [a for a in ALGORITHMS if with_gru or a != "gru"]
    table, info = evaluate(frame, algorithms)
    print_table(f"UCI Online Retail ({len(frame):,} lines kept; {info['customers_evaluated']} customers evaluated; "
                f"{info['products']} products; load {load_s:.1f} s; interaction matrix {info['interaction_build_seconds']:.2f} s)", table)
    by = table.set_index("algorithm")
    fast = by.drop(index=[a for a in ("gru",) if a in by.index])
    best = fast["ndcg"].idxmax()
    under_10 = bool((fast["seconds"] < 10).all())
    beats = bool(by.loc[best, "recall"] > by.loc["popularity", "recall"] and by.loc[best, "ndcg"] > by.loc["popularity", "ndcg"])
    started = time.perf_counter()
    pairs = co_purchase_pairs(frame)
    pairs_s = time.perf_counter() - started
    print(f"Frequently bought together on all data: {len(pairs):,} pairs in {pairs_s:.1f} s")
    print(f"Targets (each non-GRU algorithm < 10 s: {'MET' if under_10 else 'NOT MET'}; best ({best}) beats popularity on "
          f"recall@10 and NDCG@10: {'MET' if beats else 'NOT MET'}; slowest {fast['seconds'].max():.2f} s)")
    return {"table": table.round(5).to_dict(orient="records"), **info, "best_fast": best, "all_under_10s": under_10,
            "best_beats_popularity": beats, "pairs_seconds": round(pairs_s, 2), "load_seconds": round(load_s, 2)}


def _scale_worker(algorithm: str) -> None:
    import resource

    import scipy.sparse as sp

    from ml.recommend import make_recommender
    from ml.recommend.interactions import Interactions

    rng = np.random.default_rng(0)
    n_users, n_items, nnz = 200_000, 30_000, 5_000_000
    popularity = (np.arange(n_items) + 1.0) ** -0.8  # a long tail: a few best-sellers, most products rare
    popularity /= popularity.sum()
    rows = rng.integers(0, n_users, int(nnz * 1.25))
    cols = rng.choice(n_items, len(rows), p=popularity)  # then keep 5M distinct (customer, product) pairs
    pairs = rng.permutation(np.unique(rows.astype(np.int64) * n_items + cols))[:nnz]
    matrix = sp.csr_matrix((np.ones(len(pairs), np.float32), (pairs // n_items, pairs % n_items)), shape=(n_users, n_items))
    ids = np.arange(n_items).astype(str).astype(object)
    it = Interactions(matrix, np.arange(n_users).astype(str).astype(object), ids, np.bincount(cols, minlength=n_items).astype(float),
                      np.zeros(n_items), ids, np.full(n_items, "", dtype=object), ids, pd.Timestamp("2024-01-01"))
    started = time.perf_counter()
    model = make_recommender(algorithm).fit(it)
    fitted = time.perf_counter() - started
    model.recommend_many(np.arange(2000), 10)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(json.dumps({"algorithm": algorithm, "nnz": int(matrix.nnz), "fit_seconds": round(fitted, 1), "peak_gib": round(peak, 2)}))


def bench_scale() -> dict:
    out = {}
    for algorithm in ("item-knn", "als"):
        proc = subprocess.run([sys.executable, __file__, "--scale-worker", algorithm], capture_output=True, text=True, timeout=1800)
        line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else json.dumps({"error": proc.stderr[-500:]})
        out[algorithm] = json.loads(line)
        print(f"\nScale {algorithm}: {out[algorithm]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, metavar="PATH", help="write the results here")
    parser.add_argument("--gru-real", action="store_true", help="also train the GRU on the real data")
    parser.add_argument("--scale", action="store_true", help="200k x 30k x 5M memory test (minutes)")
    parser.add_argument("--scale-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    if args.scale_worker:
        _scale_worker(args.scale_worker)
        return
    warm_imports()
    started = datetime.now(UTC)
    results = {"date": started.isoformat(timespec="seconds"), "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs (shared)",
               "command": " ".join([Path(sys.executable).name, *sys.argv]), "k": K, "test_days": TEST_DAYS}
    if not args.skip_sample:
        results["sample"] = bench_sample()
    if not args.skip_real:
        results["uci_online_retail"] = bench_real(args.gru_real)
    if args.scale:
        results["scale"] = bench_scale()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
