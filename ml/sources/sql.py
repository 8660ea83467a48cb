"""A dataset from a SQL query against the shop's own database (SQLAlchemy): read-only, capped, streamed.

``read_query(url, query)`` runs one SELECT in a read-only transaction under a statement timeout, streams its rows in
chunks into text columns (the text a CSV export of the same rows holds: ISO dates, plain numbers, empty for NULL)
and returns them as one "file": an Arrow IPC file that ``ml.ingest.read_upload`` recognises. From there the column
mapping, cleaning and validation report are the upload path's own, and the Data page can re-read the result with
another mapping or other options without running the query again. The query and the URL *without its password*
travel with the result (``FileFormat.source``), so the workspace keeps where a dataset came from, never a password.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import json
import logging
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ml.limits import LIMITS, IngestLimits
from ml.schema import DataError

QUERY_MAGIC = b"ARROW1"  # an Arrow IPC file; only ones carrying _META_KEY are read as query results
_META_KEY = b"saleslens.sql"
CHUNK_ROWS = 50_000  # rows fetched and converted at a time
CONNECT_TIMEOUT_S = 10
_log = logging.getLogger(__name__)

# Comments, string literals, quoted identifiers and PostgreSQL dollar-quoted bodies: blanked before the checks, so
# a product called 'DELETE ME' or a column "update" is not mistaken for a statement.
_OPAQUE = re.compile(r"""--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\$(\w*)\$.*?\$\1\$""", re.S)
_FIRST_WORD = re.compile(r"^[\s(]*([A-Za-z_]+)")
# Words that write, lock, or reach outside the query even inside a SELECT or WITH (SELECT ... INTO, data-modifying
# CTEs, FOR UPDATE). The read-only transaction refuses these too where the database supports one.
_WRITING_WORDS = re.compile(
    r"\b(insert|update|delete|merge|upsert|create|drop|alter|truncate|grant|revoke|copy|call|exec|execute|attach|"
    r"detach|pragma|vacuum|into|lock|load|handler|reindex|cluster|refresh|comment|import)\b", re.I
)
_DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "mysqldb": "mysqlclient",
                    "pymysql": "PyMySQL", "mysqlconnector": "mysql-connector-python", "asyncpg": "asyncpg"}
_SECRET_PARAM = re.compile(r"pass|secret|token|key", re.I)


# ------------------------------------------------------------------------------------------------ the query


def check_query(query: str) -> str:
    """The query to run (one SELECT or WITH ... SELECT, a trailing semicolon removed), else a DataError saying
    why it is refused."""
    text = (query or "").strip()
    blanked = _OPAQUE.sub(lambda m: "''" if m.group(0)[:1] in "'\"`$" else " ", text).strip()
    while blanked.endswith(";"):
        blanked = blanked[:-1].rstrip()
        text = text.rstrip().removesuffix(";")
    if not blanked:
        raise DataError("sql.error.empty_query")
    if ";" in blanked:
        raise DataError("sql.error.one_statement")
    first = _FIRST_WORD.match(blanked)
    word = first.group(1) if first else blanked.split()[0]
    if word.lower() not in ("select", "with"):
        raise DataError("sql.error.not_select", word=word.upper()[:30])
    writing = _WRITING_WORDS.search(blanked)
    if writing:
        raise DataError("sql.error.not_select", word=writing.group(1).upper())
    return text.strip()


# ------------------------------------------------------------------------------------------------ the URL


def url_from_settings(settings: Mapping[str, Any]):
    """A SQLAlchemy URL from one ``[connections.<name>]`` table of ``secrets.toml``, as Streamlit's
    ``st.connection(..., type="sql")`` reads it: ``url``, or ``dialect`` (+ ``driver``), ``username``,
    ``password``, ``host``, ``port``, ``database`` and ``query``."""
    from sqlalchemy.engine import URL

    if settings.get("url"):
        return parse_url(str(settings["url"]))
    if not settings.get("dialect"):
        raise DataError("sql.error.bad_url", url="(dialect missing)")
    driver = str(settings["dialect"]) + (f"+{settings['driver']}" if settings.get("driver") else "")
    try:
        port = int(settings["port"]) if settings.get("port") not in (None, "") else None
        return URL.create(drivername=driver, username=settings.get("username"), password=settings.get("password"),
                          host=settings.get("host"), port=port, database=settings.get("database"),
                          query=dict(settings.get("query") or {}))
    except (TypeError, ValueError) as exc:
        raise DataError("sql.error.bad_url", url=driver) from exc


def parse_url(url: Any):
    """A SQLAlchemy URL with a driver that is installed here: ``postgresql://`` (and ``postgres://``) use psycopg 3,
    ``mysql://`` uses mysqlclient when installed, else PyMySQL."""
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    if isinstance(url, URL):
        parsed = url
    else:
        try:
            parsed = make_url(str(url).strip())
        except (ArgumentError, ValueError, TypeError) as exc:
            raise DataError("sql.error.bad_url", url=_redact_text(str(url))[:200]) from exc
    name = parsed.drivername
    if name in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif name.startswith("postgres+"):
        parsed = parsed.set(drivername="postgresql+" + name.split("+", 1)[1])
    elif name == "mysql" and importlib.util.find_spec("MySQLdb") is None and importlib.util.find_spec("pymysql"):
        parsed = parsed.set(drivername="mysql+pymysql")
    return parsed


