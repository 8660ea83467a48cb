"""The workspace: saved datasets (Parquet + JSON), trained models (weights + JSON) and the run registry (SQL).

Layout of the folder::

    registry.db                       SQLite registry (unless SALESLENS_DATABASE_URL points elsewhere)
    secret.key                        signs exported run bundles (unless SALESLENS_SECRET_KEY is set)
    datasets/<id>/data.parquet        the cleaned canonical frame
    datasets/<id>/meta.json           name, fingerprint, mapping, validation report, cleaning options, sources
    datasets/<id>/sources/<i>         the uploaded files (so mapping and options can still be changed)
    runs/<id>/run.json                the run record plus what the charts need besides frames
    runs/<id>/<frame>.parquet         history, holdout, future, scorecard, summary
    runs/<id>/model/                  ml.forecast bundle: forecaster.json + weights_<i>.weights.h5

Every folder is built in ``.staging/`` and renamed into place (atomic), then its registry row is committed: a
row always points at a complete folder. A crash between the two leaves an unlisted folder that
``recover_registry`` can index again. Nothing is ever unpickled: frames are Parquet, the rest JSON.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import json
import logging
import math
import os
import re
import secrets
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ml.dataset import CleaningOptions, Dataset, Problem, ReturnsPolicy, ValidationReport
from ml.forecast.bundle import JSON_NAME, read_bundle_json
from ml.forecast.config import ForecastConfig
from ml.forecast.evaluation import Verdict
from ml.ingest import FileFormat
from ml.keras_runtime import BACKENDS, DEFAULT_BACKEND
from ml.schema import ColumnMapping, ConfigError, DataError
from ml.workspace.files import (
    check_writable,
    clean_leftovers,
    remove_folder,
    staged_folder,
    utc_now,
    write_bytes_atomic,
)
from ml.workspace.settings import WorkspaceSettings
from ml.workspace.started import StartedRun, as_started_run, mark_interrupted, started_row

_log = logging.getLogger(__name__)

if TYPE_CHECKING:  # SQLAlchemy is imported when the registry is first opened, not to draw a first page
    from ml.workspace.registry import Registry

RUN_FORMAT = "saleslens.workspace.run"
DATASET_FORMAT = "saleslens.workspace.dataset"
RUN_BUNDLE_FORMAT = "saleslens.workspace.run_bundle"
FORMAT_VERSION = 1
RUN_FRAMES = ("history", "holdout", "future", "scorecard", "summary")
RUN_KINDS = ("train", "trial", "imported")
MAX_SOURCE_BYTES = 200 * 1024 * 1024  # uploaded files above this are not kept (the cleaned frame always is)
MAX_BUNDLE_BYTES = 128 * 1024 * 1024
MAX_BUNDLE_UNCOMPRESSED = 512 * 1024 * 1024
MAX_BUNDLE_MEMBERS = 64
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_LABEL = 200
RELIST_AFTER_SECONDS = 120.0  # an unlisted folder this old is a crash's leftover, not a save in flight elsewhere
_ID = re.compile(r"^[0-9a-f]{32}$")
_OWNER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CACHE_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_BUNDLE_MEMBER = re.compile(
    r"^(manifest\.json|run\.json|(history|holdout|future|scorecard|summary)\.parquet|"
    r"model/forecaster\.json|model/weights_[0-9]{1,5}\.weights\.h5)$"
)


# ------------------------------------------------------------------------------------------------ records
@dataclass(frozen=True)
class DatasetEntry:
    """A saved dataset as listed on the Data page."""

    id: str
    owner: str
    name: str
    fingerprint: str
    rows: int
    size_bytes: int
    date_min: str
    date_max: str
    created_at: datetime


@dataclass(frozen=True)
class RunRecord:
    """One row of the run registry."""

    id: str
    owner: str
    kind: str
    label: str
    dataset_fingerprint: str
    dataset_name: str
    model_type: str
    spec: dict[str, Any]
    config: dict[str, Any]
    metrics: dict[str, dict[str, float | None]]
    train_seconds: float
    epochs_run: int
    stopped: bool
    created_at: datetime
    search_id: str | None = None
    backend: str = DEFAULT_BACKEND  # the Keras backend that trained the network
    number: int | None = None  # the owner's n-th run, as both the Forecast and Runs pages name it

    @property
    def network_mase(self) -> float | None:
        value = self.metrics.get("network", {}).get("mase")
        return None if value is None else float(value)


@dataclass
class SavedRun:
    """A reopened run: its record, the frames behind its charts and scorecard, and what the page shows besides.

    ``result`` is a ``ml.forecast.ForecastResult`` without its forecaster (``forecaster`` is None); the model is
    loaded only when asked for (``Workspace.load_model``), so reopening needs no Keras and no retraining.
    """

    record: RunRecord
    result: Any
    has_model: bool
    details: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ JSON helpers
def to_jsonable(value: Any) -> Any:
    """Plain JSON data: NaN/inf become None, numpy scalars Python numbers, timestamps ISO strings."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _dump(doc: Any) -> bytes:
    return json.dumps(to_jsonable(doc), indent=1, allow_nan=False, sort_keys=True).encode("utf-8")


