"""Run bundles: one run (record, frames, model) as a signed zip that another workspace with the same key imports.

The zip holds ``manifest.json`` (the sha256 of every member, the dataset fingerprint and the HMAC signature of
``signing``) beside the run folder's files. An import checks, in order: zip and member names and sizes, member
checksums, signature, run.json's shape, then the model bundle and the frames, before anything is registered.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from ml.forecast.bundle import read_bundle_json
from ml.forecast.pipeline import ForecastResult
from ml.schema import ConfigError, DataError
from ml.workspace.files import staged_folder, utc_now
from ml.workspace.formats import (
    FORMAT_VERSION,
    MAX_LABEL,
    RUN_BUNDLE_FORMAT,
    RUN_FRAMES,
    Storage,
    dump_json,
    read_frame,
    valid_owner,
)
from ml.workspace.runs import RunRecord, register_run, run_folder, validate_run_doc
from ml.workspace.signing import sign_manifest, signed_by

MAX_BUNDLE_BYTES = 128 * 1024 * 1024
MAX_BUNDLE_UNCOMPRESSED = 512 * 1024 * 1024
MAX_BUNDLE_MEMBERS = 64
_BUNDLE_MEMBER = re.compile(
    r"^(manifest\.json|run\.json|(history|holdout|future|scorecard|summary)\.parquet|"
    r"model/forecaster\.json|model/weights_[0-9]{1,5}\.weights\.h5)$"
)


def export_run(ws: Storage, secret: Callable[[], bytes], owner: str, run_id: str) -> bytes:
    """A signed zip: manifest (sha256 of every member + HMAC), run.json, frames, model. ``secret`` gives the
    signing key (``signing.workspace_secret``), asked for only once the run's files are read."""
    row, folder = run_folder(ws, owner, run_id)
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
    manifest["signature"] = sign_manifest(secret(), manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", dump_json(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def import_run(ws: Storage, secret: Callable[[], bytes], owner: str, data: bytes, label: str | None = None) -> RunRecord:
    """Validate an exported run bundle and add it to ``owner``'s runs (a new id; kind 'imported').

    Refused with a message id: not a zip or unexpected members (``bundle_invalid``), a member that does not
    match the manifest (``bundle_tampered``), a signature from another workspace (``bundle_foreign``).
    """
    owner = valid_owner(owner)
    members = unzip_bundle(data)
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
    if not signed_by(secret(), manifest):
        raise DataError("workspace.error.bundle_foreign")
    doc = _parse_json(members.get("run.json"), "run_json")
    record = validate_run_doc(doc)
    if record["dataset_fingerprint"] != manifest.get("dataset_fingerprint"):
        raise DataError("workspace.error.bundle_tampered")
    ws.ensure_writable()
    run_id = uuid.uuid4().hex
    rel = f"runs/{run_id}"
    record.update(id=run_id, owner=owner, kind="imported", search_id=None, created_at=utc_now())
    if label is not None:
        record["label"] = str(label)[:MAX_LABEL]
    doc["record"] = record
    with staged_folder(ws.root, ws.root / rel) as tmp:
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
            ForecastResult.from_saved(doc["result"], {n: read_frame(tmp / f"{n}.parquet") for n in RUN_FRAMES},
                                      record)
        except (KeyError, TypeError, ValueError, ConfigError, pa.ArrowException):
            raise DataError("workspace.error.bundle_invalid", reason="frames") from None
        (tmp / "run.json").write_bytes(dump_json(doc))
    return register_run(ws, record, rel)


def unzip_bundle(data: bytes) -> dict[str, bytes]:
    """The members of a bundle zip by name, within the size, count and name limits (else a DataError)."""
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


def _parse_json(content: bytes | None, reason: str) -> Any:
    if content is None:
        raise DataError("workspace.error.bundle_invalid", reason=f"missing_{reason}")
    try:
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DataError("workspace.error.bundle_invalid", reason=reason) from None
