"""Spread of the planted-truth test statistics over generator seeds and OpenBLAS kernels (issue 12).

    python bench/planted_spread.py                                   # every family, seeds 0-4, four kernels
    python bench/planted_spread.py --families pricing --seeds 0,1,2 --kernels default

Each kernel runs in a subprocess with ``OPENBLAS_CORETYPE`` set (threadpoolctl reports the kernel that really
ran: Zen runs the Haswell kernels). The data of each family is built exactly as its tests build it, with only the
seed changed. Prints min / median / max per statistic and kernel, and the whole table as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNELS = ["default", "Haswell", "SkylakeX", "Zen", "Sandybridge"]


def measure_pricing(seed: int) -> dict[str, float]:
    from scipy.stats import spearmanr

    from ml.pricing import estimate_elasticities, make_price_panel
    from tests.unit.pricing.conftest import generated_dataset
    from tests.unit.pricing.test_elasticity import coverage_rank_bias

    ds, truth = generated_dataset(seed, n_products=20, volume=0.5, n_customers=400)
    table = estimate_elasticities(make_price_panel(ds.frame, "W"), second_opinion=True)
    covered, rho, bias = coverage_rank_bias(table, truth)
    ml_rho = spearmanr(table["ml_elasticity"], table["product_id"].map(truth))[0]
    return {"elasticity_covered": covered, "elasticity_rho": rho, "elasticity_bias": bias, "second_opinion_rho": ml_rho}


def measure_recommend(seed: int) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    from data.generate import generate
    from ml.recommend import (
        ItemKNNRecommender,
        bought_together,
        build_interactions,
        co_purchase_pairs,
        evaluate_algorithms,
        segment_customers,
    )
    from tests.unit.recommend.conftest import canonical

    frame, truth = generate(seed=seed, start="2024-01-01", end="2024-06-30", n_customers=400)
    frame = canonical(frame).frame
    names = ["popularity", "recent-popularity", "item-knn", "als", "user-knn"]
    recall = evaluate_algorithms(frame, names, k=10, test_days=30).table.set_index("algorithm")["recall"]
    out = {f"recall_ratio_{n}": recall[n] / recall["popularity"] for n in names[1:]}
    it = build_interactions(frame)
    model = ItemKNNRecommender().fit(it)
    out["complements_in_knn_top5"] = sum(
        p["b"] in [it.product_ids[i] for i in model.similar_items(it.product_index(p["a"]), n=5).items]
        for p in truth["complement_pairs"]
    )
    planted = [truth["customer_segments"][c] for c in it.customer_ids]
    out["segments_ari_factors"] = adjusted_rand_score(planted, segment_customers(it, frame, 4, "factors").labels)
    out["segments_ari_rfm"] = adjusted_rand_score(planted, segment_customers(it, frame, 4, "rfm").labels)
    pairs = co_purchase_pairs(frame)
    tops = [bought_together(pairs, p["a"], n=1) for p in truth["complement_pairs"]]
    out["basket_pairs_top1"] = sum(t["product_b"].iloc[0] == p["b"] for t, p in zip(tops, truth["complement_pairs"], strict=True))
    out["basket_min_lift"] = min(t["lift"].iloc[0] for t in tops)
    return {k: float(v) for k, v in out.items()}


def measure_baselines(seed: int) -> dict[str, float]:
    from ml.forecast.baselines import forecast_baselines
    from ml.forecast.metrics import mase
    from tests.unit.forecast.conftest import make_series

    df = make_series(200, noise=2.0, seed=seed)
    train, test = df.iloc[:-14], df.iloc[-14:]
    out = forecast_baselines(train, 14, "D")
    scores = {m: mase(test.y.to_numpy(), out[m], train.y, 7) for m in ("naive", "snaive", "ma", "ets", "arima")}
    return {f"mase_ratio_{m}_to_naive": scores[m] / scores["naive"] for m in ("snaive", "ma", "ets", "arima")}


FAMILIES = {"pricing": measure_pricing, "recommend": measure_recommend, "baselines": measure_baselines}


def run_here(families: list[str], seeds: list[int]) -> list[dict]:
    import numpy  # noqa: F401  (loads OpenBLAS so that threadpoolctl sees it)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    kernel = sorted({i.get("architecture", "?") for i in threadpool_info() if i["internal_api"] == "openblas"})
    rows = []
    for family in families:
        for seed in seeds:
            rows.append({"family": family, "seed": seed, "kernel": "/".join(kernel), **FAMILIES[family](seed)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--kernels", default=",".join(KERNELS), help="OPENBLAS_CORETYPE values; 'default' unsets it")
    parser.add_argument("--here", action="store_true", help="measure in this process (no kernel switching)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    families, seeds = args.families.split(","), [int(s) for s in args.seeds.split(",")]
    sys.path.insert(0, str(ROOT))
    if args.here:
        print(json.dumps(run_here(families, seeds)))
        return
    rows = []
    for kernel in args.kernels.split(","):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        if kernel != "default":
            env["OPENBLAS_CORETYPE"] = kernel
        cmd = [sys.executable, __file__, "--here", "--families", args.families, "--seeds", args.seeds]
        out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        rows += [{**r, "coretype": kernel} for r in json.loads(out.splitlines()[-1])]
    if args.json:
        print(json.dumps(rows))
    stats = sorted({k for r in rows for k in r} - {"family", "seed", "kernel", "coretype"})
    import numpy as np

    for stat in stats:
        values = [r[stat] for r in rows if stat in r]
        per_kernel = "  ".join(
            f"{c}: {min(v):.3f}/{np.median(v):.3f}/{max(v):.3f}"
            for c in args.kernels.split(",")
            for v in [[r[stat] for r in rows if stat in r and r["coretype"] == c]]
        )
        print(f"{stat:34s} all {min(values):.3f}/{np.median(values):.3f}/{max(values):.3f}   {per_kernel}")


if __name__ == "__main__":
    main()
