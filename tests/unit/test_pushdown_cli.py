"""``python -m ml profile|forecast|recommend|price --dataset ID``: a saved dataset above the pushdown threshold is
profiled, its series built, its recommenders fitted and its products priced from its Parquet, never its frame, with
the answers of the same lines in pandas; bad input is one line and exit 2."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from ml.cli import EXIT_BAD_INPUT, EXIT_OK, main
from ml.dataset import Dataset, ValidationReport
from ml.outofcore.stored import StoredDataset
from ml.pushdown import ENV_ROWS
from ml.schema import Col, ColumnMapping
from ml.workspace import get_workspace, reset_workspaces
from tests.unit.test_pushdown import PLANTED_UNITS, make_lines


@pytest.fixture
def saved(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.delenv("SALESLENS_DATABASE_URL", raising=False)
    reset_workspaces()
    frame = make_lines(7)
    ds = Dataset("planted.csv", frame, ColumnMapping({"date": "Date"}),
                 ValidationReport(rows_read=len(frame), rows_kept=len(frame)), list(frame.columns),
                 hashlib.blake2b(b"cli", digest_size=16).hexdigest())
    entry = get_workspace().save_dataset("tester", ds)
    monkeypatch.setenv(ENV_ROWS, "10")

    def refuse(self):
        raise AssertionError("the full frame of a large dataset was read")

    monkeypatch.setattr(StoredDataset, "frame", property(refuse))
    yield entry.id
    reset_workspaces()


def test_profile_of_a_saved_dataset_gives_its_totals_without_its_frame(saved, capsys):
    assert main(["profile", "--dataset", saved, "--owner", "tester", "--json"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["total_quantity"] == pytest.approx(sum(PLANTED_UNITS.values()))
    assert out["rows_kept"] == len(make_lines(7))
    assert out["date_min"] == "2024-01-03"


def test_forecast_of_a_saved_dataset_builds_its_series_in_place(saved, capsys, monkeypatch):
    import ml.forecast.shards as shards

    seen = {}

    def capture(series, *args, **kwargs):
        seen["series"] = series
        raise KeyboardInterrupt  # the series is what this test is about; training is tested elsewhere

    monkeypatch.setattr(shards, "forecast_many", capture)
    code = main(["forecast", "--dataset", saved, "--owner", "tester", "--level", "products", "--json"])
    assert code == 130 and "series" in seen
    totals = seen["series"].groupby("unique_id")["y"].sum().to_dict()
    assert set(totals) == set(PLANTED_UNITS)
    # complete days only lose nothing at daily frequency: every planted unit is in the series
    assert totals == pytest.approx(PLANTED_UNITS)


def test_a_saved_dataset_with_files_or_without_owner_is_one_line(saved, capsys, monkeypatch):
    monkeypatch.delenv("SALESLENS_OWNER", raising=False)
    assert main(["profile", "--dataset", saved]) == EXIT_BAD_INPUT
    assert "--owner" in capsys.readouterr().err
    assert main(["profile", "x.csv", "--dataset", saved, "--owner", "tester"]) == EXIT_BAD_INPUT
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["profile", "--dataset", "0" * 32, "--owner", "tester"]) == EXIT_BAD_INPUT


def test_recommend_of_a_saved_dataset_fits_in_place_the_lists_of_the_same_lines_in_pandas(saved, capsys):
    from ml.recommend.service import fit_recommender, recommend_customer

    frame = make_lines(7)
    customer = frame[Col.CUSTOMER_ID].dropna().astype(str).value_counts().index[0]
    args = ["recommend", "--dataset", saved, "--owner", "tester", "--algo", "item-knn", "--customer", customer]
    assert main([*args, "--json"]) == EXIT_OK
    got = json.loads(capsys.readouterr().out)
    expected = recommend_customer(fit_recommender(frame, "item-knn"), customer, 10)
    assert [r["product_id"] for r in got["recommendations"]] == list(expected["product_id"])
    assert got["source"] == "model" and len(got["recommendations"]) > 0
    net = frame[frame[Col.CUSTOMER_ID] == customer].groupby(Col.PRODUCT_ID, observed=True)[Col.QUANTITY].sum()
    assert not {r["product_id"] for r in got["recommendations"]} & set(net.index[net > 0].astype(str))


def test_recommend_evaluate_of_a_saved_dataset_gives_the_pandas_paths_metrics(saved, capsys):
    from ml.recommend.evaluation import evaluate_algorithms

    assert main(["recommend", "--dataset", saved, "--owner", "tester", "--evaluate", "--algo", "item-knn",
                 "--json"]) == EXIT_OK
    got = json.loads(capsys.readouterr().out)
    expected = evaluate_algorithms(make_lines(7), ["popularity", "item-knn"], k=10, test_days=30)
    assert got["metrics"] == expected.metrics_json() and got["best"] == expected.best
    assert got["customers"] == expected.n_customers > 0


def test_recommend_and_price_of_a_saved_dataset_say_bad_input_in_one_line(saved, capsys):
    assert main(["recommend", "x.csv", "--dataset", saved, "--owner", "tester"]) == EXIT_BAD_INPUT
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["recommend", "--dataset", "0" * 32, "--owner", "tester"]) == EXIT_BAD_INPUT
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["price", "--dataset", "0" * 32, "--owner", "tester"]) == EXIT_BAD_INPUT
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["profile", "forecast", "recommend", "price"])
@pytest.mark.parametrize("dataset_id", ["0" * 32, "nosuch"])
def test_an_unknown_or_malformed_dataset_id_is_called_a_dataset_not_a_run(saved, capsys, command, dataset_id):
    assert main([command, "--dataset", dataset_id, "--owner", "tester"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "dataset" in err.lower() and "run " not in err.lower(), err


def priced_lines() -> pd.DataFrame:
    """The planted lines with a third of them 20% cheaper (prices move, so elasticities can be fitted)."""
    frame = make_lines(7)
    cut = np.random.default_rng(7).random(len(frame)) < 0.3
    frame.loc[cut, Col.UNIT_PRICE] = frame.loc[cut, Col.UNIT_PRICE] * 0.8
    frame[Col.REVENUE] = frame[Col.QUANTITY] * frame[Col.UNIT_PRICE]
    return frame


def test_price_of_a_saved_dataset_gives_the_pandas_paths_products(tmp_path, monkeypatch, capsys):
    from ml.pricing import ElasticityConfig, OptimiserConfig, price_products
    from ml.pricing.cli import product_records

    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.delenv("SALESLENS_DATABASE_URL", raising=False)
    reset_workspaces()
    frame = priced_lines()
    ds = Dataset("priced.csv", frame, ColumnMapping(), ValidationReport(rows_read=len(frame), rows_kept=len(frame)),
                 list(frame.columns), hashlib.blake2b(b"priced-cli", digest_size=16).hexdigest())
    entry = get_workspace().save_dataset("tester", ds)
    monkeypatch.setenv(ENV_ROWS, "10")
    monkeypatch.setattr(StoredDataset, "frame", property(lambda self: pytest.fail("the full frame was read")))
    try:
        assert main(["price", "--dataset", entry.id, "--owner", "tester", "--objective", "revenue",
                     "--json"]) == EXIT_OK
    finally:
        reset_workspaces()
    got = json.loads(capsys.readouterr().out)["products"]
    expected = product_records(price_products(frame, ElasticityConfig(freq="W"), OptimiserConfig(objective="revenue")))
    assert got == json.loads(json.dumps(expected, default=str))
    assert sum(r["elasticity"] is not None for r in got) > 0  # estimated, not a table of "not estimable"


def test_recommend_product_of_a_saved_dataset_counts_its_pairs_in_place(saved, capsys):
    from ml.recommend.basket import co_purchase_pairs
    from ml.recommend.service import bought_with, fit_recommender, similar_products

    frame = make_lines(7)
    product = str(co_purchase_pairs(frame)["product_a"].iloc[0])  # the pair bought by the most customers
    assert main(["recommend", "--dataset", saved, "--owner", "tester", "--product", product, "--json"]) == EXIT_OK
    got = json.loads(capsys.readouterr().out)
    fitted = fit_recommender(frame, "item-knn")
    assert [r["product_id"] for r in got["similar"]] == list(similar_products(fitted, product, 10)["product_id"])
    together = bought_with(co_purchase_pairs(frame), fitted.interactions, product, 10)
    assert [r["product_id"] for r in got["bought_together"]] == list(together["product_b"])
    assert [r["n_customers"] for r in got["bought_together"]] == list(together["n_customers"])
    assert len(got["bought_together"]) > 0 and len(got["similar"]) > 0
