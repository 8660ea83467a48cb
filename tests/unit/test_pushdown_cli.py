"""``python -m ml profile|forecast --dataset ID``: a saved dataset above the pushdown threshold is profiled and its
series built from its Parquet, never its frame; bad input is one line and exit 2."""

from __future__ import annotations

import hashlib
import json

import pytest

from ml.cli import EXIT_BAD_INPUT, EXIT_OK, main
from ml.dataset import Dataset, ValidationReport
from ml.outofcore.stored import StoredDataset
from ml.pushdown import ENV_ROWS
from ml.schema import ColumnMapping
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
