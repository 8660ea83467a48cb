"""Parsing an upload under a memory budget: archives are parsed in a watched worker process that is stopped past
the budget with one clear message (the caller's memory untouched); within the budget the result is the same as
parsing in place; one upload cannot unpack past the total cap across its files; text columns of 2 GiB or more
are combined as large_string instead of overflowing."""

from __future__ import annotations

import gzip
import io

import pyarrow as pa
import pytest

from data.generate import generate
from ml.dataset import _as_array, load_dataset
from ml.i18n import render_error
from ml.isolated import load_dataset_isolated, needs_isolation, run_isolated
from ml.limits import IngestLimits
from ml.schema import DataError
from tests.unit.test_ingest import _zip


@pytest.fixture(scope="module")
def export() -> bytes:
    frame, _ = generate(seed=2, start="2024-01-01", end="2024-03-31", n_customers=120, volume=0.5)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def test_an_archive_is_parsed_in_a_worker_with_the_same_result(export):
    files = [("sales.csv.gz", gzip.compress(export))]
    assert needs_isolation(files) and not needs_isolation([("sales.csv", export)])
    isolated = load_dataset_isolated(files)
    in_place = load_dataset(files)
    assert isolated.fingerprint == in_place.fingerprint
    assert isolated.control_totals() == in_place.control_totals()
    assert isolated.report.to_json_dict() == in_place.report.to_json_dict()
    assert isolated.frame.equals(in_place.frame)


def test_a_parse_past_its_memory_budget_is_stopped_with_one_clear_message(export):
    files = [("sales.csv.gz", gzip.compress(export))]
    with pytest.raises(DataError) as caught:
        load_dataset_isolated(files, budget=40 * 2**20)  # the interpreter with pandas alone is above 40 MB
    assert caught.value.message_id == "ingest.error.memory_budget"
    assert "40 MB" in render_error(caught.value) and "\n" not in render_error(caught.value)
    _, peak = run_isolated("ml.isolated:parse_upload", {"files": files}, budget=2**34)
    assert 40 * 2**20 < peak < 2**31  # measured: ~250 MB for this export


def test_bad_input_from_the_worker_keeps_its_own_message():
    files = [("notes.zip", _zip({"a.csv": b"name,comment\nx,y\n"}))]
    with pytest.raises(DataError) as caught:
        load_dataset_isolated(files)
    assert caught.value.message_id == "ingest.error.no_date"


def test_one_upload_cannot_unpack_past_the_total_cap_across_its_files(export):
    limits = IngestLimits(max_total_inflated_mb=1)
    part = export[: 700 * 1024]
    part = part[: part.rindex(b"\n") + 1]
    with pytest.raises(DataError) as caught:
        load_dataset([("jan.csv", part), ("feb.csv", part)], limits=limits)
    assert caught.value.message_id == "ingest.error.total_too_large" and caught.value.params["name"] == "feb.csv"
    assert load_dataset([("jan.csv", part)], limits=limits).report.rows_read > 0


def test_text_columns_of_2_gib_or_more_are_combined_without_offset_overflow(monkeypatch):
    """The real threshold needs 2 GiB of text (three near-cap files); the same branch with a 1 KiB threshold."""
    from ml.dataset import convert

    assert convert._MAX_STRING_BYTES == 2**31 - 1  # 32-bit string offsets
    chunk = pa.array(["x" * 100] * 8)
    column = pa.chunked_array([chunk, chunk])
    assert pa.types.is_string(_as_array(column).type)  # small: unchanged
    monkeypatch.setattr(convert, "_MAX_STRING_BYTES", 1024)
    combined = _as_array(column)
    assert pa.types.is_large_string(combined.type) and combined.to_pylist() == ["x" * 100] * 16

