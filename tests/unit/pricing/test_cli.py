"""python -m ml price through ml.cli.main: the JSON shape, the text table in both languages, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.cli import main
from tests.unit.pricing.conftest import constant_elasticity_lines

KEYS = {"product_id", "elasticity", "ci_low", "ci_high", "n_obs", "current_price", "suggested_price",
        "expected_revenue_change", "expected_profit_change", "status"}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> str:
    """Three products with planted elasticities, one with a constant price, as a CSV export."""
    lines = [constant_elasticity_lines(e, days=400, product=p, seed=i, cost=c)
             for i, (p, e, c) in enumerate([("A", -2.5, 5.0), ("B", -0.5, 4.0), ("C", -1.8, 6.0)])]
    lines.append(constant_elasticity_lines(-2.0, days=400, product="FLAT", prices=(9.99,)))
    frame = pd.concat(lines, ignore_index=True)
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    path = tmp_path_factory.mktemp("price") / "export.csv"
    frame.drop(columns=["revenue"]).to_csv(path, index=False)
    return str(path)


def test_json_lists_every_product_with_the_issue_keys(export, capsys):
    assert main(["price", export, "--json", "--max-change", "0.2"]) == 0
    out = json.loads(capsys.readouterr().out)
    products = {p["product_id"]: p for p in out["products"]}
    assert set(products) == {"A", "B", "C", "FLAT"}
    for record in products.values():
        assert KEYS <= set(record)
    for pid, planted in (("A", -2.5), ("B", -0.5), ("C", -1.8)):
        assert products[pid]["status"] == "ok"
        assert products[pid]["elasticity"] == pytest.approx(planted, abs=0.25)
        assert abs(products[pid]["suggested_price"] / products[pid]["current_price"] - 1) <= 0.2 + 1e-9
    assert products["B"]["bound"] == "max_increase"  # inelastic: stops at +20%
    flat = products["FLAT"]
    assert flat["status"] == "not_estimable" and flat["reason"] == "too_few_prices" and flat["elasticity"] is None
    assert out["settings"]["max_change"] == 0.2 and out["summary"]["n_estimable"] == 3


def test_revenue_objective_with_endings(export, capsys):
    assert main(["price", export, "--json", "--objective", "revenue", "--endings", ".99,.49"]) == 0
    out = json.loads(capsys.readouterr().out)
    for p in out["products"]:
        if p["status"] == "ok" and not np.isclose(p["suggested_price"], p["current_price"]):
            assert round(p["suggested_price"] % 1, 2) in (0.99, 0.49)


@pytest.mark.parametrize(("lang", "words"), [("en", "Not estimable"), ("zh", "不同的价格太少")])
def test_text_table_in_both_languages(export, capsys, lang, words):
    assert main(["price", export, "--lang", lang]) == 0
    text = capsys.readouterr().out
    assert words in text or (lang == "en" and "Too few distinct prices" in text)
    assert "pricing." not in text  # no raw message ids


def test_profit_without_cost_or_margin_asks_for_a_margin(export, tmp_path, capsys):
    frame = pd.read_csv(export).drop(columns=["unit_cost"])
    path = tmp_path / "nocost.csv"
    frame.to_csv(path, index=False)
    assert main(["price", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "--margin" in err and "Traceback" not in err
    assert main(["price", str(path), "--json", "--margin", "0.3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {p["cost_source"] for p in out["products"] if p["status"] == "ok"} == {"margin"}


def test_no_price_column_and_bad_settings_exit_2(tmp_path, capsys):
    path = tmp_path / "noprice.csv"
    pd.DataFrame({"date": ["2025-01-01", "2025-01-02"], "product_id": ["A", "A"], "quantity": [1, 2]}).to_csv(path, index=False)
    assert main(["price", str(path)]) == 2
    assert "no unit price" in capsys.readouterr().err.lower()
    assert main(["price", str(path), "--max-change", "3"]) == 2
    assert "maximum price change" in capsys.readouterr().err
