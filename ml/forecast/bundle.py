"""Saving and loading a trained NeuralForecaster: Keras weights (``.weights.h5``) plus one JSON file.

No pickle and no ``keras.models.load_model``: the JSON describes the architecture with a ForecastConfig, loading
rebuilds the network from it and reads only weight arrays from the h5 files. The JSON is validated (types, known
model type, bounds, consistency of features and scalers, sha256 of every weights file) and anything off raises
``DataError("forecast.error.bundle_invalid", reason=...)``. ``export_bundle``/``import_bundle`` wrap the same
files in a zip for download/upload, with caps on sizes and member names.

``backend`` names the Keras backend that trained the model (``tensorflow`` or ``jax``; bundles written before it was
recorded were trained on JAX). The weights files are the same on both, so a bundle loads on either backend.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import platform
import re
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ml.forecast.config import PARTNERS, ForecastConfig
from ml.forecast.data import COVARIATES
from ml.forecast.features import calendar_feature_names
from ml.forecast.forecaster import GLOBAL_KEY, NeuralForecaster, member_key
from ml.forecast.smoothing import SmootherParams
from ml.forecast.windows import SeriesScaler
from ml.keras_runtime import BACKENDS, DEFAULT_BACKEND
from ml.schema import ConfigError, DataError

FORMAT = "saleslens.forecast.bundle"
FORMAT_VERSION = 1
JSON_NAME = "forecaster.json"
WEIGHTS_PATTERN = re.compile(r"^weights_[0-9]{1,5}\.weights\.h5$")
MAX_JSON_BYTES = 8 * 1024 * 1024
MAX_ZIP_BYTES = 64 * 1024 * 1024  # upload cap for import_bundle
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 256
MAX_SERIES = 10_000
MAX_CALIBRATION_ROWS = 2_000
FREQS = re.compile(r"^(D|MS|W-(MON|TUE|WED|THU|FRI|SAT|SUN))$")


def _invalid(reason: str, **params: object) -> DataError:
    return DataError("forecast.error.bundle_invalid", reason=reason, **params)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_bundle(forecaster: NeuralForecaster, directory: str | Path,
                metrics: dict[str, Any] | None = None) -> Path:
    """Write ``forecaster.json`` and one ``weights_<i>.weights.h5`` per network into ``directory``."""
    forecaster._check_fitted()
    from ml.forecast import network

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    models = []
    for i, (key, model) in enumerate(forecaster.models_.items()):
        name = f"weights_{i}.weights.h5"
        model.save_weights(directory / name)
        inputs = model.inputs
        models.append({
            "key": key, "file": name, "sha256": _sha256(directory / name),
            "past_features": int(inputs[0].shape[-1]),
            "future_features": next((int(i.shape[-1]) for i in inputs[1:] if "future" in i.name), 0),
        })
    calib = np.asarray(forecaster.calibration_residuals_, dtype=np.float64)[-MAX_CALIBRATION_ROWS:]
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": trained_backend(forecaster),
        "config": forecaster.config.to_dict(),
        "freq": forecaster.freq_,
        "series": list(forecaster.series_),
        "covariates": list(forecaster.covariates_),
        "calendar_features": list(forecaster.calendar_names_),
        "scalers": {uid: s.to_dict() for uid, s in forecaster.scalers_.items()},
        "models": models,
        "fingerprint": forecaster.fingerprint_,
        "metrics": _jsonable(metrics or {}),
        "training": {
            "epochs_run": int(forecaster.epochs_run_), "train_seconds": float(forecaster.train_seconds_),
            "best_epoch": int(forecaster.best_epoch_), "history": _jsonable(forecaster.history_),
        },
        "calibration_residuals": [[_finite_or_none(v) for v in row] for row in calib.tolist()],
        "combine": {"weights": {uid: float(w) for uid, w in getattr(forecaster, "combine_weights_", {}).items()},
                    "smoothers": {uid: p.to_dict() for uid, p in getattr(forecaster, "smoothers_", {}).items()},
                    "partners": {uid: {n: float(w) for n, w in shares.items()}
                                 for uid, shares in getattr(forecaster, "combine_partners_", {}).items()}},
        "versions": {**network.versions(), "python": platform.python_version(), "numpy": np.__version__},
    }
    (directory / JSON_NAME).write_text(json.dumps(document, indent=1, allow_nan=False), encoding="utf-8")
    return directory


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _finite_or_none(float(value))
    return str(value)


def read_bundle_json(directory: str | Path) -> dict[str, Any]:
    """Read and validate a bundle's JSON (no Keras needed); raises DataError on anything unexpected."""
    directory = Path(directory)
    path = directory / JSON_NAME
    if not path.is_file():
        raise _invalid("missing_json")
    if path.stat().st_size > MAX_JSON_BYTES:
        raise _invalid("json_too_large")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _invalid("json_unreadable") from None
    _validate(doc, directory)
    return doc


