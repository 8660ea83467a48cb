"""A signed run bundle and an uploaded model bundle carry exactly the members they list: one extra member with an
allowed name (another weights file) is refused, even though the signature of the manifest is still valid."""

from __future__ import annotations

import io
import zipfile

import pytest

from ml.forecast import import_bundle
from ml.schema import DataError
from ml.workspace import get_workspace
from tests.unit.workspace.test_store import FP, _rezip, save


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    def add(members):
        assert name not in members
        members[name] = content

    return _rezip(data, add)


def test_run_bundle_with_an_unlisted_weights_file_is_refused(tiny_result):
    ws = get_workspace()
    data = ws.export_run("alice", save(ws, tiny_result).id)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        real = zf.read("model/weights_0.weights.h5")
    extra = _with_member(data, "model/weights_9.weights.h5", real)  # a copy of real weights: valid content
    with pytest.raises(DataError) as err:
        ws.import_run("bob", extra)
    assert err.value.message_id == "workspace.error.bundle_tampered"
    assert ws.list_runs("bob") == []
    assert ws.import_run("bob", data).dataset_fingerprint == FP  # the untouched bundle still imports


def test_model_bundle_with_an_unlisted_weights_file_is_refused(tiny_result):
    from ml.forecast import export_bundle

    data = export_bundle(tiny_result.forecaster)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        real = zf.read("weights_0.weights.h5")
    with pytest.raises(DataError) as err:
        import_bundle(_with_member(data, "weights_9.weights.h5", real))
    assert err.value.params["reason"] == "zip_member_unlisted"
    assert import_bundle(data).series_ == tiny_result.forecaster.series_
