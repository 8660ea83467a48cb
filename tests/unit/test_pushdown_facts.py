"""The whole dataset's figures kept beside its Parquet (``ml.pushdown.facts``): computed once (on saving, or when
first asked), read back without a query after that, equal to the pandas path's, and stale once the file changes."""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
import pytest

import ml.pushdown.explore as pushdown_explore
import ml.pushdown.stored as pushdown_stored
import ml.pushdown.table as pushdown_table
from ml.dataset import Dataset, ValidationReport
from ml.explore import make_kpis, make_trend, make_weekday_matrix, prepare_frame
from ml.pushdown import ENV_ROWS, ParquetTable
from ml.pushdown.facts import facts_path, read_facts
from ml.pushdown.stored import table_of
from ml.schema import ColumnMapping
from ml.series import Filters
from ml.workspace import get_workspace, reset_workspaces
from ml.workspace.formats import write_frame
from tests.unit.test_pushdown import make_lines


def no_queries(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("DuckDB was asked again for a kept figure")

    monkeypatch.setattr(pushdown_table, "query", refuse)
    monkeypatch.setattr(pushdown_explore, "query", refuse)
    monkeypatch.setattr(pushdown_stored, "query", refuse)


def test_the_kept_figures_answer_without_a_query_and_equal_the_pandas_path(tmp_path, monkeypatch):
    frame = make_lines(7)
    path = tmp_path / "data.parquet"
    write_frame(frame, path)
    expected = {freq: make_trend(prepare_frame(frame), None, freq) for freq in ("D", "W", "M")}
    first = make_kpis(ParquetTable(path), None)
    for freq in expected:
        make_trend(ParquetTable(path), None, freq)
    assert set(read_facts(path)) >= {"kpis", "periods:D", "periods:W", "periods:M", "totals"}

    no_queries(monkeypatch)
    table = ParquetTable(path)  # a new table: nothing remembered in memory
    kpis = make_kpis(table, None)
    assert kpis.current == first.current == make_kpis(prepare_frame(frame), None).current
    assert kpis.current.orders > 0 and kpis.current.customers == 40
    for freq, want in expected.items():
        pd.testing.assert_frame_equal(make_trend(table, None, freq), want, check_exact=False, rtol=1e-12)
    # dates alone, per day: a slice of the kept days, the same as pandas on the selected lines
    dates = Filters(date_from=date(2024, 3, 1), date_to=date(2024, 4, 15))
    pd.testing.assert_frame_equal(make_trend(table, dates, "D"), make_trend(prepare_frame(frame), dates, "D"),
                                  check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(make_weekday_matrix(table, dates, "orders", "week").values,
                                  make_weekday_matrix(prepare_frame(frame), dates, "orders", "week").values)
    with pytest.raises(AssertionError, match="asked again"):  # a real filter still runs its exact query
        make_kpis(table, dates)


def test_a_rewritten_file_makes_the_kept_figures_stale(tmp_path):
    path = tmp_path / "data.parquet"
    write_frame(make_lines(3), path)
    before = make_kpis(ParquetTable(path), None).current
    other = make_lines(11)
    write_frame(other, path)
    assert read_facts(path) == {}
    after = make_kpis(ParquetTable(path), None).current
    assert after == make_kpis(prepare_frame(other), None).current and after != before


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "workspace"))
    reset_workspaces()
    yield get_workspace()
    reset_workspaces()


def test_saving_a_large_dataset_computes_its_figures_and_deleting_it_removes_them(workspace, monkeypatch):
    frame = make_lines(5)
    fingerprint = hashlib.blake2b(b"facts", digest_size=16).hexdigest()
    ds = Dataset("planted.csv", frame, ColumnMapping(), ValidationReport(rows_read=len(frame), rows_kept=len(frame)),
                 list(frame.columns), fingerprint)
    monkeypatch.setenv(ENV_ROWS, "10")
    entry = workspace.save_dataset("tester", ds)
    stored, _ = workspace.load_dataset("tester", entry.id)
    table = table_of(stored)
    assert table is not None and set(read_facts(table.path)) >= {"kpis", "periods:D", "periods:W", "periods:M"}
    no_queries(monkeypatch)
    assert make_kpis(table, None).current == make_kpis(prepare_frame(frame), None).current
    assert stored.totals.rows == len(frame)
    workspace.delete_dataset("tester", entry.id)
    assert not facts_path(table.path).exists()


def test_a_failure_computing_the_figures_still_saves_the_dataset(workspace, monkeypatch):
    import ml.pushdown.facts as facts

    frame = make_lines(3)
    ds = Dataset("planted.csv", frame, ColumnMapping(), ValidationReport(rows_read=len(frame), rows_kept=len(frame)),
                 list(frame.columns), hashlib.blake2b(b"fails", digest_size=16).hexdigest())
    monkeypatch.setenv(ENV_ROWS, "10")

    def fail(path):
        raise MemoryError("out of memory")

    monkeypatch.setattr(facts, "prepare_facts", fail)
    entry = workspace.save_dataset("tester", ds)
    stored, _ = workspace.load_dataset("tester", entry.id)
    table = table_of(stored)
    assert table is not None and "kpis" not in read_facts(table.path)
    assert make_kpis(table, None).current == make_kpis(prepare_frame(frame), None).current  # computed when asked
    assert "kpis" in read_facts(table.path)