def redact_url(url: Any) -> str:
    """The URL as it may be shown, logged and stored: no password, no secret-looking query parameter."""
    parsed = url if not isinstance(url, str) else parse_url(url)
    query = {k: ("***" if _SECRET_PARAM.search(k) else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True)


def _redact_text(text: str) -> str:
    """A URL-looking string with its password replaced (for a URL too broken to parse)."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def _server(url) -> str:
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}/{url.database or ''}"


def _engine(url):
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    from sqlalchemy.pool import NullPool

    backend = url.get_backend_name()
    if backend == "sqlite" and url.database not in (None, "", ":memory:") and not url.database.startswith("file:"):
        if not Path(url.database).is_file():  # sqlite3 would create an empty file and find no tables in it
            raise DataError("sql.error.no_database", database=url.database)
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if backend in ("postgresql", "mysql", "mariadb") else {}
    try:
        return create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except NoSuchModuleError as exc:
        raise DataError("sql.error.unknown_dialect", dialect=url.drivername) from exc
    except ImportError as exc:  # the dialect is known, its DBAPI driver is not installed
        driver = url.get_driver_name()
        raise DataError("sql.error.driver_missing", dialect=backend, driver=driver,
                        package=_DRIVER_PACKAGES.get(driver, driver)) from exc
    except (ArgumentError, TypeError, ValueError) as exc:
        raise DataError("sql.error.bad_url", url=redact_url(url)) from exc


# ------------------------------------------------------------------------------------------------ reading


def read_query(url: Any, query: str, limits: IngestLimits = LIMITS, name: str | None = None,
               chunk_rows: int = CHUNK_ROWS) -> tuple[str, bytes]:
    """Run ``query`` read-only and return ``(name, data)``: a file for ``ml.dataset.load_dataset`` (and
    ``load_dataset_isolated``) like any upload. Refuses (DataError) a URL it cannot use, a server it cannot reach, a
    query that is not one SELECT or that the database rejects, and results past the caps of ``limits`` (rows,
    columns, text size) or running past ``limits.query_timeout_s``."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    statement = check_query(query)
    parsed = parse_url(url)
    shown = redact_url(parsed)
    engine = _engine(parsed)
    backend = parsed.get_backend_name()
    driver_error = getattr(engine.dialect.loaded_dbapi, "Error", DBAPIError)
    label = name or f"{Path(parsed.database).name if backend == 'sqlite' and parsed.database else parsed.database or backend} (SQL)"
    deadline = time.monotonic() + limits.query_timeout_s
    _log.info("running a query on %s", shown)
    try:
        try:
            conn = engine.connect()
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise DataError("sql.error.unreachable", server=_server(parsed), reason=_reason(exc, parsed)) from exc
        with conn:
            try:
                _read_only(conn, backend, limits.query_timeout_s, deadline)
                result = conn.execution_options(stream_results=True, max_row_buffer=chunk_rows).exec_driver_sql(statement)
                if not result.returns_rows:
                    raise DataError("sql.error.no_result")
                names = _column_names(list(result.keys()))
                if len(names) > limits.max_columns:
                    raise DataError("ingest.error.too_many_columns", name=label, count=len(names), limit=limits.max_columns)
                source = {"kind": "sql", "dialect": backend, "url": shown, "query": statement}
                schema = pa.schema([(n, pa.string()) for n in names],
                                   metadata={_META_KEY: json.dumps(source, ensure_ascii=False).encode()})
                sink = pa.BufferOutputStream()
                rows = text_bytes = 0
                with pa.ipc.new_file(sink, schema) as writer:
                    for chunk in _chunks(result, chunk_rows):
                        rows += len(chunk)
                        if rows > limits.max_rows:
                            raise DataError("ingest.error.too_many_rows", name=label, limit=limits.max_rows)
                        columns = list(zip(*chunk, strict=True))  # rows -> columns, at C speed
                        batch = pa.record_batch([text_column(list(c)) for c in columns], schema=schema)
                        text_bytes += batch.nbytes
                        if text_bytes > limits.max_inflated_bytes:
                            raise DataError("sql.error.too_large", limit_mb=limits.max_inflated_mb)
                        writer.write_batch(batch)
                        if time.monotonic() > deadline:
                            raise DataError("sql.error.timeout", seconds=limits.query_timeout_s)
                result.close()
            except (DBAPIError, SQLAlchemyError, driver_error) as exc:  # the driver's own: past the first chunk
                if _is_timeout(exc) or time.monotonic() > deadline:
                    raise DataError("sql.error.timeout", seconds=limits.query_timeout_s) from exc
                raise DataError("sql.error.query_failed", reason=_reason(exc, parsed)) from exc
            finally:
                try:
                    conn.rollback()  # nothing was written; end the read-only transaction
                except (DBAPIError, SQLAlchemyError):
                    pass
    finally:
        engine.dispose()
    _log.info("query on %s: %d rows", shown, rows)
    return label, sink.getvalue().to_pybytes()


def _chunks(result, size: int):
    """Chunks of rows: the first through SQLAlchemy (its buffer holds the row it prefetched on executing, and a
    ``fetchmany`` of at least one row empties it), the rest as plain tuples straight from the driver's cursor (a
    server-side one on PostgreSQL): SQLAlchemy's Row objects cost about as much as the conversion to text."""
    rows = result.fetchmany(size)
    if rows:
        yield rows
    if len(rows) < size:
        return
    cursor = result.cursor
    while rows := cursor.fetchmany(size):
        yield rows


def _read_only(conn, backend: str, timeout_s: int, deadline: float) -> None:
    """A read-only transaction and a statement timeout, in each database's own words."""
    ms = max(1, int(timeout_s * 1000))
    if backend == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
    elif backend in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET SESSION MAX_EXECUTION_TIME = {ms}")
    elif backend == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")
        raw = conn.connection.dbapi_connection
        if hasattr(raw, "set_progress_handler"):  # sqlite3 aborts the statement when this returns true
            raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)


