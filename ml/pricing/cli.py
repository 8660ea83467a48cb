"""``python -m ml price FILE ...``: elasticity, suggested price and expected change for every product.

``--json`` prints one object: ``products`` (one entry per product, NaN as null; expected changes are relative,
0.05 = +5%, with ``_low``/``_high`` from the elasticity's 95% interval), ``summary`` (totals per 30 days) and
``settings``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from ml.cli import EXIT_OK, add_data_arguments, load_from_args
from ml.i18n import format_number, format_percent_value, t
from ml.pricing.config import COV_TYPES, FREQS, OBJECTIVES, ElasticityConfig, OptimiserConfig
from ml.pricing.panel import check_pricing_columns
from ml.pricing.portfolio import PricingResult, price_products
from ml.schema import Col, DataError

HELP_ID = "pricing.cli.help"
PRODUCT_KEYS = (
    "product_id", "name", "elasticity", "ci_low", "ci_high", "n_obs", "n_prices", "r2", "confidence",
    "current_price", "suggested_price", "unit_cost", "cost_source", "bound", "status", "reason",
)


def _endings(text: str) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        return tuple(sorted({round(float("0" + part.strip()) % 1, 2) for part in text.split(",") if part.strip()}))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(text) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ml.pushdown.cli import add_saved_dataset_arguments

    add_data_arguments(parser)
    add_saved_dataset_arguments(parser)  # --dataset ID: a saved one, a large one priced on its panel in place
    parser.add_argument("--objective", choices=list(OBJECTIVES), default="profit", help=t("pricing.arg.objective"))
    parser.add_argument("--max-change", type=float, default=0.15, help=t("pricing.arg.max_change"))
    parser.add_argument("--margin", type=float, default=None, help=t("pricing.arg.margin"))
    parser.add_argument("--min-margin", type=float, default=None, help=t("pricing.arg.min_margin"))
    parser.add_argument("--floor", type=float, default=None, help=t("pricing.arg.floor"))
    parser.add_argument("--ceiling", type=float, default=None, help=t("pricing.arg.ceiling"))
    parser.add_argument("--endings", type=_endings, default=(), help=t("pricing.arg.endings"))
    parser.add_argument("--freq", choices=list(FREQS), default="W", help=t("pricing.arg.freq"))
    parser.add_argument("--cov-type", choices=list(COV_TYPES), default="HC3", help=t("pricing.arg.cov_type"))
    parser.add_argument("--second-opinion", action="store_true", help=t("pricing.arg.second_opinion"))
    parser.add_argument("--include-low-confidence", action="store_true",
                        help=t("pricing.arg.include_low_confidence"))


def _clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def product_records(result: PricingResult) -> list[dict]:
    records = []
    for row in result.table.to_dict("records"):
        rec = {key: row.get(key) for key in PRODUCT_KEYS}
        rec["status"] = row["suggestion_status"]
        rec["reason"] = row["reason"] if row["status"] != "ok" else row["suggestion_reason"]
        for name in ("units", "revenue", "profit"):
            for suffix in ("", "_low", "_high"):
                rec[f"expected_{name}_change{suffix}"] = row[f"{name}_change{suffix}"]
        if "ml_elasticity" in row:
            rec["ml_elasticity"] = row["ml_elasticity"]
        records.append({k: _clean(v) for k, v in rec.items()})
    return records


def payload(result: PricingResult) -> dict:
    ocfg = result.optimiser_config
    return {
        "products": product_records(result),
        "summary": {k: _clean(v) if not isinstance(v, dict) else v for k, v in result.summary.to_dict().items()},
        "settings": {
            "objective": ocfg.objective, "max_change": ocfg.max_change, "margin": ocfg.margin,
            "min_margin": ocfg.min_margin, "floor": ocfg.floor, "ceiling": ocfg.ceiling, "endings": list(ocfg.endings),
            "freq": result.elasticity_config.freq, "cov_type": result.elasticity_config.cov_type,
            "confidence": result.elasticity_config.confidence,
            "include_low_confidence": ocfg.include_low_confidence,
        },
        "seconds": round(result.seconds, 3),
    }


def run(args: argparse.Namespace) -> int:
    ocfg = OptimiserConfig(objective=args.objective, max_change=args.max_change, floor=args.floor,
                           ceiling=args.ceiling, min_margin=args.min_margin, margin=args.margin,
                           endings=args.endings, include_low_confidence=args.include_low_confidence).validate()
    ecfg = ElasticityConfig(freq=args.freq, cov_type=args.cov_type).validate()
    from ml.pushdown.stored import source_of

    ds = load_from_args(args)
    data = source_of(ds)  # a large saved dataset: its weekly panel aggregated in place (ml.pushdown.prices)
    check_pricing_columns(data)
    if ocfg.objective == "profit" and ocfg.margin is None and not ds.has(Col.UNIT_COST):
        raise DataError("pricing.error.needs_margin")
    result = price_products(data, ecfg, ocfg)
    if args.second_opinion:
        from ml.pricing.elasticity import estimate_elasticities

        ml = estimate_elasticities(result.panel, ecfg, second_opinion=True).set_index("product_id")["ml_elasticity"]
        result.table["ml_elasticity"] = result.table["product_id"].map(ml)
    if args.json:
        print(json.dumps(payload(result), ensure_ascii=False, default=str))
        return EXIT_OK
    print_table(result)
    return EXIT_OK


def print_table(result: PricingResult) -> None:
    summary = result.summary
    print(t("pricing.cli.header", products=summary.n_products, estimable=summary.n_estimable,
            objective=t(f"pricing.objective.{result.optimiser_config.objective}"),
            max_change=format_percent_value(result.optimiser_config.max_change, 0),
            freq=t(f"pricing.freq.{result.elasticity_config.freq}"), seconds=format_number(result.seconds, 1)))
    print()
    print("  ".join([f"{t('pricing.column.product'):<12}", f"{t('pricing.column.elasticity'):>12}",
                     f"{t('pricing.column.ci'):>18}", f"{t('pricing.column.current_price'):>15}",
                     f"{t('pricing.column.suggested_price'):>15}", f"{t('pricing.column.profit_change'):>15}",
                     t("pricing.column.note")]))
    for rec in product_records(result):
        if rec["elasticity"] is None:
            note = t(f"pricing.reason.{rec['reason']}") if rec["reason"] else t(f"pricing.status.{rec['status']}")
            print("  ".join([f"{rec['product_id']:<12}", f"{'–':>12}", f"{'':>18}",
                             f"{format_number(rec['current_price'], 2):>15}", f"{'':>15}", f"{'':>15}", note]))
            continue
        ci = f"[{format_number(rec['ci_low'], 2)}, {format_number(rec['ci_high'], 2)}]"
        if rec["status"] == "ok":
            suggested = format_number(rec["suggested_price"], 2)
            change = format_percent_value(rec["expected_profit_change"], 1) if rec["expected_profit_change"] is not None else "–"
            note = t(f"pricing.bound.{rec['bound']}") if rec["bound"] else ""
        else:
            suggested, change = "–", "–"
            note = t(f"pricing.reason.{rec['reason']}") if rec["reason"] else t(f"pricing.status.{rec['status']}")
        print("  ".join([f"{rec['product_id']:<12}", f"{format_number(rec['elasticity'], 2):>12}", f"{ci:>18}",
                         f"{format_number(rec['current_price'], 2):>15}", f"{suggested:>15}", f"{change:>15}", note]))
    print()
    print(t("pricing.cli.summary", revenue=format_number(summary.revenue_change, 0),
            profit=format_number(summary.profit_change, 0), raised=summary.n_raise, cut=summary.n_cut,
            bound=summary.n_bound))
    if summary.n_low_confidence:
        message_id = "pricing.summary.low_included" if summary.include_low_confidence else "pricing.cli.low_left_out"
        print(t(message_id, count=summary.n_low_confidence))
    sys.stdout.flush()
