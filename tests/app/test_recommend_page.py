"""AppTest of the Recommendations page: fit and evaluate in the background, then customer, product, segments and
evaluation views, in English and Chinese; data without customers; a bad setting keeps the last result."""

from __future__ import annotations

import io
import re
import time

import pandas as pd
import pytest

from components import state
from data.generate import generate
from ml.dataset import load_dataset
from ml.i18n import load_catalogue, t
from ml.jobs import REGISTRY
from tests.app.conftest import new_app, open_page, plotly_figures, texts

PAGE = "pages/recommend_page.py"
KEYS = set(load_catalogue("en"))


def _load(frame, name="shop.csv"):
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return load_dataset([(name, buf.getvalue().encode())])


@pytest.fixture(scope="module")
def shop():
    frame, _ = generate(seed=3, start="2024-01-01", end="2024-03-31", n_customers=150, volume=0.5)
    return frame


@pytest.fixture(scope="module")
def dataset(shop):
    return _load(shop)


def wait(at, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job_id = at.session_state[state.RECOMMEND_JOB] if state.RECOMMEND_JOB in at.session_state else None
        job = REGISTRY.get(job_id)
        if job is None or job.snapshot().finished:
            return at.run()
        time.sleep(0.2)
    raise AssertionError("the recommend job did not finish")


def fit(at, algorithms=("popularity", "item-knn", "als")):
    at.multiselect(key=state.RECOMMEND_ALGORITHMS).set_value(list(algorithms))
    at.button(key=state.RECOMMEND_RUN_BUTTON).click()
    return wait(at.run())


def no_raw_ids(at):
    shown = texts(at) + " ".join(" ".join(map(str, df.value.columns)) for df in at.dataframe)
    raw = sorted(k for k in KEYS if k.startswith("recommend.") and re.search(rf"(?<![\w.]){re.escape(k)}(?![\w.])", shown))
    assert not raw, raw
    assert not re.search(r"\{[a-z_]+\}", shown)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_fit_then_customer_product_segments_evaluation(dataset, shop, language):
    at = open_page(new_app(dataset, language), PAGE)
    assert not at.exception
    at = fit(at)
    assert not at.exception, at.exception
    assert state.RECOMMEND_RESULT in at.session_state
    no_raw_ids(at)

    # customer view: history, top-k with reasons, score chart
    customer = shop["Customer ID"].dropna().value_counts().index[0]
    at.text_input(key=state.RECOMMEND_CUSTOMER_SEARCH).set_value(customer).run()
    assert at.selectbox(key=state.RECOMMEND_CUSTOMER).value == customer
    tables = [df.value for df in at.dataframe]
    recs = next(df for df in tables if t("recommend.table.reason") in df.columns)
    bought = set(shop.loc[(shop["Customer ID"] == customer) & (shop["Quantity"] > 0), "Product ID"])
    assert len(recs) == min(10, shop["Product ID"].nunique() - len(bought)) > 0
    assert recs[t("recommend.table.reason")].str.len().gt(0).all()
    assert not set(recs[t("field.product_id")]) & bought
    assert any(f["layout"]["title"]["text"] == t("recommend.chart.scores_title") for f in plotly_figures(at))
    no_raw_ids(at)

    # a customer the data does not know: cold start
    at.text_input(key=state.RECOMMEND_CUSTOMER_SEARCH).set_value("NEW-CUSTOMER-1").run()
    assert t("recommend.customer.cold_start", customer="NEW-CUSTOMER-1", days=30) in texts(at)

    # product view: similar and bought together
    at.radio(key=state.RECOMMEND_VIEW).set_value("product").run()
    at.selectbox(key=state.RECOMMEND_PRODUCT).set_value("P001").run()
    assert not at.exception
    headers = [list(df.value.columns) for df in at.dataframe]
    assert any(t("recommend.table.similarity") in h for h in headers) and any(t("recommend.table.lift") in h for h in headers)
    no_raw_ids(at)

    # segments
    at.radio(key=state.RECOMMEND_VIEW).set_value("segments").run()
    assert not at.exception
    seg = next(df.value for df in at.dataframe if t("recommend.table.top_categories") in df.value.columns)
    assert len(seg) == 4
    no_raw_ids(at)

    # evaluation table with the best highlighted, and its chart
    at.radio(key=state.RECOMMEND_VIEW).set_value("evaluation").run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if t("recommend.table.algorithm") in df.value.columns)
    assert len(table) == 3
    assert any(t("recommend.evaluation.best", algorithm=t(f"recommend.algo.{a}"), k=10) in " ".join(str(x.value) for x in at.success) for a in ("popularity", "item-knn", "als"))
    assert any(len(f["data"]) == 1 and len(f["data"][0]["y"]) == 3 for f in plotly_figures(at))
    no_raw_ids(at)