def _read_json(path: Path, error: DataError) -> Any:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise error
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise error from None


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    frame.reset_index(drop=True).to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def _read_frame(path: Path) -> pd.DataFrame:
    table = pq.read_table(path)
    for f in table.schema:  # only plain columns: no extension types (which could carry pickled payloads)
        if isinstance(f.type, pa.ExtensionType):
            raise DataError("workspace.error.bundle_invalid", reason="frame_type")
    return table.to_pandas()


def _valid_owner(owner: str) -> str:
    if not isinstance(owner, str) or not _OWNER.match(owner):
        raise DataError("workspace.error.owner_invalid")
    return owner


def _valid_id(value: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise DataError("workspace.error.run_not_found", run=str(value)[:40])
    return value


# ------------------------------------------------------------------------------------------------ dataset JSON
def _dataset_meta(ds: Dataset) -> dict[str, Any]:
    return {
        "format": DATASET_FORMAT, "format_version": FORMAT_VERSION, "name": ds.name, "fingerprint": ds.fingerprint,
        "mapping": ds.mapping.to_dict(), "report": report_to_dict(ds.report),
        "source_columns": list(ds.source_columns), "options": options_to_dict(ds.options),
        "created_at": utc_now().isoformat(),
    }


def _dataset_from_folder(folder: Path, meta: dict[str, Any]) -> Dataset:
    """The Dataset saved in ``folder`` (``data.parquet``) with its ``meta.json`` already read."""
    return Dataset(name=meta["name"], frame=_read_frame(folder / "data.parquet"),
                   mapping=ColumnMapping.from_dict(meta["mapping"]), report=report_from_dict(meta["report"]),
                   source_columns=list(meta.get("source_columns", [])), fingerprint=meta["fingerprint"],
                   options=options_from_dict(meta.get("options", {})))


def report_to_dict(report: ValidationReport) -> dict[str, Any]:
    return to_jsonable(dataclasses.asdict(report))


def report_from_dict(data: dict[str, Any]) -> ValidationReport:
    known = {f.name for f in dataclasses.fields(ValidationReport)}
    values = {k: v for k, v in data.items() if k in known and k not in ("problems", "formats")}
    fmt_fields = {f.name for f in dataclasses.fields(FileFormat)}
    prob_fields = {f.name for f in dataclasses.fields(Problem)}
    report = ValidationReport(**values)
    report.problems = [Problem(**{k: v for k, v in p.items() if k in prob_fields}) for p in data.get("problems", [])]
    report.formats = [FileFormat(**{k: v for k, v in f.items() if k in fmt_fields}) for f in data.get("formats", [])]
    return report


def options_to_dict(options: CleaningOptions) -> dict[str, Any]:
    return {"returns": str(options.returns), "day_first": options.day_first,
            "drop_duplicates": bool(options.drop_duplicates), "encoding": options.encoding,
            "keep_non_products": bool(options.keep_non_products)}


def options_from_dict(data: dict[str, Any]) -> CleaningOptions:
    return CleaningOptions(returns=ReturnsPolicy(data.get("returns", "keep")), day_first=data.get("day_first"),
                           drop_duplicates=bool(data.get("drop_duplicates", True)), encoding=data.get("encoding"),
                           keep_non_products=bool(data.get("keep_non_products", False)))


# ------------------------------------------------------------------------------------------------ the store
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
            self._tidy_on_open(registry)
        return registry

    def _tidy_on_open(self, registry: Registry) -> None:
        """Put right what a crash left, once per process when the registry opens: stale staging folders and
        session-pointer temporary files go, and run or dataset folders whose row was never committed are listed
        again (two folder listings and one query; only the unlisted folders are read). Folders younger than
        ``RELIST_AFTER_SECONDS`` may be a save still in flight in another process and wait for a later open."""
        try:
            if self.root.is_dir():
                clean_leftovers(self.root)
            runs, sets = self._relist_folders(registry, min_age=RELIST_AFTER_SECONDS)
            if runs or sets:
                _log.warning("workspace: listed %d run and %d dataset folders again that a crash had left unlisted",
                             runs, sets)
        except (DataError, OSError):  # read-only folder or database: nothing to tidy that this process could
            _log.info("workspace: crash leftovers not tidied (read-only)", exc_info=True)

    def close(self) -> None:
        with self._lock:
            if self._registry is not None:
                self._registry.close()
                self._registry = None

    def _writable(self) -> None:
        check_writable(self.root)
        if not self._cleaned:
            self._cleaned = True
            clean_leftovers(self.root)

    def check(self) -> None:
        """Open everything once: raises the DataError a page should show (read-only folder, damaged database)."""
        self._writable()
        self.registry.count_runs("check")

    def _secret(self) -> bytes:
        if self.settings.secret:
            return self.settings.secret.encode("utf-8")
        path = self.root / "secret.key"
        if not path.is_file():
            self._writable()
            try:
                with open(path, "xb") as fh:  # the first writer wins; others read what it wrote
                    fh.write(secrets.token_hex(32).encode())
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(path, 0o600)
            except FileExistsError:
                pass
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise DataError("workspace.error.secret_invalid", path=str(path))
        return key

    # ------------------------------------------------------------------ datasets
    def save_dataset(self, owner: str, ds: Dataset, files: list[tuple[str, bytes]] | None = None) -> DatasetEntry:
        """Save a loaded dataset (cleaned frame as Parquet, its mapping and report as JSON, the sources when they
        fit). Saving the same data again only refreshes its date."""
        owner = _valid_owner(owner)
        existing = self.registry.find_dataset(owner, ds.fingerprint)
        if existing is not None and existing["owner"] == owner and (self.root / existing["path"]).is_dir():
            self.registry.upsert_dataset({**existing, "created_at": utc_now()})
            return self._dataset_entry({**existing, "created_at": utc_now()})
        self._writable()
        dataset_id = uuid.uuid4().hex
        rel = f"datasets/{dataset_id}"
        keep_sources = files is not None and sum(len(b) for _, b in files) <= MAX_SOURCE_BYTES
        with staged_folder(self.root, self.root / rel) as tmp:
            copy = getattr(ds, "write_frame", None)  # a dataset streamed to Parquet (ml/outofcore): its file
            if copy:
                copy(tmp / "data.parquet")
            else:
                _write_frame(ds.frame, tmp / "data.parquet")
            sources = []
            if keep_sources:
                (tmp / "sources").mkdir()
                for i, (name, data) in enumerate(files or []):
                    (tmp / "sources" / str(i)).write_bytes(data)
                    sources.append({"name": str(name), "file": str(i), "sha256": hashlib.sha256(data).hexdigest()})
            meta = {**_dataset_meta(ds), "id": dataset_id, "owner": owner, "sources": sources}
            (tmp / "meta.json").write_bytes(_dump(meta))
            size = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
        row = {
            "id": dataset_id, "owner": owner, "fingerprint": ds.fingerprint, "name": ds.name[:500],
            "rows": ds.report.rows_kept if copy else len(ds.frame), "size_bytes": int(size),
            "date_min": ds.date_min.date().isoformat(), "date_max": ds.date_max.date().isoformat(),
            "created_at": utc_now(), "path": rel,
        }
        try:
            saved_id = self.registry.upsert_dataset(row)
        except DataError:
            remove_folder(self.root, self.root / rel)
            raise
        if saved_id != dataset_id:  # another session saved the same data meanwhile
            remove_folder(self.root, self.root / rel)
            row = self.registry.get_dataset(owner, saved_id) or row
        return self._dataset_entry(row)

    @staticmethod
    def _dataset_entry(row: dict[str, Any]) -> DatasetEntry:
        created = row["created_at"]
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
        return DatasetEntry(id=row["id"], owner=row["owner"], name=row["name"], fingerprint=row["fingerprint"],
                            rows=int(row["rows"]), size_bytes=int(row["size_bytes"]), date_min=row["date_min"],
                            date_max=row["date_max"], created_at=created)

    def list_datasets(self, owner: str) -> list[DatasetEntry]:
        return [self._dataset_entry(r) for r in self.registry.list_datasets(_valid_owner(owner))]

    def load_dataset(self, owner: str, dataset_id: str) -> tuple[Dataset, list[tuple[str, bytes]]]:
        """The saved Dataset exactly as it was loaded, and its source files ([] when they were not kept)."""
        row = self.registry.get_dataset(_valid_owner(owner), _valid_id(dataset_id))
        if row is None:
            raise DataError("workspace.error.dataset_not_found")
        folder = self.root / row["path"]
        missing = DataError("workspace.error.dataset_files_missing", name=row["name"])
        if not (folder / "data.parquet").is_file():
            raise missing
        meta = _read_json(folder / "meta.json", missing)
        try:
            files = []
            for src in meta.get("sources", []):
                data = (folder / "sources" / src["file"]).read_bytes()
                if hashlib.sha256(data).hexdigest() != src["sha256"]:
                    raise ValueError("source checksum")
                files.append((src["name"], data))
            ds = _dataset_from_folder(folder, meta)
        except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
            raise missing from None
        return ds, files

    def cached_dataset(self, key: str, build: Callable[[], Dataset]) -> Dataset:
        """A dataset kept under ``cache/<key>/`` (Parquet + JSON, like a saved dataset but outside the registry):
        read when present, else built and written. The key must change whenever the input or the code that builds
        the dataset changes. A read-only folder or a damaged entry only costs the build, never an error."""
        if not _CACHE_KEY.match(key):
            raise ValueError(f"cache key {key!r}")
        folder = self.root / "cache" / key
        if (folder / "data.parquet").is_file():
            try:
                meta = _read_json(folder / "meta.json", DataError("workspace.error.dataset_files_missing", name=key))
                if meta.get("format") == DATASET_FORMAT:
                    return _dataset_from_folder(folder, meta)
            except (DataError, OSError, KeyError, TypeError, ValueError, pa.ArrowException):
                pass
        ds = build()
        try:
            self._writable()
            remove_folder(self.root, folder)  # a damaged entry
            with staged_folder(self.root, folder) as tmp:
                _write_frame(ds.frame, tmp / "data.parquet")
                (tmp / "meta.json").write_bytes(_dump(_dataset_meta(ds)))
        except (DataError, OSError):  # read-only, full, or another process wrote it first
            pass
        return ds

    def latest_dataset(self, owner: str) -> DatasetEntry | None:
        entries = self.list_datasets(owner)
        return entries[0] if entries else None

    def find_dataset(self, owner: str, fingerprint: str) -> DatasetEntry | None:
        row = self.registry.find_dataset(_valid_owner(owner), fingerprint)
        return self._dataset_entry(row) if row else None

    def delete_dataset(self, owner: str, dataset_id: str) -> bool:
        row = self.registry.get_dataset(_valid_owner(owner), _valid_id(dataset_id))
        if row is None:
            return False
        self._writable()
        self.registry.delete_dataset(owner, dataset_id)
        remove_folder(self.root, self.root / row["path"])
        return True

    # ------------------------------------------------------------------ runs
    def save_run(self, owner: str, result: Any, spec: dict[str, Any], dataset_fingerprint: str, dataset_name: str,
                 label: str = "", kind: str = "train", search_id: str | None = None, stopped: bool = False,
                 details: dict[str, Any] | None = None, run_id: str | None = None) -> RunRecord:
        """Save a finished ``ForecastResult``: the model bundle, the frames behind the charts and the record.

        ``spec`` says what was forecast (target, level, freq); ``details`` is any extra JSON the page wants back;
        ``run_id`` the id the training was recorded under when it started (``start_run``), else a new one.
        """
        owner = _valid_owner(owner)
        if kind not in RUN_KINDS:
            raise ValueError(kind)
        self._writable()
        _ = self.registry  # fail before writing files when the database is unusable
        run_id = _valid_id(run_id) if run_id else uuid.uuid4().hex
        rel = f"runs/{run_id}"
        now = utc_now()
        record = {
            "id": run_id, "owner": owner, "kind": kind, "search_id": search_id, "label": str(label)[:MAX_LABEL],
            "dataset_fingerprint": str(dataset_fingerprint), "dataset_name": str(dataset_name)[:500],
            "model_type": result.config.model_type, "spec": to_jsonable(spec),
            "config": result.config.to_dict(), "metrics": to_jsonable(result.metrics),
            "train_seconds": float(result.train_seconds), "epochs_run": int(result.epochs_run),
            "stopped": bool(stopped or result.cancelled), "created_at": now,
            "backend": str(getattr(result, "backend", DEFAULT_BACKEND)),
        }
        with staged_folder(self.root, self.root / rel) as tmp:
            has_model = False
            if result.forecaster is not None and getattr(result.forecaster, "models_", None):
                from ml.forecast.bundle import save_bundle

                save_bundle(result.forecaster, tmp / "model", metrics=record["metrics"])
                has_model = True
            for name in RUN_FRAMES:
                _write_frame(getattr(result, name), tmp / f"{name}.parquet")
            doc = {"format": RUN_FORMAT, "format_version": FORMAT_VERSION, "record": record,
                   "result": _result_details(result), "has_model": has_model, "details": details or {}}
            (tmp / "run.json").write_bytes(_dump(doc))
        return self._register_run(record, rel)

    def _register_run(self, record: dict[str, Any], rel: str) -> RunRecord:
        """Add the row of a run whose folder is already in place; without the row, the folder goes too."""
        try:
            number = self.registry.add_run({**record, "path": rel})
        except DataError:
            remove_folder(self.root, self.root / rel)
            raise
        return _record({**record, "number": number})

    def list_runs(self, owner: str, dataset_fingerprint: str | None = None, model_type: str | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  search_id: str | None = None) -> list[RunRecord]:
        rows = self.registry.list_runs(_valid_owner(owner), dataset_fingerprint, model_type, since, until, search_id)
        return [_record(r) for r in rows]

    def get_run(self, owner: str, run_id: str) -> RunRecord:
        row = self.registry.get_run(_valid_owner(owner), _valid_id(run_id))
        if row is None:
            raise DataError("workspace.error.run_not_found", run=run_id)
        return _record(row)

    def latest_run(self, owner: str, dataset_fingerprint: str | None = None) -> RunRecord | None:
        runs = self.list_runs(owner, dataset_fingerprint=dataset_fingerprint)
        return runs[0] if runs else None

    def _run_folder(self, owner: str, run_id: str) -> tuple[dict[str, Any], Path]:
        row = self.registry.get_run(_valid_owner(owner), _valid_id(run_id))
        if row is None:
            raise DataError("workspace.error.run_not_found", run=run_id)
        return row, self.root / row["path"]

    def open_run(self, owner: str, run_id: str) -> SavedRun:
        """Everything the Forecast page and the Runs page draw for a run, read back from disk (no Keras)."""
        row, folder = self._run_folder(owner, run_id)
        missing = DataError("workspace.error.run_files_missing", run=row["label"] or run_id[:8])
        doc = _read_json(folder / "run.json", missing)
        try:
            frames = {name: _read_frame(folder / f"{name}.parquet") for name in RUN_FRAMES}
            result = _result_from(doc, frames, row)
        except (OSError, KeyError, TypeError, ValueError, ConfigError, pa.ArrowException):
            raise missing from None
        has_model = bool(doc.get("has_model")) and (folder / "model" / JSON_NAME).is_file()
        return SavedRun(record=_record(row), result=result, has_model=has_model, details=doc.get("details", {}))

    def load_model(self, owner: str, run_id: str):
        """The run's NeuralForecaster, rebuilt from its weights (imports Keras)."""
        row, folder = self._run_folder(owner, run_id)
        if not (folder / "model" / JSON_NAME).is_file():
            raise DataError("workspace.error.model_missing", run=row["label"] or run_id[:8])
        from ml.forecast.bundle import load_bundle

        try:
            return load_bundle(folder / "model")
        except DataError as err:
            if err.params.get("reason") in ("missing_json", "weights_missing"):
                raise DataError("workspace.error.model_missing", run=row["label"] or run_id[:8]) from None
            raise

    def model_zip(self, owner: str, run_id: str) -> bytes:
        """The run's model as the zip ``ml.forecast.import_bundle`` reads (validated first, no Keras)."""
        row, folder = self._run_folder(owner, run_id)
        model = folder / "model"
        if not (model / JSON_NAME).is_file():
            raise DataError("workspace.error.model_missing", run=row["label"] or run_id[:8])
        read_bundle_json(model)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(model.iterdir()):
                zf.write(path, path.name)
        return buffer.getvalue()

    def rename_run(self, owner: str, run_id: str, label: str) -> None:
        self._writable()
        if not self.registry.rename_run(_valid_owner(owner), _valid_id(run_id), str(label).strip()[:MAX_LABEL]):
            raise DataError("workspace.error.run_not_found", run=run_id)

    def delete_run(self, owner: str, run_id: str) -> bool:
        row = self.registry.get_run(_valid_owner(owner), _valid_id(run_id))
        if row is None:
            return False
        self._writable()
        self.registry.delete_run(owner, run_id)  # the row goes first: a listed run always has its files
        remove_folder(self.root, self.root / row["path"])
        return True

    # ------------------------------------------------------------------ run bundles
    def export_run(self, owner: str, run_id: str) -> bytes:
        """A signed zip: manifest (sha256 of every member + HMAC), run.json, frames, model."""
        row, folder = self._run_folder(owner, run_id)
        missing = DataError("workspace.error.run_files_missing", run=row["label"] or run_id[:8])
        members: dict[str, bytes] = {}
        try:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    name = path.relative_to(folder).as_posix()
                    if _BUNDLE_MEMBER.match(name):
                        members[name] = path.read_bytes()
        except OSError:
            raise missing from None
        if "run.json" not in members:
            raise missing
        files = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
        manifest = {"format": RUN_BUNDLE_FORMAT, "format_version": FORMAT_VERSION, "files": files,
                    "dataset_fingerprint": row["dataset_fingerprint"], "exported_at": utc_now().isoformat()}
        manifest["signature"] = self._sign(manifest)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", _dump(manifest))
            for name, data in members.items():
                zf.writestr(name, data)
        return buffer.getvalue()

    def _sign(self, manifest: dict[str, Any]) -> str:
        payload = json.dumps({k: v for k, v in manifest.items() if k != "signature"}, sort_keys=True).encode()
        return hmac.new(self._secret(), payload, hashlib.sha256).hexdigest()

    def import_run(self, owner: str, data: bytes, label: str | None = None) -> RunRecord:
        """Validate an exported run bundle and add it to ``owner``'s runs (a new id; kind 'imported').

        Refused with a message id: not a zip or unexpected members (``bundle_invalid``), a member that does not
        match the manifest (``bundle_tampered``), a signature from another workspace (``bundle_foreign``).
        """
        owner = _valid_owner(owner)
        members = _unzip_bundle(data)
        manifest = _parse_json(members.pop("manifest.json", None), "manifest")
        if not isinstance(manifest, dict) or manifest.get("format") != RUN_BUNDLE_FORMAT:
            raise DataError("workspace.error.bundle_invalid", reason="manifest")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise DataError("workspace.error.bundle_version", found=str(manifest.get("format_version")),
                            supported=FORMAT_VERSION)
        files = manifest.get("files")
        if not isinstance(files, dict) or set(files) != set(members):
            raise DataError("workspace.error.bundle_tampered")
        for name, content in members.items():
            if not hmac.compare_digest(str(files[name]), hashlib.sha256(content).hexdigest()):
                raise DataError("workspace.error.bundle_tampered")
        if not hmac.compare_digest(str(manifest.get("signature", "")), self._sign(manifest)):
            raise DataError("workspace.error.bundle_foreign")
        doc = _parse_json(members.get("run.json"), "run_json")
        record = _validate_run_doc(doc)
        if record["dataset_fingerprint"] != manifest.get("dataset_fingerprint"):
            raise DataError("workspace.error.bundle_tampered")
        self._writable()
        run_id = uuid.uuid4().hex
        rel = f"runs/{run_id}"
        record.update(id=run_id, owner=owner, kind="imported", search_id=None, created_at=utc_now())
        if label is not None:
            record["label"] = str(label)[:MAX_LABEL]
        doc["record"] = record
        with staged_folder(self.root, self.root / rel) as tmp:
            for name, content in members.items():
                if name == "run.json":
                    continue
                target = tmp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            if doc.get("has_model"):
                read_bundle_json(tmp / "model")  # weights checksums, config bounds, feature counts
            missing = [n for n in RUN_FRAMES if not (tmp / f"{n}.parquet").is_file()]
            if missing:
                raise DataError("workspace.error.bundle_invalid", reason=f"missing_{missing[0]}")
            try:
                _result_from(doc, {n: _read_frame(tmp / f"{n}.parquet") for n in RUN_FRAMES}, record)
            except (KeyError, TypeError, ValueError, ConfigError, pa.ArrowException):
                raise DataError("workspace.error.bundle_invalid", reason="frames") from None
            (tmp / "run.json").write_bytes(_dump(doc))
        return self._register_run(record, rel)

    # ------------------------------------------------------------------ trainings started, and those cut off
    def start_run(self, owner: str, label: str, spec: dict[str, Any], config: dict[str, Any],
                  settings: dict[str, Any], dataset_fingerprint: str, dataset_name: str) -> str:
        """Record a training as started (before it is queued); returns the id its run is to be saved under."""
        run_id = uuid.uuid4().hex
        self.registry.add_started(started_row(run_id, _valid_owner(owner), str(label), to_jsonable(spec),
                                              to_jsonable(config), to_jsonable(settings), str(dataset_fingerprint),
                                              str(dataset_name), utc_now()))
        return run_id

    def forget_started(self, run_id: str, owner: str | None = None) -> bool:
        """The training ended (or the analyst dismissed its interruption): its record goes."""
        return self.registry.delete_started(_valid_id(run_id), None if owner is None else _valid_owner(owner))

    def interrupted_runs(self, owner: str) -> list[StartedRun]:
        """Trainings of ``owner`` that were cut off by a server stop, newest first."""
        return [as_started_run(r) for r in self.registry.list_started(_valid_owner(owner), status="interrupted")]

    # ------------------------------------------------------------------ where each owner left off
    def session_pointer(self, owner: str) -> dict[str, str]:
        """The dataset ('sample' or a saved id) and run an owner used last ({} when none)."""
        path = self.root / "sessions" / f"{_valid_owner(owner)}.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return {}
        return {k: v for k, v in doc.items() if k in ("dataset", "run") and isinstance(v, str)} \
            if isinstance(doc, dict) else {}

    def set_session_pointer(self, owner: str, dataset: str | None = None, run: str | None = None) -> None:
        before = self.session_pointer(owner)
        current = dict(before)
        if dataset is not None:
            current["dataset"] = dataset
        if run is not None:
            current["run"] = run
        if current == before:
            return  # already so (e.g. a restore that loads the sample it pointed at)
        self._writable()
        write_bytes_atomic(self.root / "sessions" / f"{owner}.json", _dump(current))

    # ------------------------------------------------------------------ recovery
    def recover_registry(self) -> dict[str, int]:
        """Set a damaged SQLite registry aside (``registry.db.damaged-<time>``) and rebuild it from the run and
        dataset folders; also re-lists folders whose row was lost in a crash. Returns counts."""
        self._writable()
        self.close()
        self._tidied = True  # this repair relists everything itself, and counts it
        path = self.settings.sqlite_path
        moved = 0
        try:
            registry = self.registry
        except DataError:
            if path is None:
                raise
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                p = Path(f"{path}{suffix}")
                if p.exists():
                    os.replace(p, Path(f"{path}.damaged-{stamp}{suffix}"))
                    moved += 1
            self.close()
            registry = self.registry
        runs_added, sets_added = self._relist_folders(registry)
        return {"files_set_aside": moved, "runs": runs_added, "datasets": sets_added}

    def _relist_folders(self, registry: Registry, min_age: float = 0.0) -> tuple[int, int]:
        """Add the rows of complete run and dataset folders that the registry does not list (older than
        ``min_age`` seconds); returns how many of each. Damaged folders are left alone."""
        known_runs, known_sets = registry.all_run_paths(), registry.all_dataset_paths()
        newest = time.time() - min_age
        runs_added = sets_added = 0
        for folder in sorted((self.root / "runs").glob("*")) if (self.root / "runs").is_dir() else []:
            rel = f"runs/{folder.name}"
            if rel in known_runs or not _ID.match(folder.name) or _modified_after(folder, newest):
                continue
            try:
                doc = _read_json(folder / "run.json", DataError("workspace.error.run_files_missing", run=""))
                record = _validate_run_doc(doc)
                record.update(id=folder.name, owner=_valid_owner(doc["record"]["owner"]),
                              kind=doc["record"].get("kind", "train") if doc["record"].get("kind") in RUN_KINDS
                              else "train", search_id=doc["record"].get("search_id"),
                              created_at=datetime.fromisoformat(doc["record"]["created_at"]).replace(tzinfo=None))
                registry.add_run({**record, "path": rel})
                runs_added += 1
            except (DataError, KeyError, TypeError, ValueError):
                continue
        for folder in sorted((self.root / "datasets").glob("*")) if (self.root / "datasets").is_dir() else []:
            rel = f"datasets/{folder.name}"
            if rel in known_sets or not _ID.match(folder.name) or _modified_after(folder, newest):
                continue
            try:
                meta = _read_json(folder / "meta.json", DataError("workspace.error.dataset_files_missing", name=""))
                frame = pq.read_table(folder / "data.parquet", columns=["date"]).column(0).to_pandas()
                registry.upsert_dataset({
                    "id": folder.name, "owner": _valid_owner(meta["owner"]), "fingerprint": meta["fingerprint"],
                    "name": meta["name"], "rows": len(frame),
                    "size_bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()),
                    "date_min": frame.min().date().isoformat(), "date_max": frame.max().date().isoformat(),
                    "created_at": datetime.fromisoformat(meta["created_at"]).replace(tzinfo=None), "path": rel,
                })
                sets_added += 1
            except (DataError, KeyError, TypeError, ValueError, OSError, pa.ArrowException):
                continue
        return runs_added, sets_added


def _modified_after(folder: Path, moment: float) -> bool:
    try:
        return folder.stat().st_mtime > moment
    except OSError:
        return True  # gone meanwhile (deleted by another process)


# ------------------------------------------------------------------------------------------------ run helpers
def _record(row: dict[str, Any]) -> RunRecord:
    created = row["created_at"]
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
    return RunRecord(
        id=row["id"], owner=row["owner"], kind=row.get("kind", "train"), label=row.get("label") or "",
        dataset_fingerprint=row["dataset_fingerprint"], dataset_name=row.get("dataset_name", ""),
        model_type=row["model_type"], spec=dict(row.get("spec") or {}), config=dict(row["config"]),
        metrics={k: dict(v) for k, v in (row.get("metrics") or {}).items()},
        train_seconds=float(row.get("train_seconds") or 0.0), epochs_run=int(row.get("epochs_run") or 0),
        stopped=bool(row.get("stopped")), created_at=created, search_id=row.get("search_id"),
        backend=row.get("backend") or DEFAULT_BACKEND, number=row.get("number"),
    )


def _result_details(result: Any) -> dict[str, Any]:
    return {
        "freq": result.freq, "season_length": int(result.season_length),
        "coverage": to_jsonable(result.coverage), "verdicts": [v.to_dict() for v in result.verdicts],
        "loss_history": to_jsonable(result.loss_history), "baseline_models": to_jsonable(result.baseline_models),
        "cancelled": bool(result.cancelled), "total_seconds": float(result.total_seconds),
    }


_COVERAGE_FLOATS = ("level", "holdout", "backtest")


def _result_from(doc: dict[str, Any], frames: dict[str, pd.DataFrame], row: dict[str, Any]):
    """A ForecastResult (forecaster None) from run.json and the frames."""
    from ml.forecast.pipeline import ForecastResult

    details = doc["result"]
    coverage = dict(details["coverage"])
    for key in _COVERAGE_FLOATS:
        coverage[key] = float("nan") if coverage.get(key) is None else float(coverage[key])
    metrics = {m: {k: (None if v is None else float(v)) for k, v in vals.items()}
               for m, vals in row["metrics"].items()}
    return ForecastResult(
        config=ForecastConfig.from_dict(row["config"]), freq=str(details["freq"]),
        season_length=int(details["season_length"]), metrics=metrics,
        scorecard=frames["scorecard"], summary=frames["summary"], history=frames["history"],
        holdout=frames["holdout"], future=frames["future"],
        verdicts=[Verdict(str(v["message_id"]), dict(v["params"])) for v in details["verdicts"]],
        coverage=coverage, train_seconds=float(row["train_seconds"]), epochs_run=int(row["epochs_run"]),
        loss_history={k: [float("nan") if x is None else float(x) for x in v]
                      for k, v in details.get("loss_history", {}).items()},
        baseline_models=dict(details.get("baseline_models", {})), cancelled=bool(details.get("cancelled")),
        forecaster=None, total_seconds=float(details.get("total_seconds", 0.0)),
        backend=row.get("backend") or DEFAULT_BACKEND,
    )


def _parse_json(content: bytes | None, reason: str) -> Any:
    if content is None:
        raise DataError("workspace.error.bundle_invalid", reason=f"missing_{reason}")
    try:
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DataError("workspace.error.bundle_invalid", reason=reason) from None


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool)
                             and math.isfinite(value))


