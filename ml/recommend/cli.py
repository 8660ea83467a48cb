"""``python -m ml recommend FILE``: evaluate every algorithm on a time split, or recommend for a customer or product.

    python -m ml recommend sales.csv --evaluate --k 10 --test-days 30 [--json]
    python -m ml recommend sales.csv --algo als --customer C00042 [--json]
    python -m ml recommend sales.csv --product P001
    python -m ml recommend --dataset ID --owner ME --customer C00042   (a saved dataset; a large one in place)
"""

from __future__ import annotations

import argparse
import json

from ml.i18n import format_number, t
from ml.recommend.interactions import WEIGHTINGS
from ml.recommend.registry import ALGORITHMS, BASELINE

HELP_ID = "recommend.cli.help"
SHOWN_CUSTOMERS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ml.cli import add_backend_argument, add_data_arguments, add_engine_arguments
    from ml.pushdown.cli import add_saved_dataset_arguments

    add_data_arguments(parser)
    add_saved_dataset_arguments(parser)  # --dataset ID: a large one is fitted on its matrix built in place
    add_backend_argument(parser)  # the GRU next-purchase model is a Keras network
    add_engine_arguments(parser)  # --evaluate fits the algorithms on it
    parser.add_argument("--algo", choices=ALGORITHMS, default=None, help=t("recommend.arg.algo"))
    parser.add_argument("--k", type=int, default=10, help=t("recommend.arg.k"))
    parser.add_argument("--test-days", type=int, default=30, help=t("recommend.arg.test_days"))
    parser.add_argument("--evaluate", action="store_true", help=t("recommend.arg.evaluate"))
    parser.add_argument("--customer", default=None, metavar="ID", help=t("recommend.arg.customer"))
    parser.add_argument("--product", default=None, metavar="ID", help=t("recommend.arg.product"))
    parser.add_argument("--weighting", choices=WEIGHTINGS, default="binary", help=t("recommend.arg.weighting"))
    parser.add_argument("--half-life", type=float, default=None, metavar="DAYS", help=t("recommend.arg.half_life"))
    parser.add_argument("--repeat", action="store_true", help=t("recommend.arg.repeat"))
    parser.add_argument("--seed", type=int, default=0, help=t("recommend.arg.seed"))


def _name(algorithm: str) -> str:
    return t(f"recommend.algo.{algorithm}")


def run(args: argparse.Namespace) -> int:
    from ml.cli import load_from_args
    from ml.keras_runtime import select_backend
    from ml.pushdown.stored import source_of

    # only the GRU trains a network; the answer names its backend ("backend" in --json)
    args.network_backend = select_backend(args.backend) if args.algo == "gru" else None
    ds = load_from_args(args)
    data = source_of(ds)  # a large saved dataset's Parquet (ml.recommend.service.in_place), else its frame
    if args.evaluate:
        return _evaluate(data, args)
    if args.product is not None:
        return _product(data, args)
    return _recommend(data, args)


def _evaluate(frame, args: argparse.Namespace) -> int:
    from ml.cli import engine_from_args
    from ml.recommend.evaluation import METRICS, evaluate_algorithms
    from ml.recommend.service import in_place

    engine = engine_from_args(args)
    if in_place(frame):  # both sides of the time split aggregated in place, as on the page
        from ml.pushdown.interactions import query_evaluation as evaluate_algorithms
    algorithms = [a for a in ALGORITHMS if a != "gru"] if args.algo is None else list(dict.fromkeys([BASELINE, args.algo]))
    result = evaluate_algorithms(frame, algorithms, k=args.k, test_days=args.test_days, weighting=args.weighting,
                                 half_life_days=args.half_life, seed=args.seed, repeat=args.repeat, engine=engine)
    table = result.table
    if args.json:
        payload = {
            "k": result.k, "test_days": result.test_days, "customers": result.n_customers, "products": result.n_products,
            "best": result.best, "metrics": result.metrics_json(),
            "fit_seconds": {a: round(float(s), 4) for a, s in zip(table["algorithm"], table["fit_seconds"], strict=True)},
            "errors": {a: message.render() for a, message in result.errors.items()},
            "new_launches": result.new_launches.to_json() if result.new_launches is not None else None,
            **_backend_field(args), "engine": engine.name,
        }
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    print(t("recommend.cli.evaluate_header", k=result.k, days=result.test_days, customers=format_number(result.n_customers), products=format_number(result.n_products)))
    headers = [t(f"recommend.metric.{m}") for m in METRICS] + [t("recommend.cli.seconds")]
    print(f"{'':<26}" + "".join(f"{h:>14}" for h in headers))
    for _, row in table.iterrows():
        mark = "*" if row["algorithm"] == result.best else " "
        cells = [format_number(row[m], 4) for m in METRICS] + [format_number(row["fit_seconds"] + row["eval_seconds"], 2)]
        print(f"{mark}{_name(row['algorithm']):<25}" + "".join(f"{c:>14}" for c in cells))
    for algorithm, message in result.errors.items():
        print(f"{_name(algorithm)}: {message.render()}")
    if result.new_launches is not None:
        print()
        print(result.new_launches.note().render())
    if result.best is not None and BASELINE in set(table["algorithm"]):
        by = table.set_index("algorithm")
        print()
        print(t("recommend.cli.best", algorithm=_name(result.best), k=result.k, ndcg=format_number(by.loc[result.best, "ndcg"], 4),
                baseline=format_number(by.loc[BASELINE, "ndcg"], 4)))
    return 0