def _is_timeout(exc: Exception) -> bool:
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled (statement_timeout)
        return True
    code = orig.args[0] if orig.args else None
    return code == 3024 or "interrupted" in str(orig).lower()  # MySQL max_execution_time; sqlite3


def _reason(exc: Exception, url) -> str:
    """The database's own first line about the failure, without the password should it quote the URL."""
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    text = lines[0] if lines else type(orig).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    return _redact_text(text)[:300]


def _column_names(keys: list[str]) -> list[str]:
    # The header rule of files: blanks named by position, repeats numbered.
    from ml.ingest import _unique_names

    return _unique_names([str(k) for k in keys])


# ------------------------------------------------------------------------------------------------ values -> text


def _null_values() -> pa.Array:
    from ml.ingest import NULL_VALUES

    return pa.array(NULL_VALUES, type=pa.string())


def text_column(values: list) -> pa.Array:
    """One column of fetched values as the text a CSV export holds (and the CSV reader's nulls as null): ISO dates,
    date-times to the second in their own time zone, plain numbers, true/false."""
    try:
        arr = pa.array(values, type=_decimal_type(values), from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError):
        arr = None  # mixed types (SQLite lets a column hold any) or types Arrow does not know: value by value
    kind = arr.type if arr is not None else None
    if kind is None or not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)
                            or pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
                            or pa.types.is_boolean(kind) or pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
        text = pa.array([_text(v) for v in values], type=pa.string())
    elif pa.types.is_timestamp(kind):
        text = pc.strftime(arr.cast(pa.timestamp("s", kind.tz), safe=False), "%Y-%m-%d %H:%M:%S")
    else:
        text = arr.cast(pa.string())
    return pc.if_else(pc.is_in(text, value_set=_null_values()), pa.scalar(None, pa.string()), text)


