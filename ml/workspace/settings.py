"""Where the workspace lives and who sees what: three environment variables, read once per process.

- ``SALESLENS_WORKSPACE``: the folder for datasets, models and (by default) the registry; default ``./workspace``.
- ``SALESLENS_DATABASE_URL``: any SQLAlchemy URL; default ``sqlite:///<workspace>/registry.db``. A team points
  it at PostgreSQL (``postgresql+psycopg://user:pass@host/saleslens``) and the folder at a shared volume.
- ``SALESLENS_SHARED``: ``1`` makes every run and dataset visible to everyone; otherwise each browser sees its own.
- ``SALESLENS_SECRET_KEY`` (optional): signs exported run bundles; default a random key kept in the workspace.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_ROOT = "SALESLENS_WORKSPACE"
ENV_DATABASE = "SALESLENS_DATABASE_URL"
ENV_SHARED = "SALESLENS_SHARED"
ENV_SECRET = "SALESLENS_SECRET_KEY"
DEFAULT_ROOT = "workspace"
DATABASE_NAME = "registry.db"


@dataclass(frozen=True)
class WorkspaceSettings:
    root: Path
    database_url: str
    shared: bool = False
    secret: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WorkspaceSettings:
        env = os.environ if environ is None else environ
        root = Path(env.get(ENV_ROOT) or DEFAULT_ROOT).expanduser().absolute()
        url = env.get(ENV_DATABASE) or f"sqlite:///{root / DATABASE_NAME}"
        shared = str(env.get(ENV_SHARED, "")).strip().lower() in ("1", "true", "yes", "on")
        return cls(root=root, database_url=url, shared=shared, secret=env.get(ENV_SECRET) or None)

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the registry is SQLite on a file, else None."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix):].split("?", 1)[0])
        return None