def _reason(message_id: str | None, params: dict | None) -> str:
    return t(message_id, **(params or {})) if message_id else ""


def _backend_field(args: argparse.Namespace) -> dict[str, str]:
    backend = getattr(args, "network_backend", None)
    return {"backend": backend} if backend else {}


def _recommend(frame, args: argparse.Namespace) -> int:
    from ml.recommend.service import fit_recommender, recommend_customer, recommend_everyone

    algorithm = args.algo or "item-knn"
    fitted = fit_recommender(frame, algorithm, args.weighting, args.half_life, args.seed)
    exclude = not args.repeat
    if args.customer is not None:
        recs = recommend_customer(fitted, args.customer, args.k, exclude)
        source = str(recs["source"].iloc[0]) if len(recs) else "model"
        if args.json:
            rows = [{"rank": int(r["rank"]), "product_id": r["product_id"], "product_name": r["product_name"], "score": round(float(r["score"]), 6),
                     "reason": _reason(r["reason_id"], r["reason_params"]), "reason_id": r["reason_id"], "reason_params": r["reason_params"]}
                    for _, r in recs.iterrows()]
            print(json.dumps({"algorithm": algorithm, "k": args.k, "customer": args.customer, "source": source, "recommendations": rows, **_backend_field(args)}, ensure_ascii=False))
            return 0
        if source == "cold_start":
            print(t("recommend.cli.cold_start", customer=args.customer))
        print(t("recommend.cli.customer_header", k=args.k, customer=args.customer, algorithm=_name(algorithm)))
        for _, r in recs.iterrows():
            print(f"  {r['rank']:>3}. {r['product_id']:<12} {r['product_name'][:40]:<40} {format_number(r['score'], 3):>10}  {_reason(r['reason_id'], r['reason_params'])}")
        return 0
    everyone = recommend_everyone(fitted, args.k, exclude)
    if args.json:
        lists = everyone.groupby("customer_id", sort=True)["product_id"].apply(list).to_dict()
        print(json.dumps({"algorithm": algorithm, "k": args.k, "recommendations": lists, **_backend_field(args)}, ensure_ascii=False))
        return 0
    customers = everyone["customer_id"].drop_duplicates()
    print(t("recommend.cli.everyone_header", k=args.k, customers=format_number(len(customers)), algorithm=_name(algorithm), shown=min(SHOWN_CUSTOMERS, len(customers))))
    for customer in customers.head(SHOWN_CUSTOMERS):
        print(f"  {customer:<12} " + ", ".join(everyone.loc[everyone["customer_id"] == customer, "product_id"]))
    return 0


def _product(frame, args: argparse.Namespace) -> int:
    from ml.pushdown.explore import query_distinct
    from ml.recommend.basket import co_purchase_pairs
    from ml.recommend.service import bought_with, fit_recommender, in_place, product_pairs, similar_products
    from ml.schema import Col, DataError

    product = str(args.product)
    fitted = None
    if in_place(frame):  # a large saved dataset: customers are a column of it (the page's test)
        has_customers = Col.CUSTOMER_ID in frame
    else:
        has_customers = Col.CUSTOMER_ID in frame.columns and frame[Col.CUSTOMER_ID].notna().any()
    if has_customers:
        fitted = fit_recommender(frame, args.algo or "item-knn", args.weighting, args.half_life, args.seed)
        similar = similar_products(fitted, product, args.k)
        pairs = product_pairs(frame, product, fitted)  # in place: this product's pairs alone
    elif in_place(frame):  # no customers: every order is a buyer
        similar = None
        pairs = product_pairs(frame, product)
        if product not in query_distinct(frame, Col.PRODUCT_ID):
            raise DataError("recommend.error.unknown_product", product=product)
    else:  # no customers: products bought in the same orders still say something
        similar = None
        pairs = co_purchase_pairs(frame)
        if product not in set(frame[Col.PRODUCT_ID].astype(str)):
            raise DataError("recommend.error.unknown_product", product=product)
    together = bought_with(pairs, fitted.interactions if fitted else None, product, args.k)
    if args.json:
        payload = {"product": product,
                   "similar": None if similar is None else [{"product_id": r["product_id"], "product_name": r["product_name"], "score": round(float(r["score"]), 6), "source": r["source"]} for _, r in similar.iterrows()],
                   "bought_together": [{"product_id": r["product_b"], "n_customers": int(r["n_customers"]), "confidence": round(float(r["confidence"]), 6), "lift": round(float(r["lift"]), 6)} for _, r in together.iterrows()]}
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    if similar is not None:
        print(t("recommend.cli.similar_header", product=product))
        for _, r in similar.iterrows():
            print(f"  {r['product_id']:<12} {r['product_name'][:40]:<40} {format_number(r['score'], 3):>8}")
    print(t("recommend.cli.together_header", product=product))
    if together.empty:
        print("  " + t("recommend.cli.nothing_together"))
    for _, r in together.iterrows():
        print("  " + t("recommend.cli.together_row", product=r["product_b"], customers=format_number(r["n_customers"]),
                       confidence=format_number(r["confidence"] * 100, 1), lift=format_number(r["lift"], 2)))
    return 0
