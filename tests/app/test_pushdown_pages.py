"""A saved dataset above the pushdown threshold (``ml.limits.PUSHDOWN``, lowered here) opens without its frame, and
the Explore and Forecast pages draw it from its Parquet alone: the same KPI cards, filter choices and series as the
same data held in pandas, and reading the frame would fail the test."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from components import state
from ml.dataset import Dataset, ValidationReport
from ml.outofcore.stored import StoredDataset
from ml.pushdown import ENV_ROWS
from ml.pushdown.stored import table_of
from ml.schema import Col, ColumnMapping
from ml.workspace import get_workspace
from tests.app.conftest import metrics, new_app, open_page, texts
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
    assert texts(pages[1]) == texts(pages[0])


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


def test_recommendations_say_they_do_not_work_on_a_large_dataset_yet(large):
    _, stored = large
    at = open_page(new_app(stored), "pages/recommend_page.py")
    assert not at.exception, at.exception
    assert "Recommendations do not work yet on a dataset this large" in texts(at)
    assert "frame" not in stored.__dict__
