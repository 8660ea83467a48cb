"""A recommendation run kept in the workspace (``ml.recommend.snapshot`` + ``ml.workspace.recommendations``): read
back, it gives the same lists, reasons, neighbours and evaluation as the fitted models, without fitting; it is found
only for its dataset and settings; a new run of the same settings replaces it; a damaged folder counts as missing."""

from __future__ import annotations

import numpy as np
import pytest

from ml.recommend import Recommender
from ml.recommend.service import (
    RecommendSettings,
    recommend_customer,
    recommend_everyone,
    run_recommendations,
    similar_products,
)
from ml.recommend.snapshot import load_snapshot, save_snapshot
from ml.workspace import Workspace, WorkspaceSettings
from ml.workspace.recommendations import KEEP_PER_DATASET

OWNER = "a" * 32
FINGERPRINT = "f" * 32


@pytest.fixture(scope="module")
def run(small_shop):
    frame, _ = small_shop
    # the lists' algorithm (popularity) is not the evaluation's best: the run holds two models
    settings = RecommendSettings(algorithms=["popularity", "item-knn", "als"], algorithm="popularity")
    return run_recommendations(frame, settings, fingerprint=FINGERPRINT, name="shop.csv")


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(WorkspaceSettings.from_env({"SALESLENS_WORKSPACE": str(tmp_path / "ws")}))
    yield workspace
    workspace.close()


def test_kept_run_answers_like_the_fitted_models_without_fitting(run, ws, monkeypatch):
    assert len(run.fitted_models()) == 2
    save_snapshot(ws, OWNER, run)
    fits = []
    monkeypatch.setattr(Recommender, "fit", lambda self, *a, **k: fits.append(self) or self)
    back = load_snapshot(ws, OWNER, FINGERPRINT)
    assert back is not None and back.kept_at
    assert back.fitted.algorithm == run.fitted.algorithm and back.best == run.best
    assert back.evaluation.table.equals(run.evaluation.table)
    assert back.settings == run.settings and back.dataset_name == "shop.csv"
    for name, fitted in run.fitted_models().items():
        kept = back.fitted_models()[name]
        it = fitted.interactions
        for customer in [*it.customer_ids[:25], "NOT-A-CUSTOMER"]:  # known customers, then a cold start
            a, b = recommend_customer(fitted, customer, 10), recommend_customer(kept, customer, 10)
            assert list(a["product_id"]) == list(b["product_id"]) and len(a) > 0
            assert np.allclose(a["score"], b["score"])
            assert list(a["reason_id"]) == list(b["reason_id"]) and list(a["reason_params"]) == list(b["reason_params"])
        for product in it.product_ids:  # every product, those without sales (content neighbours) included
            a, b = similar_products(fitted, product, 10), similar_products(kept, product, 10)
            assert list(a["product_id"]) == list(b["product_id"]) and list(a["source"]) == list(b["source"])
        assert recommend_everyone(fitted, 10, explain=True).equals(recommend_everyone(kept, 10, explain=True))
    assert fits == []
    files = {p.suffix for p in (ws.root / "recommendations").rglob("*") if p.is_file()}
    assert files == {".json", ".parquet"}  # nothing pickled


def test_found_only_for_its_dataset_and_settings(run, ws):
    save_snapshot(ws, OWNER, run)
    assert load_snapshot(ws, OWNER, FINGERPRINT, run.settings) is not None
    other = RecommendSettings(**{**run.settings.__dict__, "k": 5})
    assert load_snapshot(ws, OWNER, FINGERPRINT, other) is None
    assert load_snapshot(ws, OWNER, "e" * 32) is None  # another dataset (or the same file cleaned otherwise)
    assert load_snapshot(ws, "b" * 32, FINGERPRINT) is None  # another owner


def test_same_settings_replace_and_few_settings_are_kept(run, ws):
    base = ws.root / "recommendations" / OWNER / FINGERPRINT
    save_snapshot(ws, OWNER, run)
    save_snapshot(ws, OWNER, run)
    assert len(list(base.iterdir())) == 1
    for k in range(1, KEEP_PER_DATASET + 2):
        save_snapshot(ws, OWNER, type(run)(**{**run.__dict__, "settings": RecommendSettings(**{**run.settings.__dict__, "seed": k})}))
    assert len(list(base.iterdir())) == KEEP_PER_DATASET
    newest = load_snapshot(ws, OWNER, FINGERPRINT)
    assert newest.settings.seed == KEEP_PER_DATASET + 1
    assert load_snapshot(ws, OWNER, FINGERPRINT, run.settings) is None  # the oldest went first


def test_a_damaged_folder_counts_as_missing(run, ws):
    save_snapshot(ws, OWNER, run)
    folder = next((ws.root / "recommendations" / OWNER / FINGERPRINT).iterdir())
    next(folder.glob("lists.*.parquet")).write_bytes(b"not parquet")
    assert load_snapshot(ws, OWNER, FINGERPRINT) is None


@pytest.mark.parametrize("algorithm", ["als", "svd", "user-knn", "content"])
def test_stored_neighbours_equal_similar_items_for_every_product(small_shop, algorithm):
    from ml.recommend.service import fit_recommender
    from ml.recommend.snapshot import _similar

    model = fit_recommender(small_shop[0], algorithm).model
    stored = _similar(model, 10)
    for product in range(model.interactions_.n_products):
        ranked = model.similar_items(product, 10)
        rows = stored[stored["product"] == product].sort_values("rank")
        assert list(rows["item"]) == list(ranked.items) and set(rows["source"]) <= {ranked.source}
        assert np.allclose(rows["score"], ranked.scores)
