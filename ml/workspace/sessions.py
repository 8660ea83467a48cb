"""Where each owner left off: ``sessions/<owner>.json`` names the dataset ('sample' or a saved id) and the run they
used last, so a reloaded browser opens where it was."""

from __future__ import annotations

import json

from ml.workspace.files import SESSIONS, write_bytes_atomic
from ml.workspace.formats import Storage, dump_json, valid_owner

_KEYS = ("dataset", "run")


def session_pointer(ws: Storage, owner: str) -> dict[str, str]:
    """The dataset ('sample' or a saved id) and run an owner used last ({} when none)."""
    path = ws.root / SESSIONS / f"{valid_owner(owner)}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return {k: v for k, v in doc.items() if k in _KEYS and isinstance(v, str)} if isinstance(doc, dict) else {}


def set_session_pointer(ws: Storage, owner: str, dataset: str | None = None, run: str | None = None) -> None:
    before = session_pointer(ws, owner)
    current = dict(before)
    if dataset is not None:
        current["dataset"] = dataset
    if run is not None:
        current["run"] = run
    if current == before:
        return  # already so (e.g. a restore that loads the sample it pointed at)
    ws.ensure_writable()
    write_bytes_atomic(ws.root / SESSIONS / f"{owner}.json", dump_json(current))