def _expect(condition: bool, reason: str) -> None:
    if not condition:
        raise _invalid(reason)


def _validate(doc: Any, directory: Path) -> None:
    _expect(isinstance(doc, dict), "not_an_object")
    _expect(doc.get("format") == FORMAT, "wrong_format")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise DataError("forecast.error.bundle_version", found=str(version), supported=FORMAT_VERSION)
    try:
        config = ForecastConfig.from_dict(doc.get("config"))
    except (ConfigError, TypeError):
        raise _invalid("config") from None
    freq = doc.get("freq")
    _expect(isinstance(freq, str) and bool(FREQS.match(freq)), "freq")
    series = doc.get("series")
    _expect(isinstance(series, list) and 0 < len(series) <= MAX_SERIES, "series")
    _expect(all(isinstance(s, str) and len(s) <= 500 for s in series) and len(set(series)) == len(series), "series")
    covariates = doc.get("covariates")
    _expect(isinstance(covariates, list) and all(c in COVARIATES for c in covariates), "covariates")
    _expect(len(set(covariates)) == len(covariates) and (config.use_covariates or not covariates), "covariates")
    _expect(doc.get("calendar_features") == calendar_feature_names(config, freq), "calendar_features")
    scalers = doc.get("scalers")
    _expect(isinstance(scalers, dict) and sorted(scalers) == sorted(series), "scalers")
    for data in scalers.values():
        _expect(isinstance(data, dict) and data.get("kind") == config.scaler, "scalers")
        for key in ("loc", "scale"):
            value = data.get(key)
            _expect(isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value), "scalers")
        _expect(data["scale"] > 0, "scalers")
        covs = data.get("covariates", {})
        _expect(isinstance(covs, dict) and sorted(covs) == sorted(covariates), "scalers")
        for pair in covs.values():
            _expect(isinstance(pair, list) and len(pair) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in pair)
                and pair[1] > 0, "scalers")
    models = doc.get("models")
    expected_keys = [member_key(k, i) for k in ([GLOBAL_KEY] if config.global_model else series)
                     for i in range(config.ensemble)]
    _expect(isinstance(models, list) and all(isinstance(m, dict) for m in models), "models")
    _expect(sorted(m.get("key") for m in models if isinstance(m.get("key"), str)) == sorted(expected_keys), "models")
    n_cal = len(doc["calendar_features"])
    for m in models:
        name = m.get("file")
        _expect(isinstance(name, str) and bool(WEIGHTS_PATTERN.match(name)), "weights_name")
        _expect(m.get("past_features") == 1 + n_cal + len(covariates), "feature_count")
        _expect(m.get("future_features") == n_cal, "feature_count")
        path = directory / name
        _expect(path.is_file(), "weights_missing")
        _expect(m.get("sha256") == _sha256(path), "weights_checksum")
    calib = doc.get("calibration_residuals", [])
    _expect(isinstance(calib, list) and len(calib) <= MAX_CALIBRATION_ROWS, "calibration")
    _expect(all(isinstance(row, list) and len(row) == config.horizon and all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in row) for row in calib),
        "calibration")
    combine = doc.get("combine", {"weights": {}, "smoothers": {}})
    _expect(isinstance(combine, dict) and isinstance(combine.get("weights"), dict)
            and isinstance(combine.get("smoothers"), dict), "combine")
    _expect(all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1
                for v in combine["weights"].values()), "combine")
    partners = combine.get("partners", {})  # absent in bundles from before the three-way blend: ETS at 1 - weight
    _expect(isinstance(partners, dict) and all(
        isinstance(shares, dict) and set(shares) <= set(PARTNERS) and all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in shares.values())
        for shares in partners.values()) and set(partners) <= set(series), "combine")
    if config.combine != "none":  # "ets_model" refits the scorecard's ETS on what it forecasts: no smoother saved
        _expect(sorted(combine["weights"]) == sorted(series), "combine")
        _expect(sorted(combine["smoothers"]) == (sorted(series) if config.combine == "ets" else []), "combine")
        for params in combine["smoothers"].values():
            try:
                SmootherParams.from_dict(params)
            except (KeyError, TypeError, ValueError):
                raise _invalid("combine") from None
    fingerprint = doc.get("fingerprint")
    _expect(isinstance(fingerprint, str) and bool(re.fullmatch(r"[0-9a-f]{64}", fingerprint)), "fingerprint")
    _expect(doc.get("backend", DEFAULT_BACKEND) in BACKENDS, "backend")