def _validate_run_doc(doc: Any) -> dict[str, Any]:
    """Check run.json's shape and types; returns a clean copy of its record (id/owner to be set by the caller)."""
    def bad(reason: str) -> DataError:
        return DataError("workspace.error.bundle_invalid", reason=reason)

    if not isinstance(doc, dict) or doc.get("format") != RUN_FORMAT or doc.get("format_version") != FORMAT_VERSION:
        raise bad("run_format")
    rec, details = doc.get("record"), doc.get("result")
    if not isinstance(rec, dict) or not isinstance(details, dict):
        raise bad("run_record")
    try:
        config = ForecastConfig.from_dict(rec.get("config"))
    except (ConfigError, TypeError):
        raise bad("config") from None
    metrics = rec.get("metrics")
    if not isinstance(metrics, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) and all(isinstance(m, str) and _is_number(x)
                                                               for m, x in v.items()) for k, v in metrics.items()):
        raise bad("metrics")
    spec = rec.get("spec")
    if not isinstance(spec, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in spec.items()):
        raise bad("spec")
    fingerprint = rec.get("dataset_fingerprint")
    if not isinstance(fingerprint, str) or not re.fullmatch(r"[0-9a-f]{16,64}", fingerprint):
        raise bad("dataset_fingerprint")
    for key in ("train_seconds", "epochs_run"):
        if not _is_number(rec.get(key)) or rec.get(key) is None or rec[key] < 0:
            raise bad(key)
    if not isinstance(details.get("freq"), str) or not isinstance(details.get("verdicts"), list) \
            or not isinstance(details.get("coverage"), dict):
        raise bad("result")
    for v in details["verdicts"]:
        if not isinstance(v, dict) or not isinstance(v.get("message_id"), str) \
                or not re.fullmatch(r"forecast\.verdict\.[a-z_]+", v["message_id"]) \
                or not isinstance(v.get("params"), dict):
            raise bad("verdicts")
    backend = rec.get("backend") or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise bad("backend")
    label = rec.get("label", "")
    return {
        "label": label[:MAX_LABEL] if isinstance(label, str) else "",
        "dataset_fingerprint": fingerprint, "dataset_name": str(rec.get("dataset_name", ""))[:500],
        "model_type": config.model_type, "spec": spec, "config": config.to_dict(), "metrics": metrics,
        "train_seconds": float(rec["train_seconds"]), "epochs_run": int(rec["epochs_run"]),
        "stopped": bool(rec.get("stopped", False)), "backend": backend,
    }


