"""Recommendations kept in the workspace: a reload (a new AppTest session of the same browser) shows the last run's
lists and evaluation at once, without fitting or starting a job; Run with the same settings reuses them; another
setting or another dataset does not."""

from __future__ import annotations

import pandas as pd
import pytest

from components import state
from ml.i18n import t
from ml.jobs import REGISTRY
from ml.recommend import Recommender
from tests.app.conftest import new_app, open_page, texts
from tests.app.test_recommend_page import PAGE, _load, fit, shop  # noqa: F401  (the shop fixture)

OWNER = "5" * 32


@pytest.fixture(scope="module")
def dataset(shop):  # noqa: F811
    return _load(shop)


def _session(dataset, language="en"):
    at = new_app(dataset, language)
    at.session_state[state.OWNER] = OWNER  # the browser's workspace id (its cookie)
    return open_page(at, PAGE)


def _recs(at, customer):
    at.text_input(key=state.RECOMMEND_CUSTOMER_SEARCH).set_value(customer).run()
    return next(df.value for df in at.dataframe if t("recommend.table.reason") in df.value.columns)


def _jobs():
    return len(REGISTRY.jobs(owner=OWNER, kind="recommend"))


def test_a_reload_shows_the_kept_results_without_fitting(dataset, shop, monkeypatch):  # noqa: F811
    at = _session(dataset)
    at.selectbox(key=state.RECOMMEND_ALGORITHM).set_value("popularity")
    at.number_input(key=state.RECOMMEND_K).set_value(8)
    at = fit(at, ("popularity", "item-knn", "als"))
    assert not at.exception, at.exception
    first = at.session_state[state.RECOMMEND_RESULT]
    customer = shop["Customer ID"].dropna().value_counts().index[0]
    before = _recs(at, customer)
    jobs = _jobs()

    fits = []
    original = Recommender.fit
    monkeypatch.setattr(Recommender, "fit", lambda self, *a, **k: fits.append(self.name) or original(self, *a, **k))
    again = _session(dataset)  # the reload
    assert not again.exception, again.exception
    run = again.session_state[state.RECOMMEND_RESULT]
    assert run.kept_at and run.settings == first.settings and run.best == first.best
    assert again.number_input(key=state.RECOMMEND_K).value == 8  # the form shows the settings of what is shown
    assert again.selectbox(key=state.RECOMMEND_ALGORITHM).value == "popularity"
    assert "kept in the workspace" in texts(again)
    after = _recs(again, customer)
    pd.testing.assert_frame_equal(before, after)
    again.radio(key=state.RECOMMEND_VIEW).set_value("evaluation").run()
    table = next(df.value for df in again.dataframe if t("recommend.table.algorithm") in df.value.columns)
    assert len(table) == 3
    assert fits == [] and _jobs() == jobs  # nothing fitted, no job started

    # Run with the same settings: the kept results, still nothing fitted
    again.button(key=state.RECOMMEND_RUN_BUTTON).click().run()
    assert not again.exception
    assert fits == [] and _jobs() == jobs and again.session_state[state.RECOMMEND_JOB] is None

    # another setting: a new run
    again.number_input(key=state.RECOMMEND_K).set_value(5)
    again.button(key=state.RECOMMEND_RUN_BUTTON).click().run()
    assert _jobs() == jobs + 1


def test_kept_results_belong_to_their_dataset(dataset, shop):  # noqa: F811
    fit(_session(dataset), ("popularity",))
    other = _load(shop[shop["Quantity"] > 0].iloc[: len(shop) // 2], "half.csv")
    at = _session(other, "zh")
    assert not at.exception, at.exception
    assert state.RECOMMEND_RESULT not in at.session_state or at.session_state[state.RECOMMEND_RESULT] is None
    assert t("recommend.page.none_yet") in " ".join(str(x.value) for x in at.info)
