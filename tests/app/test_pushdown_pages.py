"""A saved dataset above the pushdown threshold (``ml.limits.PUSHDOWN``, lowered here) opens without its frame, and
the Explore and Forecast pages draw it from its Parquet alone: the same KPI cards, filter choices and series as the
same data held in pandas, and reading the frame would fail the test."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import pytest

from components import state
from ml.dataset import Dataset, ValidationReport
from ml.i18n import format_number, t
from ml.jobs import DONE, REGISTRY
from ml.outofcore.stored import StoredDataset
from ml.pushdown import ENV_ROWS
from ml.pushdown.stored import table_of
from ml.schema import Col, ColumnMapping
from ml.workspace import get_workspace
from tests.app.conftest import metrics, new_app, open_page, texts
from tests.app.test_recommend_page import fit
from tests.unit.test_pushdown import PLANTED_UNITS, make_lines


def in_memory(tag: str) -> Dataset:
    """The planted lines in pandas; ``tag`` sets the fingerprint, so the two paths never share a cached result."""
    frame = make_lines(5)
    fingerprint = hashlib.blake2b(tag.encode(), digest_size=16).hexdigest()
    return Dataset("planted.csv", frame, ColumnMapping(), ValidationReport(rows_read=len(frame), rows_kept=len(frame)),
                   list(frame.columns), fingerprint)


@pytest.fixture
def large(monkeypatch) -> tuple[Dataset, Dataset]:
    """(the dataset in pandas, the same dataset saved and opened again as a large one whose frame must not be read)."""
    memory = in_memory("pandas")
    workspace = get_workspace()
    entry = workspace.save_dataset("tester", in_memory("parquet"))
    monkeypatch.setenv(ENV_ROWS, "10")
    stored, _ = workspace.load_dataset("tester", entry.id)
    assert isinstance(stored, StoredDataset) and table_of(stored) is not None

    def refuse(self):
        raise AssertionError("the full frame of a large dataset was read")

    monkeypatch.setattr(StoredDataset, "frame", property(refuse))
    return memory, stored


def test_explore_draws_a_large_dataset_from_its_parquet_with_the_same_numbers(large):
    memory, stored = large
    pages = [open_page(new_app(ds), "pages/explore_page.py") for ds in (memory, stored)]
    for at in pages:
        assert not at.exception, at.exception
    expected, got = metrics(pages[0]), metrics(pages[1])
    assert got == expected
    units = sum(PLANTED_UNITS.values())
    assert expected["Units"][0] == f"{units:,}"  # the planted net units, not just two equal wrong numbers
    assert len(pages[1].get("plotly_chart")) >= 3  # trend, top products, weekday heatmap
    assert [s.options for s in pages[1].multiselect] == [s.options for s in pages[0].multiselect]
    assert "frame" not in stored.__dict__


def test_forecast_builds_the_series_of_a_large_dataset_from_its_parquet(large):
    memory, stored = large
    pages = []
    for ds in (memory, stored):
        at = new_app(ds)
        at.session_state[state.FORECAST_LEVEL] = "product"
        pages.append(open_page(at, "pages/forecast_page.py"))
    for at in pages:
        assert not at.exception, at.exception
        assert "Train" in " ".join(b.label for b in at.button)
    product_box = [s for s in pages[1].selectbox if s.key == state.FORECAST_PRODUCT][0]
    assert product_box.options == [s for s in pages[0].selectbox if s.key == state.FORECAST_PRODUCT][0].options
    assert product_box.options[0].endswith("(P11)")  # the best-selling planted product first, with its name
    note = t("pushdown_recommend.page.note", rows=format_number(stored.report.rows_kept))
    assert texts(pages[1]).replace(note, "").strip() == texts(pages[0]).strip()


def priced_lines():
    """The planted lines with prices that move week to week (and more units sold when cheaper), so elasticities
    can be fitted."""
    frame = make_lines(5)
    rng = np.random.default_rng(5)
    week = (frame[Col.DATE] - frame[Col.DATE].min()).dt.days // 7
    factor = np.array([0.7, 0.85, 1.0, 1.15, 1.3])[(week.to_numpy() * 3 + rng.integers(0, 2, len(frame))) % 5]
    frame[Col.UNIT_PRICE] = frame[Col.UNIT_PRICE] * factor
    frame[Col.QUANTITY] = np.where(frame[Col.QUANTITY] > 0, np.round(frame[Col.QUANTITY] * factor ** -1.5 + 0.4),
                                   frame[Col.QUANTITY])
    frame[Col.REVENUE] = frame[Col.QUANTITY] * frame[Col.UNIT_PRICE]
    return frame


@pytest.fixture
def priced(monkeypatch) -> tuple[Dataset, Dataset]:
    frame = priced_lines()
    datasets = []
    for tag in ("pandas", "parquet"):
        fingerprint = hashlib.blake2b(f"priced-{tag}".encode(), digest_size=16).hexdigest()
        datasets.append(Dataset("priced.csv", frame, ColumnMapping(),
                                ValidationReport(rows_read=len(frame), rows_kept=len(frame)), list(frame.columns),
                                fingerprint))
    entry = get_workspace().save_dataset("tester", datasets[1])
    monkeypatch.setenv(ENV_ROWS, "10")
    stored, _ = get_workspace().load_dataset("tester", entry.id)
    assert table_of(stored) is not None
    monkeypatch.setattr(StoredDataset, "frame", property(lambda self: pytest.fail("the full frame was read")))
    return datasets[0], stored


def test_pricing_fits_the_elasticities_of_a_large_dataset_on_its_aggregated_panel(priced):
    memory, stored = priced
    pages = [open_page(new_app(ds), "pages/pricing_page.py") for ds in (memory, stored)]
    for at in pages:
        assert not at.exception, at.exception
    assert metrics(pages[1]) == metrics(pages[0]) and metrics(pages[0])
    tables = [[d.value for d in at.dataframe] for at in pages]
    assert tables[1] and len(tables[1]) <= len(tables[0])
    for got, expected in zip(tables[1], tables[0], strict=False):
        pd.testing.assert_frame_equal(got, expected)
    assert "Related products are not computed" in texts(pages[1])  # said, not read line by line
    assert "frame" not in stored.__dict__


def evaluation_table(at) -> pd.DataFrame:
    """The evaluation view's table: algorithms and their metrics (the seconds column left out)."""
    at.radio(key=state.RECOMMEND_VIEW).set_value("evaluation").run()
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if t("recommend.table.algorithm") in df.value.columns)
    table = table.data if hasattr(table, "data") else table  # a Styler: its frame
    return table.drop(columns=[t("recommend.table.seconds")]).reset_index(drop=True)


