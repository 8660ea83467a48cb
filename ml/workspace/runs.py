"""Saved runs and their models: a finished ``ForecastResult`` as Parquet frames, run.json and a model bundle.

Layout::

    runs/<id>/run.json                the run record plus what the charts need besides frames
    runs/<id>/<frame>.parquet         history, holdout, future, scorecard, summary
    runs/<id>/model/                  ml.forecast bundle: forecaster.json + weights_<i>.weights.h5

``validate_run_doc`` checks a run.json that came from elsewhere (an imported bundle, a folder relisted after a
crash). Each function takes the workspace (``formats.Storage``) first; ``Workspace`` calls them.
"""

from __future__ import annotations

import io
import math
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ml.forecast.bundle import JSON_NAME, read_bundle_json
from ml.forecast.config import ForecastConfig
from ml.forecast.pipeline import ForecastResult
from ml.jsonable import to_jsonable
from ml.keras_runtime import BACKENDS, DEFAULT_BACKEND
from ml.schema import ConfigError, DataError
from ml.workspace.files import remove_folder, staged_folder, utc_now
from ml.workspace.formats import (
    FORMAT_VERSION,
    MAX_LABEL,
    RUN_FORMAT,
    RUN_FRAMES,
    RUN_KINDS,
    Storage,
    dump_json,
    read_frame,
    read_json,
    valid_id,
    valid_owner,
    write_frame,
)


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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRecord:
        """The record of a registry row (``created_at`` a datetime or ISO text; UTC when naive)."""
        created = row["created_at"]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
        return cls(
            id=row["id"], owner=row["owner"], kind=row.get("kind", "train"), label=row.get("label") or "",
            dataset_fingerprint=row["dataset_fingerprint"], dataset_name=row.get("dataset_name", ""),
            model_type=row["model_type"], spec=dict(row.get("spec") or {}), config=dict(row["config"]),
            metrics={k: dict(v) for k, v in (row.get("metrics") or {}).items()},
            train_seconds=float(row.get("train_seconds") or 0.0), epochs_run=int(row.get("epochs_run") or 0),
            stopped=bool(row.get("stopped")), created_at=created, search_id=row.get("search_id"),
            backend=row.get("backend") or DEFAULT_BACKEND, number=row.get("number"),
        )


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


def save_run(ws: Storage, owner: str, result: Any, spec: dict[str, Any], dataset_fingerprint: str,
             dataset_name: str, label: str = "", kind: str = "train", search_id: str | None = None,
             stopped: bool = False, details: dict[str, Any] | None = None, run_id: str | None = None) -> RunRecord:
    """Save a finished ``ForecastResult``: the model bundle, the frames behind the charts and the record.

    ``spec`` says what was forecast (target, level, freq); ``details`` is any extra JSON the page wants back;
    ``run_id`` the id the training was recorded under when it started (``start_run``), else a new one.
    """
    owner = valid_owner(owner)
    if kind not in RUN_KINDS:
        raise ValueError(kind)
    ws.ensure_writable()
    _ = ws.registry  # fail before writing files when the database is unusable
    run_id = valid_id(run_id) if run_id else uuid.uuid4().hex
    rel = f"runs/{run_id}"
    record = {
        "id": run_id, "owner": owner, "kind": kind, "search_id": search_id, "label": str(label)[:MAX_LABEL],
        "dataset_fingerprint": str(dataset_fingerprint), "dataset_name": str(dataset_name)[:500],
        "model_type": result.config.model_type, "spec": to_jsonable(spec),
        "config": result.config.to_dict(), "metrics": to_jsonable(result.metrics),
        "train_seconds": float(result.train_seconds), "epochs_run": int(result.epochs_run),
        "stopped": bool(stopped or result.cancelled), "created_at": utc_now(),
        "backend": str(getattr(result, "backend", DEFAULT_BACKEND)),
    }
    with staged_folder(ws.root, ws.root / rel) as tmp:
        has_model = False
        if result.forecaster is not None and getattr(result.forecaster, "models_", None):
            from ml.forecast.bundle import save_bundle  # imports Keras: only when there are weights to save

            save_bundle(result.forecaster, tmp / "model", metrics=record["metrics"])
            has_model = True
        for name in RUN_FRAMES:
            write_frame(getattr(result, name), tmp / f"{name}.parquet")
        doc = {"format": RUN_FORMAT, "format_version": FORMAT_VERSION, "record": record,
               "result": result.saved_details(), "has_model": has_model, "details": details or {}}
        (tmp / "run.json").write_bytes(dump_json(doc))
    return register_run(ws, record, rel)


