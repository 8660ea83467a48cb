"""Crash-safe file writes for the workspace: build in a staging folder on the same filesystem, fsync, rename.

A reader never sees a half-written model or dataset: either the old state (nothing, or the previous file) or the
complete new one. Staging folders left by a crash are removed the next time the workspace opens.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ml.schema import DataError

STAGING = ".staging"
TRASH = ".trash"
SESSIONS = "sessions"  # where each owner's pointer file lives (ml.workspace.sessions)
STALE_SECONDS = 3600.0  # staging folders older than this are leftovers of a crash (a live save takes seconds)


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError as err:  # some filesystems refuse fsync on folders; the data files were synced already
        if err.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            fsync_path(path)
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        fsync_path(path)
    fsync_path(root)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step (temporary file beside it, fsync, os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_path(path.parent)


@contextlib.contextmanager
def staged_folder(root: Path, final: Path) -> Iterator[Path]:
    """Yield an empty staging folder; when the block ends without error, publish it as ``final`` atomically.

    ``final`` must not exist yet (ids are fresh uuids). On error the staging folder is removed and ``final`` is
    untouched.
    """
    staging_root = root / STAGING
    staging_root.mkdir(parents=True, exist_ok=True)
    staged = staging_root / f"{uuid.uuid4().hex}"
    staged.mkdir()
    try:
        yield staged
        fsync_tree(staged)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, final)  # atomic on one filesystem; fails if final exists (never overwrite silently)
        fsync_path(final.parent)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)


def remove_folder(root: Path, folder: Path) -> None:
    """Delete a published folder: rename it into the trash first (one atomic step), then remove it."""
    if not folder.exists():
        return
    trash = root / TRASH
    trash.mkdir(parents=True, exist_ok=True)
    target = trash / f"{folder.name}.{uuid.uuid4().hex[:8]}"
    os.rename(folder, target)
    shutil.rmtree(target, ignore_errors=True)


def clean_leftovers(root: Path, max_age: float = STALE_SECONDS) -> int:
    """Remove staging folders and session-pointer temporary files of interrupted saves (older than ``max_age`` s)
    and anything left in the trash; returns how many entries went."""
    removed = 0
    now = time.time()
    staging = root / STAGING
    if staging.is_dir():
        for entry in staging.iterdir():
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > max_age:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
    trash = root / TRASH
    if trash.is_dir():
        for entry in trash.iterdir():
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    sessions = root / SESSIONS
    if sessions.is_dir():  # write_bytes_atomic's temporary files (".<name>.<hex>.tmp") of a crash mid-write
        for entry in sessions.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > max_age:
                    entry.unlink()
                    removed += 1
    return removed


def check_writable(root: Path) -> None:
    """Raise ``workspace.error.read_only`` when files cannot be created in ``root`` (probe write, not os.access:
    root ignores permission bits and network mounts lie)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{uuid.uuid4().hex[:8]}"
        with open(probe, "wb") as fh:
            fh.write(b"ok")
        probe.unlink()
    except OSError:
        raise DataError("workspace.error.read_only", path=str(root)) from None


def utc_now() -> datetime:
    """Naive UTC, as stored (SQLite has no time zones; one convention for every database)."""
    return datetime.now(UTC).replace(tzinfo=None)
