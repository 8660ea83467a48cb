"""The workspace's seams stand alone: signing needs only a key, sessions and datasets only a folder and a registry
(any ``formats.Storage``), the saved-run codec of ``ForecastResult`` only JSON, and no seam imports the façade."""

from __future__ import annotations

import ast
import json
import math
import stat
from pathlib import Path

import pytest

from ml.forecast.pipeline import ForecastResult
from ml.schema import DataError
from ml.workspace import sessions, signing
from ml.workspace.formats import RUN_FRAMES

WORKSPACE = Path(__file__).resolve().parents[3] / "ml" / "workspace"
FACADE = {"__init__.py", "__main__.py", "store.py"}
MANIFEST = {"format": "saleslens.workspace.run_bundle", "format_version": 1, "files": {"run.json": "ab" * 32},
            "dataset_fingerprint": "0123456789abcdef"}


class FolderOnly:
    """A Storage with a folder and no registry: what sessions need, and a record of write checks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.checks = 0

    @property
    def registry(self):
        raise AssertionError("sessions never open the registry")

    def ensure_writable(self) -> None:
        self.checks += 1

    def close(self) -> None:
        pass


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_seam_module_imports_the_facade_and_signing_imports_no_workspace_module():
    seams = sorted(p for p in WORKSPACE.glob("*.py") if p.name not in FACADE)
    assert {p.stem for p in seams} >= {"bundles", "datasets", "recovery", "runs", "sessions", "signing", "started"}
    for path in seams:
        found = {n for n in _imports(path) if n in ("ml.workspace", "ml.workspace.store")
                 or n.startswith("ml.workspace.store.")}
        assert not found, f"{path.name} imports the façade: {found}"
    assert not any(n.startswith("ml.workspace") for n in _imports(WORKSPACE / "signing.py"))


def test_signature_holds_for_its_key_only_and_breaks_when_the_manifest_changes():
    key = b"k" * 40
    manifest = {**MANIFEST, "signature": signing.sign_manifest(key, MANIFEST)}
    assert signing.signed_by(key, manifest)
    assert signing.sign_manifest(key, manifest) == manifest["signature"]  # the signature is not signed over
    assert not signing.signed_by(b"j" * 40, manifest)  # another workspace's key
    changed = {**manifest, "dataset_fingerprint": "fedcba9876543210"}
    assert not signing.signed_by(key, changed)
    assert not signing.signed_by(key, {k: v for k, v in manifest.items() if k != "signature"})


def test_workspace_key_is_made_once_kept_private_and_a_configured_key_wins(tmp_path):
    checks: list[int] = []
    first = signing.workspace_secret(tmp_path, None, lambda: checks.append(1))
    again = signing.workspace_secret(tmp_path, None, lambda: checks.append(1))
    assert first == again and len(first) == 64 and checks == [1]  # written by the first caller only
    assert stat.S_IMODE((tmp_path / signing.KEY_FILE).stat().st_mode) == 0o600
    assert signing.workspace_secret(tmp_path, "configured-key", lambda: checks.append(1)) == b"configured-key"
    (tmp_path / signing.KEY_FILE).write_bytes(b"short")
    with pytest.raises(DataError) as err:
        signing.workspace_secret(tmp_path, None, lambda: None)
    assert err.value.message_id == "workspace.error.secret_invalid"


def test_session_pointers_need_only_a_folder(tmp_path):
    store = FolderOnly(tmp_path)
    assert sessions.session_pointer(store, "alice") == {}
    sessions.set_session_pointer(store, "alice", dataset="sample")
    sessions.set_session_pointer(store, "alice", run="a" * 32)
    sessions.set_session_pointer(store, "alice", dataset="sample")  # unchanged: nothing written
    assert sessions.session_pointer(store, "alice") == {"dataset": "sample", "run": "a" * 32}
    assert sessions.session_pointer(store, "bob") == {}
    assert store.checks == 2
    (tmp_path / "sessions" / "bob.json").write_text('{"dataset": 3, "other": "x"}', encoding="utf-8")
    assert sessions.session_pointer(store, "bob") == {}  # wrong types and unknown keys are ignored
    with pytest.raises(DataError):
        sessions.session_pointer(store, "../alice")


def test_forecast_result_comes_back_from_its_saved_json_without_a_workspace(tiny_result):
    record = {"config": tiny_result.config.to_dict(), "metrics": json.loads(json.dumps(tiny_result.metrics)),
              "train_seconds": tiny_result.train_seconds, "epochs_run": tiny_result.epochs_run}
    details = json.loads(json.dumps(tiny_result.saved_details(), allow_nan=False))  # plain JSON, no NaN
    back = ForecastResult.from_saved(details, {n: getattr(tiny_result, n) for n in RUN_FRAMES}, record)
    assert back.forecaster is None and back.backend == "jax"  # a record without a backend predates it: JAX
    assert back.config == tiny_result.config and back.freq == tiny_result.freq
    assert back.season_length == tiny_result.season_length
    assert [v.to_dict() for v in back.verdicts] == [v.to_dict() for v in tiny_result.verdicts]
    assert back.baseline_models == tiny_result.baseline_models
    for key, value in tiny_result.coverage.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(back.coverage[key])  # saved as null, read back as NaN
        else:
            assert back.coverage[key] == value
    assert back.loss_history.keys() == tiny_result.loss_history.keys()
    for name, values in tiny_result.loss_history.items():
        assert back.loss_history[name] == pytest.approx(values, nan_ok=True)