def wait_for(job, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not job.snapshot().finished:
        assert time.time() < deadline, "the job did not finish"
        time.sleep(0.2)
    assert job.snapshot().status == DONE, job.snapshot().error


def show_on_both(pages, view: str, widget: str, key: str, value) -> None:
    """Both pages on ``view`` with the ``widget`` (radio, text_input, selectbox) of ``key`` set to ``value``."""
    for page in pages:
        page.radio(key=state.RECOMMEND_VIEW).set_value(view).run()
        getattr(page, widget)(key=key).set_value(value).run()
        assert not page.exception, page.exception


def test_recommendations_fit_a_large_dataset_on_its_matrix_in_place_with_the_same_evaluation(large):
    memory, stored = large
    algorithms = ("popularity", "item-knn", "als")
    pages = [fit(open_page(new_app(ds), "pages/recommend_page.py"), algorithms) for ds in (memory, stored)]
    for at in pages:
        assert not at.exception, at.exception
        assert state.RECOMMEND_RESULT in at.session_state
    expected, got = (evaluation_table(at) for at in pages)
    assert len(expected) == len(algorithms) and expected.notna().all().all()
    assert expected[t("recommend.metric.ndcg").replace("@k", "@10")].max() > 0  # metrics, not a table of zeros
    pd.testing.assert_frame_equal(got, expected)
    at = pages[1]
    assert t("pushdown_recommend.page.note", rows=format_number(stored.report.rows_kept)) in texts(at)

    # a customer's list comes from the in-place fit: the same list as in pandas, never a product they bought, and
    # their history is one query for their lines: the same table as the frame's
    customer = memory.frame[Col.CUSTOMER_ID].dropna().value_counts().index[0]
    show_on_both(pages, "customer", "text_input", state.RECOMMEND_CUSTOMER_SEARCH, customer)
    lists = [next(df.value for df in page.dataframe if t("recommend.table.reason") in df.value.columns)
             for page in pages]
    ids = [list(x[t("field.product_id")]) for x in lists]
    assert ids[1] == ids[0] and len(ids[0]) > 0
    own = memory.frame[memory.frame[Col.CUSTOMER_ID] == customer].groupby(Col.PRODUCT_ID)[Col.QUANTITY].sum()
    bought = set(own.index[own > 0])  # net of returns, as the matrix holds them
    assert bought
    assert not set(ids[1]) & bought
    histories = [next(df.value for df in page.dataframe if t("field.date") in df.value.columns) for page in pages]
    assert len(histories[0]) == (memory.frame[Col.CUSTOMER_ID] == customer).sum() > 0
    pd.testing.assert_frame_equal(histories[1].astype(str), histories[0].astype(str))

    # a product's neighbours and what it is bought with, counted in place for this product alone once every
    # product's buyers are counted: by a job the page follows, never on its script thread
    popular = memory.frame[Col.PRODUCT_ID].astype(str).value_counts().index[0]
    show_on_both(pages, "product", "selectbox", state.RECOMMEND_PRODUCT, popular)
    assert t("pushdown_recommend.job.waiting") in texts(at)
    path, job_id = at.session_state[state.RECOMMEND_BUYERS_JOB]
    assert path == str(table_of(stored).path)
    wait_for(REGISTRY.get(job_id))
    at.run()
    assert not at.exception, at.exception
    assert t("pushdown_recommend.job.waiting") not in texts(at)
    assert any(t("recommend.table.similarity") in df.value.columns for df in at.dataframe)
    note = t("pushdown_recommend.page.note", rows=format_number(stored.report.rows_kept))
    assert texts(pages[1]).replace(note, "").strip() == texts(pages[0]).strip()
    for got, expected in zip(*[[df.value for df in page.dataframe] for page in pages], strict=True):
        pd.testing.assert_frame_equal(got, expected)

    # factor and RFM segments: the RFM sums are one GROUP BY customer in place, the same segments as in pandas
    for method in ("factors", "rfm"):
        show_on_both(pages, "segments", "radio", state.RECOMMEND_SEGMENT_METHOD, method)
        tables = [next(df.value for df in page.dataframe if t("recommend.table.top_categories") in df.value.columns)
                  for page in pages]
        pd.testing.assert_frame_equal(tables[1], tables[0])
    assert len(tables[0]) >= 2
    assert "frame" not in stored.__dict__
