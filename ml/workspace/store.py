"""The workspace: saved datasets (Parquet + JSON), trained models (weights + JSON) and the run registry (SQL).

Layout of the folder::

    registry.db                       SQLite registry (unless SALESLENS_DATABASE_URL points elsewhere)
    secret.key                        signs exported run bundles (unless SALESLENS_SECRET_KEY is set)
    datasets/<id>/                    a saved dataset (``datasets``)
    runs/<id>/                        a saved run and its model (``runs``)
    sessions/<owner>.json             where each owner left off (``sessions``)

``Workspace`` is the façade the app, the CLI and the jobs use: it holds the settings, opens the registry once
(tidying what a crash left, ``recovery``) and checks the folder is writable; each method hands itself to the
module of its seam: ``datasets``, ``runs``, ``bundles`` (with ``signing``), ``started``, ``sessions`` and
``recovery``. Every folder is built in ``.staging/`` and renamed into place, then its registry row is committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ml.dataset import Dataset
from ml.schema import DataError
from ml.workspace import bundles, datasets, recommendations, recovery, runs, sessions, started
from ml.workspace.datasets import DatasetEntry
from ml.workspace.files import check_writable, clean_leftovers
from ml.workspace.runs import RunRecord, SavedRun
from ml.workspace.settings import WorkspaceSettings
from ml.workspace.signing import workspace_secret
from ml.workspace.started import StartedRun, mark_interrupted

if TYPE_CHECKING:  # SQLAlchemy is imported when the registry is first opened, not to draw a first page
    from ml.workspace.registry import Registry


class Workspace:
    """Datasets, models and runs of every owner, in one folder plus one database.

    The registry is opened lazily: a damaged database raises ``workspace.error.database_corrupt`` from the
    methods that need it, while saved dataset files stay readable and ``recover_registry`` rebuilds it.
    """

    def __init__(self, settings: WorkspaceSettings | None = None) -> None:
        self.settings = settings or WorkspaceSettings.from_env()
        self.root = self.settings.root
        self._registry: Registry | None = None
        self._lock = threading.Lock()
        self._cleaned = False
        self._tidied = False  # crash leftovers cleaned and unlisted folders relisted when the registry first opened

    # ------------------------------------------------------------------ plumbing
    @property
    def registry(self) -> Registry:
        with self._lock:
            if self._registry is None:
                if self.settings.sqlite_path is not None and not self.settings.sqlite_path.parent.exists():
                    try:
                        self.settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
                    except OSError:
                        raise DataError("workspace.error.read_only", path=str(self.root)) from None
                from ml.workspace.registry import Registry

                self._registry = Registry(self.settings.database_url, shared=self.settings.shared)
                try:
                    mark_interrupted(self._registry)
                except DataError:  # reported by whatever needs the registry next
                    pass
            registry = self._registry
            tidy, self._tidied = not self._tidied, True
        if tidy:
            recovery.tidy_on_open(self.root, registry)
        return registry

    def close(self) -> None:
        with self._lock:
            if self._registry is not None:
                self._registry.close()
                self._registry = None

    def ensure_writable(self) -> None:
        """Raise ``workspace.error.read_only`` unless files can be written; the first time, clean up leftovers."""
        check_writable(self.root)
        if not self._cleaned:
            self._cleaned = True
            clean_leftovers(self.root)

    def check(self) -> None:
        """Open everything once: raises the DataError a page should show (read-only folder, damaged database)."""
        self.ensure_writable()
        self.registry.count_runs("check")

    def _secret(self) -> bytes:
        return workspace_secret(self.root, self.settings.secret, self.ensure_writable)

    # ------------------------------------------------------------------ datasets
    def save_dataset(self, owner: str, ds: Dataset, files: list[tuple[str, bytes]] | None = None) -> DatasetEntry:
        return datasets.save_dataset(self, owner, ds, files)

    def list_datasets(self, owner: str) -> list[DatasetEntry]:
        return datasets.list_datasets(self, owner)

    def load_dataset(self, owner: str, dataset_id: str) -> tuple[Dataset, list[tuple[str, bytes]]]:
        return datasets.load_dataset(self, owner, dataset_id)

    def cached_dataset(self, key: str, build: Callable[[], Dataset]) -> Dataset:
        return datasets.cached_dataset(self, key, build)

    def latest_dataset(self, owner: str) -> DatasetEntry | None:
        entries = self.list_datasets(owner)
        return entries[0] if entries else None

    def find_dataset(self, owner: str, fingerprint: str) -> DatasetEntry | None:
        return datasets.find_dataset(self, owner, fingerprint)

    def delete_dataset(self, owner: str, dataset_id: str) -> bool:
        return datasets.delete_dataset(self, owner, dataset_id)

    # ------------------------------------------------------------------ runs and their models
    def save_run(self, owner: str, result: Any, spec: dict[str, Any], dataset_fingerprint: str, dataset_name: str,
                 label: str = "", kind: str = "train", search_id: str | None = None, stopped: bool = False,
                 details: dict[str, Any] | None = None, run_id: str | None = None) -> RunRecord:
        return runs.save_run(self, owner, result, spec, dataset_fingerprint, dataset_name, label=label, kind=kind,
                             search_id=search_id, stopped=stopped, details=details, run_id=run_id)

    def list_runs(self, owner: str, dataset_fingerprint: str | None = None, model_type: str | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  search_id: str | None = None) -> list[RunRecord]:
        return runs.list_runs(self, owner, dataset_fingerprint, model_type, since, until, search_id)

    def get_run(self, owner: str, run_id: str) -> RunRecord:
        return runs.get_run(self, owner, run_id)

    def latest_run(self, owner: str, dataset_fingerprint: str | None = None) -> RunRecord | None:
        found = self.list_runs(owner, dataset_fingerprint=dataset_fingerprint)
        return found[0] if found else None

    def open_run(self, owner: str, run_id: str) -> SavedRun:
        return runs.open_run(self, owner, run_id)

    def load_model(self, owner: str, run_id: str):
        return runs.load_model(self, owner, run_id)

    def model_zip(self, owner: str, run_id: str) -> bytes:
        return runs.model_zip(self, owner, run_id)

    def rename_run(self, owner: str, run_id: str, label: str) -> None:
        runs.rename_run(self, owner, run_id, label)

    def delete_run(self, owner: str, run_id: str) -> bool:
        return runs.delete_run(self, owner, run_id)

    # ------------------------------------------------------------------ signed run bundles
    def export_run(self, owner: str, run_id: str) -> bytes:
        return bundles.export_run(self, self._secret, owner, run_id)

    def import_run(self, owner: str, data: bytes, label: str | None = None) -> RunRecord:
        return bundles.import_run(self, self._secret, owner, data, label)

    # ------------------------------------------------------------------ trainings started, and those cut off
    def start_run(self, owner: str, label: str, spec: dict[str, Any], config: dict[str, Any],
                  settings: dict[str, Any], dataset_fingerprint: str, dataset_name: str) -> str:
        return started.start_run(self, owner, label, spec, config, settings, dataset_fingerprint, dataset_name)

    def forget_started(self, run_id: str, owner: str | None = None) -> bool:
        return started.forget_started(self, run_id, owner)

    def interrupted_runs(self, owner: str) -> list[StartedRun]:
        return started.interrupted_runs(self, owner)

    # ------------------------------------------------------------------ recommendation results per dataset
    def save_recommendations(self, owner: str, fingerprint: str, settings: dict[str, Any], doc: dict[str, Any],
                             frames: dict[str, Any]) -> None:
        recommendations.save_recommendations(self, owner, fingerprint, settings, doc, frames)

    def load_recommendations(self, owner: str, fingerprint: str, settings: dict[str, Any] | None = None):
        return recommendations.load_recommendations(self, owner, fingerprint, settings)

    # ------------------------------------------------------------------ where each owner left off
    def session_pointer(self, owner: str) -> dict[str, str]:
        return sessions.session_pointer(self, owner)

    def set_session_pointer(self, owner: str, dataset: str | None = None, run: str | None = None) -> None:
        sessions.set_session_pointer(self, owner, dataset, run)

    # ------------------------------------------------------------------ recovery
    def recover_registry(self) -> dict[str, int]:
        """Set a damaged SQLite registry aside and rebuild it from the folders (``recovery.recover_registry``)."""
        self.ensure_writable()
        self.close()
        self._tidied = True  # this repair relists everything itself, and counts it
        return recovery.recover_registry(self, self.settings.sqlite_path)


__all__ = ["DatasetEntry", "RunRecord", "SavedRun", "Workspace"]
