"""SalesLens workspace: saved datasets, trained models and the run registry, surviving refreshes and restarts.

Public API (never imports Streamlit; Keras only when a model is saved or loaded)::

    from ml.workspace import get_workspace
    ws = get_workspace()                      # settings from SALESLENS_WORKSPACE / _DATABASE_URL / _SHARED
    entry = ws.save_dataset(owner, ds, files)
    record = ws.save_run(owner, result, spec, ds.fingerprint, ds.name)
    saved = ws.open_run(owner, record.id)     # ForecastResult without retraining (forecaster loaded on demand)
    data = ws.export_run(owner, record.id); ws.import_run(other_owner, data)

Errors are ``ml.schema.DataError`` with ids under ``workspace.error.*`` (``ml/locales/<lang>/workspace.toml``).
"""

from __future__ import annotations

import threading

from ml.jsonable import to_jsonable
from ml.workspace.datasets import DatasetEntry
from ml.workspace.runs import RunRecord, SavedRun
from ml.workspace.settings import WorkspaceSettings
from ml.workspace.store import Workspace

_lock = threading.Lock()
_instances: dict[WorkspaceSettings, Workspace] = {}


def get_workspace(settings: WorkspaceSettings | None = None) -> Workspace:
    """The process-wide Workspace for these settings (default: from the environment, read on every call so a
    changed variable takes effect; the instance per settings is reused)."""
    settings = settings or WorkspaceSettings.from_env()
    with _lock:
        ws = _instances.get(settings)
        if ws is None:
            ws = _instances[settings] = Workspace(settings)
        return ws


def reset_workspaces() -> None:
    """Close every open workspace (tests, and after recovering a damaged registry)."""
    with _lock:
        for ws in _instances.values():
            ws.close()
        _instances.clear()


# Message ids built at run time (tests/unit/test_i18n.py checks each exists in both languages).
MESSAGE_FAMILIES: dict[str, list[str]] = {
    "runs.kind.": ["train", "trial", "imported"],
    "runs.search.param.": ["window", "units", "layers", "learning_rate", "dropout"],
    "runs.filter.period_": ["all", "day", "week", "month", "year"],
    "runs.search.state.": ["ok", "failed", "cut"],
}

__all__ = [
    "MESSAGE_FAMILIES", "DatasetEntry", "RunRecord", "SavedRun", "Workspace", "WorkspaceSettings", "get_workspace",
    "reset_workspaces", "to_jsonable",
]
