"""The run and dataset registry: one SQL database through SQLAlchemy 2 Core.

SQLite (the default, a file in the workspace) runs in WAL mode so readers never block the writer and a crash
mid-transaction leaves the last committed state; any SQLAlchemy URL works (PostgreSQL for a team deployment).
Rows carry an ``owner``; queries filter on it unless the deployment is shared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError, SQLAlchemyError

from ml.schema import DataError

SCHEMA_VERSION = 1
metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False, default="train"),  # train | trial | imported
    Column("search_id", String(32), nullable=True, index=True),
    Column("label", String(200), nullable=False, default=""),
    Column("dataset_fingerprint", String(64), nullable=False, index=True),
    Column("dataset_name", String(500), nullable=False, default=""),
    Column("model_type", String(32), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("config", JSON, nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("train_seconds", Float, nullable=False, default=0.0),
    Column("epochs_run", Integer, nullable=False, default=0),
    Column("stopped", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(), nullable=False, index=True),  # naive UTC
    Column("path", String(300), nullable=False),
    Column("backend", String(16), nullable=True),  # Keras backend that trained it; NULL: saved before, i.e. JAX
    # The owner's n-th run (1, 2, ...): the "Run 8" of the Forecast and Runs pages; never reused after a delete
    Column("number", Integer, nullable=True),
)

datasets = Table(
    "datasets", metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(64), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False),
    Column("name", String(500), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("date_min", String(10), nullable=False),
    Column("date_max", String(10), nullable=False),
    Column("created_at", DateTime(), nullable=False, index=True),  # naive UTC
    Column("path", String(300), nullable=False),
    UniqueConstraint("owner", "fingerprint", name="uq_dataset_owner_fingerprint"),
)

# Forecast trainings recorded when they start, so that one cut off by a server restart is reported as interrupted
# with its settings (see ml/workspace/started.py); the row goes when the training ends, whatever its end.
started_runs = Table(
    "started_runs", metadata,
    Column("id", String(32), primary_key=True),  # the id its run will be saved under
    Column("owner", String(64), nullable=False, index=True),
    Column("label", String(200), nullable=False, default=""),
    Column("dataset_fingerprint", String(64), nullable=False),
    Column("dataset_name", String(500), nullable=False, default=""),
    Column("spec", JSON, nullable=False),
    Column("config", JSON, nullable=False),
    Column("settings", JSON, nullable=False),  # backtest folds, interval level
    Column("status", String(16), nullable=False),  # running | interrupted
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("token", String(32), nullable=False),  # the server process that owns it (pids are reused)
    Column("created_at", DateTime(), nullable=False),  # naive UTC
)

settings_table = Table(
    "workspace_info", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

RUN_FIELDS = tuple(c.name for c in runs.columns)
DATASET_FIELDS = tuple(c.name for c in datasets.columns)


def _as_utc(value: datetime) -> datetime:
    """Stored naive UTC; the registry hands out aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a committed run survives a power cut, not just a crash
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _add_new_columns(conn: Any) -> None:
    """Add the nullable columns that came after a database was created (``create_all`` adds only missing tables);
    old rows read NULL there."""
    for table in (runs, datasets):
        present = {c["name"] for c in inspect(conn).get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")


def _next_number(conn: Any, owner: str) -> int:
    """The owner's next run number, counted in ``workspace_info`` so that deleting the last run does not give its
    number to the next one."""
    key = "runs.n." + hashlib.sha1(owner.encode()).hexdigest()  # owners run to 64 characters, keys too
    last = conn.execute(select(settings_table.c.value).where(settings_table.c.key == key)).scalar()
    highest = conn.execute(select(func.coalesce(func.max(runs.c.number), 0)).where(runs.c.owner == owner)).scalar()
    number = max(int(last or 0), int(highest or 0)) + 1
    if last is None:
        conn.execute(insert(settings_table).values(key=key, value=str(number)))
    else:
        conn.execute(update(settings_table).where(settings_table.c.key == key).values(value=str(number)))
    return number


def _number_runs(conn: Any) -> None:
    """Give the runs saved before runs had numbers theirs, in the order they were made (each owner from 1)."""
    unnumbered = conn.execute(select(runs.c.id, runs.c.owner).where(runs.c.number.is_(None))
                              .order_by(runs.c.created_at, runs.c.id)).all()
    for run_id, owner in unnumbered:
        conn.execute(update(runs).where(runs.c.id == run_id).values(number=_next_number(conn, owner)))


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Registry:
    """Run and dataset rows. Every public method raises DataError with a message id on database trouble."""

    def __init__(self, url: str, shared: bool = False) -> None:
        self.url = url
        self.shared = shared
        self.engine = make_engine(url)
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                _add_new_columns(conn)
                _number_runs(conn)
                if url.startswith("sqlite"):
                    check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                    if check != "ok":
                        raise DatabaseError("quick_check", None, Exception(str(check)))
                found = conn.execute(select(settings_table.c.value).where(settings_table.c.key == "schema")).scalar()
                if found is None:
                    conn.execute(insert(settings_table).values(key="schema", value=str(SCHEMA_VERSION)))
                elif found != str(SCHEMA_VERSION):
                    raise DataError("workspace.error.database_version", found=found, supported=SCHEMA_VERSION)
        except DataError:
            self.engine.dispose()
            raise
        except SQLAlchemyError as err:
            self.engine.dispose()
            raise self._error(err) from None

    def _error(self, err: Exception) -> DataError:
        text = str(getattr(err, "orig", err)).lower()
        where = self.engine.url.render_as_string(hide_password=True)
        if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
            return DataError("workspace.error.database_read_only", url=where)
        if isinstance(err, DatabaseError) and not isinstance(err, OperationalError) or "not a database" in text \
                or "malformed" in text or "quick_check" in text or "corrupt" in text:
            return DataError("workspace.error.database_corrupt", url=where)
        return DataError("workspace.error.database", url=where, detail=type(getattr(err, "orig", err)).__name__)

    def close(self) -> None:
        self.engine.dispose()

    def _mine(self, table: Table, owner: str):
        return True if self.shared else table.c.owner == owner

    # -------------------------------------------------------------------------------------------- runs
    def add_run(self, row: dict[str, Any]) -> int | None:
        """Insert a run's row; returns the number it was given (the owner's next one unless the row has one)."""
        try:
            with self.engine.begin() as conn:
                values = {k: row[k] for k in RUN_FIELDS if k in row}
                values["number"] = values.get("number") or _next_number(conn, row["owner"])
                conn.execute(insert(runs).values(**values))
                return values["number"]
        except IntegrityError as err:  # the same folder listed meanwhile by another process's repair: done
            found = self._read(select(runs.c.number).where(runs.c.id == row["id"], runs.c.path == row["path"]))
            if not found:
                raise self._error(err) from None
            return found[0][0]
        except SQLAlchemyError as err:
            raise self._error(err) from None

    def list_runs(self, owner: str, dataset_fingerprint: str | None = None, model_type: str | None = None,
                  since: datetime | None = None, until: datetime | None = None, search_id: str | None = None,
                  ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        query = select(runs).where(self._mine(runs, owner))
        if dataset_fingerprint:
            query = query.where(runs.c.dataset_fingerprint == dataset_fingerprint)
        if model_type:
            query = query.where(runs.c.model_type == model_type)
        if since is not None:
            query = query.where(runs.c.created_at >= since.astimezone(UTC).replace(tzinfo=None))
        if until is not None:
            query = query.where(runs.c.created_at < until.astimezone(UTC).replace(tzinfo=None))
        if search_id:
            query = query.where(runs.c.search_id == search_id)
        if ids is not None:
            query = query.where(runs.c.id.in_(list(ids)))
        rows = self._read(query.order_by(runs.c.created_at.desc(), runs.c.id))
        return [self._run_row(r) for r in rows]

    def get_run(self, owner: str, run_id: str) -> dict[str, Any] | None:
        rows = self._read(select(runs).where(self._mine(runs, owner), runs.c.id == run_id))
        return self._run_row(rows[0]) if rows else None

    def rename_run(self, owner: str, run_id: str, label: str) -> bool:
        return self._write(update(runs).where(self._mine(runs, owner), runs.c.id == run_id).values(label=label)) > 0

    def delete_run(self, owner: str, run_id: str) -> bool:
        return self._write(delete(runs).where(self._mine(runs, owner), runs.c.id == run_id)) > 0

    def all_run_paths(self) -> set[str]:
        return {r[0] for r in self._read(select(runs.c.path))}

    def count_runs(self, owner: str) -> int:
        return int(self._read(select(func.count()).select_from(runs).where(self._mine(runs, owner)))[0][0])

    @staticmethod
    def _run_row(row: Any) -> dict[str, Any]:
        data = dict(row._mapping)
        data["created_at"] = _as_utc(data["created_at"])
        return data

    # -------------------------------------------------------------------------------------------- datasets
    def upsert_dataset(self, row: dict[str, Any]) -> str:
        """Insert a dataset row, or refresh the date of the owner's row with the same fingerprint; returns its id."""
        existing = self._read(select(datasets.c.id).where(
            datasets.c.owner == row["owner"], datasets.c.fingerprint == row["fingerprint"]))
        if existing:
            self._write(update(datasets).where(datasets.c.id == existing[0][0]).values(created_at=row["created_at"]))
            return existing[0][0]
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(datasets).values(**{k: row[k] for k in DATASET_FIELDS if k in row}))
        except IntegrityError:  # another writer saved the same data for this owner between the read and the insert
            existing = self._read(select(datasets.c.id).where(
                datasets.c.owner == row["owner"], datasets.c.fingerprint == row["fingerprint"]))
            if not existing:
                raise self._error(DatabaseError("insert", None, Exception("integrity"))) from None
            return existing[0][0]
        except SQLAlchemyError as err:
            raise self._error(err) from None
        return row["id"]

    def list_datasets(self, owner: str) -> list[dict[str, Any]]:
        rows = self._read(select(datasets).where(self._mine(datasets, owner)).order_by(datasets.c.created_at.desc()))
        return [{**dict(r._mapping), "created_at": _as_utc(r._mapping["created_at"])} for r in rows]

    def get_dataset(self, owner: str, dataset_id: str) -> dict[str, Any] | None:
        rows = self._read(select(datasets).where(self._mine(datasets, owner), datasets.c.id == dataset_id))
        return {**dict(rows[0]._mapping), "created_at": _as_utc(rows[0]._mapping["created_at"])} if rows else None

    def find_dataset(self, owner: str, fingerprint: str) -> dict[str, Any] | None:
        rows = self._read(select(datasets).where(self._mine(datasets, owner), datasets.c.fingerprint == fingerprint)
                          .order_by(datasets.c.created_at.desc()))
        return {**dict(rows[0]._mapping), "created_at": _as_utc(rows[0]._mapping["created_at"])} if rows else None

    def delete_dataset(self, owner: str, dataset_id: str) -> bool:
        return self._write(delete(datasets).where(self._mine(datasets, owner), datasets.c.id == dataset_id)) > 0

    def all_dataset_paths(self) -> set[str]:
        return {r[0] for r in self._read(select(datasets.c.path))}

    # -------------------------------------------------------------------------------------------- started runs
    def add_started(self, row: dict[str, Any]) -> None:
        self._write(insert(started_runs).values(**row))

    def list_started(self, owner: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        query = select(started_runs)
        if owner is not None:
            query = query.where(self._mine(started_runs, owner))
        if status is not None:
            query = query.where(started_runs.c.status == status)
        rows = self._read(query.order_by(started_runs.c.created_at.desc()))
        return [{**dict(r._mapping), "created_at": _as_utc(r._mapping["created_at"])} for r in rows]

    def set_started_status(self, run_id: str, status: str) -> bool:
        return self._write(update(started_runs).where(started_runs.c.id == run_id).values(status=status)) > 0

    def delete_started(self, run_id: str, owner: str | None = None) -> bool:
        where = [started_runs.c.id == run_id] + ([self._mine(started_runs, owner)] if owner is not None else [])
        return self._write(delete(started_runs).where(*where)) > 0

    def run_exists(self, run_id: str) -> bool:
        return bool(self._read(select(runs.c.id).where(runs.c.id == run_id)))

    # -------------------------------------------------------------------------------------------- plumbing
    def _read(self, query) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(query))
        except SQLAlchemyError as err:
            raise self._error(err) from None

    def _write(self, statement) -> int:
        try:
            with self.engine.begin() as conn:
                return conn.execute(statement).rowcount
        except SQLAlchemyError as err:
            raise self._error(err) from None
