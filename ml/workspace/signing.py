"""The key that signs exported run bundles, and the signature: an HMAC-SHA256 of the manifest.

A bundle imports only into a workspace holding the same key (``SALESLENS_SECRET_KEY``, else ``secret.key`` in the
folder, written once with 256 random bits), so a bundle from elsewhere is refused rather than trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ml.schema import DataError

KEY_FILE = "secret.key"
MIN_KEY_BYTES = 32


def workspace_secret(root: Path, configured: str | None, ensure_writable: Callable[[], None]) -> bytes:
    """The configured key, else ``root/secret.key`` (created by the first caller; ``ensure_writable`` runs
    before)."""
    if configured:
        return configured.encode("utf-8")
    path = root / KEY_FILE
    if not path.is_file():
        ensure_writable()
        try:
            with open(path, "xb") as fh:  # the first writer wins; others read what it wrote
                fh.write(secrets.token_hex(32).encode())
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(path, 0o600)
        except FileExistsError:
            pass
    key = path.read_bytes().strip()
    if len(key) < MIN_KEY_BYTES:
        raise DataError("workspace.error.secret_invalid", path=str(path))
    return key


def sign_manifest(secret: bytes, manifest: dict[str, Any]) -> str:
    """HMAC-SHA256 (hex) of the manifest without its ``signature``, keys sorted."""
    payload = json.dumps({k: v for k, v in manifest.items() if k != "signature"}, sort_keys=True).encode()
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def signed_by(secret: bytes, manifest: dict[str, Any]) -> bool:
    """Whether the manifest's ``signature`` was made with ``secret`` (compared in constant time)."""
    return hmac.compare_digest(str(manifest.get("signature", "")), sign_manifest(secret, manifest))