def test_bad_setting_shows_a_message_and_keeps_the_result(dataset):
    at = fit(open_page(new_app(dataset, "en"), PAGE), ("popularity",))
    assert state.RECOMMEND_RESULT in at.session_state
    at.number_input(key=state.RECOMMEND_TEST_DAYS).set_value(365)
    at.button(key=state.RECOMMEND_RUN_BUTTON).click()
    at = wait(at.run())
    assert not at.exception
    assert "nothing is left to learn from" in " ".join(str(w.value) for w in at.warning)  # evaluation could not run
    assert state.RECOMMEND_RESULT in at.session_state


def test_data_without_customers_explains_and_offers_products(shop):
    ds = _load(shop.drop(columns=["Customer ID"]), "orders.csv")
    for language in ("en", "zh"):
        at = open_page(new_app(ds, language), PAGE)
        assert not at.exception, at.exception
        assert t("recommend.page.needs_customers") in texts(at)
        at.selectbox(key=state.RECOMMEND_PRODUCT).set_value("P001").run()
        assert any(t("recommend.table.lift") in df.value.columns for df in at.dataframe)
        no_raw_ids(at)


def test_customer_who_bought_everything_is_told_how_to_get_repeats(shop):
    # one customer buys every product: nothing new is left to recommend
    everything = shop.drop_duplicates("Product ID").assign(**{"Customer ID": "C-ALL", "Order ID": "O-ALL"})
    ds = _load(pd.concat([shop, everything], ignore_index=True))
    at = fit(open_page(new_app(ds, "en"), PAGE), ("popularity",))
    at.text_input(key=state.RECOMMEND_CUSTOMER_SEARCH).set_value("C-ALL").run()
    assert not at.exception
    assert t("recommend.customer.bought_everything") in " ".join(str(x.value) for x in at.info)


def test_lists_default_to_the_best_algorithm_and_switch_in_one_click(dataset, shop):
    from ml.recommend.service import fit_recommender, recommend_customer

    at = open_page(new_app(dataset, "en"), PAGE)
    at.selectbox(key=state.RECOMMEND_ALGORITHM).set_value("popularity")  # the form's choice is not the best one
    at = fit(at, ("popularity", "item-knn", "als"))
    assert not at.exception, at.exception
    run = at.session_state[state.RECOMMEND_RESULT]
    best = run.evaluation.best
    assert best == run.evaluation.table.set_index("algorithm")["ndcg"].idxmax()
    assert best != "popularity"  # planted tastes: a personalised model beats best-sellers on this shop
    assert set(run.models) == {"popularity", best}

    customer = shop["Customer ID"].dropna().value_counts().index[0]
    at.text_input(key=state.RECOMMEND_CUSTOMER_SEARCH).set_value(customer).run()
    chooser = at.selectbox(key=state.RECOMMEND_LIST_ALGORITHM)
    assert chooser.value == best
    assert t("recommend.list.best", algorithm=t(f"recommend.algo.{best}")) in chooser.options

    def shown() -> list[str]:
        recs = next(df.value for df in at.dataframe if t("recommend.table.reason") in df.value.columns)
        return list(recs[t("field.product_id")])

    def expected(algorithm: str) -> list[str]:
        model = fit_recommender(dataset.frame, algorithm, run.settings.weighting, run.settings.half_life_days, run.settings.seed)
        return list(recommend_customer(model, customer, run.settings.k)["product_id"])

    assert shown() == expected(best)
    at.selectbox(key=state.RECOMMEND_LIST_ALGORITHM).set_value("popularity").run()
    assert not at.exception
    assert shown() == expected("popularity") != expected(best)
    other = next(a for a in ("item-knn", "als") if a != best)  # evaluated but not fitted on all data yet
    at.selectbox(key=state.RECOMMEND_LIST_ALGORITHM).set_value(other).run()
    assert not at.exception
    assert shown() == expected(other)
    assert other in at.session_state[state.RECOMMEND_RESULT].models  # fitted once, kept for the next click