def register_run(ws: Storage, record: dict[str, Any], rel: str) -> RunRecord:
    """Add the row of a run whose folder is already in place; without the row, the folder goes too."""
    try:
        number = ws.registry.add_run({**record, "path": rel})
    except DataError:
        remove_folder(ws.root, ws.root / rel)
        raise
    return RunRecord.from_row({**record, "number": number})


def list_runs(ws: Storage, owner: str, dataset_fingerprint: str | None = None, model_type: str | None = None,
              since: datetime | None = None, until: datetime | None = None,
              search_id: str | None = None) -> list[RunRecord]:
    """The owner's runs, newest first, filtered by whichever arguments are given."""
    rows = ws.registry.list_runs(valid_owner(owner), dataset_fingerprint, model_type, since, until, search_id)
    return [RunRecord.from_row(r) for r in rows]


def get_run(ws: Storage, owner: str, run_id: str) -> RunRecord:
    row = ws.registry.get_run(valid_owner(owner), valid_id(run_id))
    if row is None:
        raise DataError("workspace.error.run_not_found", run=run_id)
    return RunRecord.from_row(row)


def run_folder(ws: Storage, owner: str, run_id: str) -> tuple[dict[str, Any], Path]:
    """The registry row of a run and its folder (``run_not_found`` when the owner has no such run)."""
    row = ws.registry.get_run(valid_owner(owner), valid_id(run_id))
    if row is None:
        raise DataError("workspace.error.run_not_found", run=run_id)
    return row, ws.root / row["path"]


def open_run(ws: Storage, owner: str, run_id: str) -> SavedRun:
    """Everything the Forecast page and the Runs page draw for a run, read back from disk (no Keras)."""
    row, folder = run_folder(ws, owner, run_id)
    missing = DataError("workspace.error.run_files_missing", run=row["label"] or run_id[:8])
    doc = read_json(folder / "run.json", missing)
    try:
        frames = {name: read_frame(folder / f"{name}.parquet") for name in RUN_FRAMES}
        result = ForecastResult.from_saved(doc["result"], frames, row)
    except (OSError, KeyError, TypeError, ValueError, ConfigError, pa.ArrowException):
        raise missing from None
    has_model = bool(doc.get("has_model")) and (folder / "model" / JSON_NAME).is_file()
    return SavedRun(record=RunRecord.from_row(row), result=result, has_model=has_model,
                    details=doc.get("details", {}))


def load_model(ws: Storage, owner: str, run_id: str):
    """The run's NeuralForecaster, rebuilt from its weights (imports Keras)."""
    row, folder = run_folder(ws, owner, run_id)
    if not (folder / "model" / JSON_NAME).is_file():
        raise DataError("workspace.error.model_missing", run=row["label"] or run_id[:8])
    from ml.forecast.bundle import load_bundle

    try:
        return load_bundle(folder / "model")
    except DataError as err:
        if err.params.get("reason") in ("missing_json", "weights_missing"):
            raise DataError("workspace.error.model_missing", run=row["label"] or run_id[:8]) from None
        raise


def model_zip(ws: Storage, owner: str, run_id: str) -> bytes:
    """The run's model as the zip ``ml.forecast.import_bundle`` reads (validated first, no Keras)."""
    row, folder = run_folder(ws, owner, run_id)
    model = folder / "model"
    if not (model / JSON_NAME).is_file():
        raise DataError("workspace.error.model_missing", run=row["label"] or run_id[:8])
    read_bundle_json(model)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(model.iterdir()):
            zf.write(path, path.name)
    return buffer.getvalue()


def rename_run(ws: Storage, owner: str, run_id: str, label: str) -> None:
    ws.ensure_writable()
    if not ws.registry.rename_run(valid_owner(owner), valid_id(run_id), str(label).strip()[:MAX_LABEL]):
        raise DataError("workspace.error.run_not_found", run=run_id)


def delete_run(ws: Storage, owner: str, run_id: str) -> bool:
    row = ws.registry.get_run(valid_owner(owner), valid_id(run_id))
    if row is None:
        return False
    ws.ensure_writable()
    ws.registry.delete_run(owner, run_id)  # the row goes first: a listed run always has its files
    remove_folder(ws.root, ws.root / row["path"])
    return True


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool)
                             and math.isfinite(value))


def validate_run_doc(doc: Any) -> dict[str, Any]:
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