def trained_backend(forecaster: NeuralForecaster) -> str:
    """The backend that trained a forecaster (``jax`` for one loaded from a bundle that did not record it)."""
    return getattr(forecaster, "backend_", DEFAULT_BACKEND)


def load_bundle(directory: str | Path) -> NeuralForecaster:
    """Rebuild a NeuralForecaster from a bundle directory written by ``save_bundle``."""
    directory = Path(directory)
    doc = read_bundle_json(directory)
    from ml.forecast import network

    config = ForecastConfig.from_dict(doc["config"])
    forecaster = NeuralForecaster(config)
    forecaster.freq_ = doc["freq"]
    forecaster.series_ = list(doc["series"])
    forecaster.covariates_ = list(doc["covariates"])
    forecaster.calendar_names_ = list(doc["calendar_features"])
    forecaster.scalers_ = {uid: SeriesScaler.from_dict(d) for uid, d in doc["scalers"].items()}
    forecaster.fingerprint_ = doc["fingerprint"]
    forecaster.backend_ = doc.get("backend", DEFAULT_BACKEND)
    training = doc.get("training", {}) if isinstance(doc.get("training"), dict) else {}
    forecaster.epochs_run_ = int(training.get("epochs_run", 0) or 0)
    forecaster.train_seconds_ = float(training.get("train_seconds", 0.0) or 0.0)
    forecaster.best_epoch_ = int(training.get("best_epoch", -1) or -1)
    forecaster.history_ = training.get("history", {}) if isinstance(training.get("history"), dict) else {}
    forecaster.cancelled_ = False
    calib = [[np.nan if v is None else float(v) for v in row] for row in doc.get("calibration_residuals", [])]
    forecaster.calibration_residuals_ = np.asarray(calib, dtype=np.float64).reshape(-1, config.horizon)
    forecaster.metrics_ = doc.get("metrics", {})
    combine = doc.get("combine", {"weights": {}, "smoothers": {}})
    forecaster.combine_weights_ = {uid: float(combine["weights"].get(uid, 1.0)) for uid in forecaster.series_}
    forecaster.smoothers_ = {uid: SmootherParams.from_dict(p) for uid, p in combine["smoothers"].items()}
    forecaster.combine_partners_ = {uid: {n: float(w) for n, w in shares.items()}
                                    for uid, shares in combine.get("partners", {}).items()}
    forecaster.models_ = {}
    for m in doc["models"]:
        model = network.build_network(config, m["past_features"], m["future_features"])
        try:
            model.load_weights(directory / m["file"])
        except Exception:  # h5py/keras raise many types for a malformed file
            raise _invalid("weights_unreadable") from None
        forecaster.models_[m["key"]] = model
    return forecaster


def export_bundle(forecaster: NeuralForecaster, metrics: dict[str, Any] | None = None) -> bytes:
    """The bundle as zip bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        save_bundle(forecaster, tmp, metrics)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(Path(tmp).iterdir()):
                zf.write(path, path.name)
        return buffer.getvalue()


def import_bundle(data: bytes, max_bytes: int = MAX_ZIP_BYTES) -> NeuralForecaster:
    """Load a forecaster from zip bytes (an upload). Caps the upload size, the member count, every member's
    size and name (flat names only: ``forecaster.json`` and ``weights_<i>.weights.h5``)."""
    if len(data) > max_bytes:
        raise DataError("forecast.error.bundle_too_large", size=len(data), limit=max_bytes)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _invalid("not_a_zip") from None
    with zf, tempfile.TemporaryDirectory() as tmp:
        members = zf.infolist()
        _expect(0 < len(members) <= MAX_MEMBERS, "zip_members")
        total = 0
        for info in members:
            name = info.filename
            _expect(name == JSON_NAME or bool(WEIGHTS_PATTERN.match(name)), "zip_member_name")
            total += info.file_size
            if total > MAX_UNCOMPRESSED_BYTES:
                raise DataError("forecast.error.bundle_too_large", size=total, limit=MAX_UNCOMPRESSED_BYTES)
        for info in members:
            with zf.open(info) as src:
                content = src.read(MAX_UNCOMPRESSED_BYTES + 1)
            _expect(len(content) == info.file_size, "zip_member_size")
            (Path(tmp) / info.filename).write_bytes(content)
        # every member must be one forecaster.json lists: an extra weights file with a valid name is refused too
        listed = {JSON_NAME, *(m.get("file") for m in read_bundle_json(tmp)["models"])}
        _expect({info.filename for info in members} == listed, "zip_member_unlisted")
        return load_bundle(tmp)