def _unzip_bundle(data: bytes) -> dict[str, bytes]:
    if len(data) > MAX_BUNDLE_BYTES:
        raise DataError("workspace.error.bundle_too_large", size=len(data), limit=MAX_BUNDLE_BYTES)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DataError("workspace.error.bundle_invalid", reason="not_a_zip") from None
    members: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        if not 0 < len(infos) <= MAX_BUNDLE_MEMBERS:
            raise DataError("workspace.error.bundle_invalid", reason="members")
        total = 0
        for info in infos:
            if not _BUNDLE_MEMBER.match(info.filename) or info.filename in members:
                raise DataError("workspace.error.bundle_invalid", reason="member_name")
            total += info.file_size
            if total > MAX_BUNDLE_UNCOMPRESSED:
                raise DataError("workspace.error.bundle_too_large", size=total, limit=MAX_BUNDLE_UNCOMPRESSED)
            try:
                with zf.open(info) as src:
                    content = src.read(info.file_size + 1)
            except (zipfile.BadZipFile, OSError, ValueError):  # CRC errors: bytes changed inside the zip
                raise DataError("workspace.error.bundle_tampered") from None
            if len(content) != info.file_size:
                raise DataError("workspace.error.bundle_invalid", reason="member_size")
            members[info.filename] = content
    return members


__all__ = ["DatasetEntry", "RunRecord", "SavedRun", "Workspace", "to_jsonable"]
