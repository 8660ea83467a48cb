"""python -m ml recommend through ml.cli.main: JSON shapes, text in both languages, one-line errors."""

from __future__ import annotations

import json

import pytest

from data.generate import generate
from ml.cli import main


@pytest.fixture(scope="module")
def sales_csv(tmp_path_factory):
    frame, _ = generate(seed=3, start="2024-01-01", end="2024-03-31", n_customers=150, volume=0.5)
    path = tmp_path_factory.mktemp("recommend") / "sales.csv"
    frame.to_csv(path, index=False)
    return path, frame


def run_json(capsys, *args):
    code = main(["recommend", *map(str, args), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_evaluate_json_maps_every_algorithm_to_its_metrics(sales_csv, capsys):
    path, _ = sales_csv
    out = run_json(capsys, path, "--evaluate", "--k", 5, "--test-days", 21)
    assert {"popularity", "item-knn", "user-knn", "als", "nmf", "content"} <= set(out["metrics"])
    assert "gru" not in out["metrics"]
    for metrics in out["metrics"].values():
        assert set(metrics) == {"precision", "recall", "ndcg", "map", "hit_rate", "coverage"}
        assert 0 <= metrics["recall"] <= 1
    assert out["k"] == 5 and out["best"] in out["metrics"]
    only = run_json(capsys, path, "--evaluate", "--algo", "als", "--k", 5, "--test-days", 21)
    assert set(only["metrics"]) == {"popularity", "als"}


def test_customer_recommendations_exclude_what_they_bought(sales_csv, capsys):
    path, frame = sales_csv
    customer = frame["Customer ID"].dropna().value_counts().index[0]
    out = run_json(capsys, path, "--customer", customer, "--k", 5, "--algo", "als")
    bought = set(frame.loc[frame["Customer ID"] == customer, "Product ID"])
    assert out["source"] == "model" and len(out["recommendations"]) == 5
    assert not {r["product_id"] for r in out["recommendations"]} & bought
    assert all(r["reason"] and r["reason_id"].startswith("recommend.explain.") for r in out["recommendations"])
    cold = run_json(capsys, path, "--customer", "NOBODY", "--k", 3)
    assert cold["source"] == "cold_start" and len(cold["recommendations"]) == 3


def test_product_and_everyone(sales_csv, capsys):
    path, _ = sales_csv
    out = run_json(capsys, path, "--product", "P001", "--k", 4)
    assert len(out["similar"]) == 4 and "P001" not in {r["product_id"] for r in out["similar"]}
    assert all(r["lift"] > 0 for r in out["bought_together"])
    everyone = run_json(capsys, path, "--k", 3)
    assert len(everyone["recommendations"]) > 100 and all(len(v) == 3 for v in everyone["recommendations"].values())


def test_text_output_in_chinese(sales_csv, capsys):
    path, _ = sales_csv
    assert main(["recommend", str(path), "--evaluate", "--algo", "item-knn", "--k", "5", "--test-days", "21", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "评估" in out and "召回率@k" in out and "基于商品的 kNN" in out


def test_bad_input_is_one_line_exit_2(sales_csv, capsys, tmp_path):
    path, frame = sales_csv
    assert main(["recommend", str(path), "--evaluate", "--k", "500"]) == 2
    err = capsys.readouterr().err
    assert "catalogue has only" in err and "Traceback" not in err
    assert main(["recommend", str(path), "--evaluate", "--test-days", "1000"]) == 2
    assert "test period" in capsys.readouterr().err
    no_customers = tmp_path / "orders.csv"
    frame.drop(columns=["Customer ID"]).to_csv(no_customers, index=False)
    assert main(["recommend", str(no_customers), "--customer", "C00001"]) == 2
    assert "customer column" in capsys.readouterr().err
    out = run_json(capsys, no_customers, "--product", "P001")  # still pairs from order ids
    assert out["similar"] is None and isinstance(out["bought_together"], list)