def _decimal_type(values: list) -> pa.DataType | None:
    """decimal128 at the scale of the column's first value (a NUMERIC(10, 2) column's), when it holds Decimals:
    ten times faster than Arrow inferring it, and the same text; a value of another scale falls back to text."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, decimal.Decimal) and isinstance(first.as_tuple().exponent, int):
        return pa.decimal128(38, min(38, max(0, -first.as_tuple().exponent)))
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, float):
        return pa.array([value]).cast(pa.string())[0].as_py()  # the same text as a float column's
    return str(value)


# ------------------------------------------------------------------------------------------------ the ingest side


def read_query_table(name: str, data: bytes, limits: IngestLimits = LIMITS):
    """The ``RawTable`` of a query result written by ``read_query`` (``ml.ingest.read_upload`` calls this for data
    starting with ``QUERY_MAGIC``), checked against the caps like any file."""
    from ml.ingest import FileFormat, RawTable

    try:
        reader = pa.ipc.open_file(pa.py_buffer(data))
        source = json.loads((reader.schema.metadata or {})[_META_KEY].decode("utf-8"))
        if not isinstance(source, dict) or any(not pa.types.is_string(f.type) for f in reader.schema):
            raise ValueError("not a query result")
        columns = list(reader.schema.names)
        if len(columns) > limits.max_columns:
            raise DataError("ingest.error.too_many_columns", name=name, count=len(columns), limit=limits.max_columns)
        if len(columns) < 2:
            raise DataError("ingest.error.one_column", name=name)
        batches, rows, size = [], 0, 0
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            batch.validate(full=True)
            rows, size = rows + batch.num_rows, size + batch.nbytes
            if rows > limits.max_rows:
                raise DataError("ingest.error.too_many_rows", name=name, limit=limits.max_rows)
            if size > limits.max_inflated_bytes:
                raise DataError("ingest.error.inflated_too_large", name=name, limit_mb=limits.max_inflated_mb)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=reader.schema.remove_metadata())
    except DataError:
        raise
    except (pa.ArrowException, KeyError, ValueError, UnicodeDecodeError, OSError) as exc:
        raise DataError("ingest.error.unparseable", name=name) from exc
    if table.num_rows == 0:
        raise DataError("ingest.error.no_rows", name=name)
    fmt = FileFormat(name=name, kind="sql", source={k: str(v) for k, v in source.items()})
    return RawTable(table=table, format=fmt, source_columns=columns)
