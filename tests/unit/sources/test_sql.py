"""A SQL query loads as a dataset exactly as a CSV of the same rows does (mapping, cleaning, report), read-only,
under its caps, with the password kept out of everything it stores."""

from __future__ import annotations

import dataclasses
import importlib.util
import time

import pandas as pd
import pytest

from ml.dataset import CleaningOptions, ReturnsPolicy, load_dataset
from ml.limits import LIMITS
from ml.schema import DataError
from ml.sources import sql as sql_source
from ml.sources.sql import check_query, read_query, redact_url
from tests.unit.sources.conftest import COLUMNS, ROWS, TABLE, TEXT_DATE_ROWS, csv_bytes

QUERY = f"select {', '.join(COLUMNS)} from {TABLE} order by ordered_at, invoice, sku"
SORTED_ROWS = sorted(ROWS, key=lambda r: (r[1], r[0], r[2]))  # the query's order


def _same_dataset(a, b) -> None:
    """Everything the pages and the CLI use, apart from how the source was read (its name and format line)."""
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.mapping.to_dict() == b.mapping.to_dict()
    assert [p.to_json_dict() for p in a.report.problems] == [p.to_json_dict() for p in b.report.problems]
    for name in ("rows_read", "rows_kept", "number_style", "date_format", "date_ambiguous", "currency"):
        assert getattr(a.report, name) == getattr(b.report, name), name
    assert a.control_totals() == b.control_totals()


@pytest.mark.parametrize("returns", [ReturnsPolicy.KEEP, ReturnsPolicy.NET])
def test_a_query_loads_as_the_csv_of_the_same_rows(shop_db, returns):
    options = CleaningOptions(returns=returns)
    name, data = read_query(shop_db.url, QUERY, chunk_rows=4)  # four rows a fetch: several chunks
    from_db = load_dataset([(name, data)], options=options)
    from_csv = load_dataset([("lines.csv", csv_bytes(COLUMNS, SORTED_ROWS))], options=options)
    _same_dataset(from_db, from_csv)
    # The planted mess is found: the postage line, the NULL and zero quantities, the duplicate, the guest.
    reasons = {p.reason: p.count for p in from_db.report.problems}
    assert reasons["non_product"] == 1 and reasons["duplicates"] == 1
    assert reasons["missing_quantity"] == 1 and reasons["zero_quantity"] == 1
    assert reasons["missing_customer"] == 2  # the NULL and the 'N/A' customers, as in the CSV
    assert reasons["returns"] == 1
    assert from_db.report.rows_read == len(ROWS)
    assert "POST" not in set(from_db.frame["product_id"])
    source = from_db.report.formats[0].source
    assert source["query"] == QUERY and source["dialect"] == shop_db.kind


def test_text_dates_are_read_as_in_a_file(shop_db):
    query = "select order_date, sku, qty, price from text_dates"
    from_db = load_dataset([read_query(shop_db.url, query)])
    from_csv = load_dataset([("dates.csv", csv_bytes(["order_date", "sku", "qty", "price"], TEXT_DATE_ROWS))])
    _same_dataset(from_db, from_csv)
    assert from_db.report.date_format == "%d/%m/%Y"
    assert from_db.report.count("bad_date") == 1 and from_db.report.count("missing_date") == 1
    assert from_db.frame["date"].min() == pd.Timestamp("2025-02-03")


def test_mapping_overrides_and_a_rerun_need_no_second_query(shop_db):
    data = read_query(shop_db.url, QUERY)
    ds = load_dataset([data], {"region": None, "description": "description"})
    assert "region" not in ds.frame and ds.mapping.source_for("description") == "description"
    assert load_dataset([data]).fingerprint == load_dataset([read_query(shop_db.url, QUERY)]).fingerprint


def test_the_row_cap_stops_the_stream(shop_db):
    limits = dataclasses.replace(LIMITS, max_rows=5)
    with pytest.raises(DataError) as err:
        read_query(shop_db.url, QUERY, limits=limits, chunk_rows=2)
    assert err.value.message_id == "ingest.error.too_many_rows" and err.value.params["limit"] == 5


def test_writes_are_refused_by_the_database_too(shop_db, monkeypatch):
    """A write the statement check cannot see (PostgreSQL: a function that deletes, called from a SELECT; SQLite:
    a DELETE with the check switched off) is refused by the read-only transaction or query_only, and the table
    keeps its rows."""
    if shop_db.kind == "postgresql":
        query = "select wipe_lines() as n, 1 as m"
    else:
        monkeypatch.setattr(sql_source, "check_query", lambda q: q)
        query = f"delete from {TABLE}"
    with pytest.raises(DataError) as err:
        read_query(shop_db.url, query)
    assert err.value.message_id == "sql.error.query_failed"
    assert "read" in err.value.params["reason"].lower()  # "read-only transaction" / "readonly database"
    assert shop_db.count() == len(ROWS)


def test_a_reading_query_that_writes_is_refused_on_postgresql(shop_db):
    if shop_db.kind != "postgresql":
        pytest.skip("nextval is PostgreSQL's")
    with pytest.raises(DataError) as err:
        read_query(shop_db.url, "select nextval('order_numbers') as n, 1 as m")
    assert err.value.message_id == "sql.error.query_failed" and "read-only" in err.value.params["reason"]


def test_a_slow_query_is_cancelled_at_the_timeout(shop_db):
    limits = dataclasses.replace(LIMITS, query_timeout_s=1)
    slow = ("select pg_sleep(30), 1" if shop_db.kind == "postgresql" else
            "with recursive c(x) as (select 1 union all select x + 1 from c where x < 300000000) "
            "select count(*), 1 from c")
    started = time.monotonic()
    with pytest.raises(DataError) as err:
        read_query(shop_db.url, slow, limits=limits)
    assert err.value.message_id == "sql.error.timeout"
    assert time.monotonic() - started < 10  # cancelled at about 1 s, not run to its end (30 s, minutes)


def test_a_bad_query_says_what_the_database_said(shop_db):
    with pytest.raises(DataError) as err:
        read_query(shop_db.url, "select * from no_such_table")
    assert err.value.message_id == "sql.error.query_failed" and "no_such_table" in err.value.params["reason"]


def test_the_workspace_keeps_the_query_and_never_the_password(shop_db, tmp_path, monkeypatch):
    from ml.workspace import Workspace
    from ml.workspace.settings import WorkspaceSettings

    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "ws"))
    for name in ("SALESLENS_DATABASE_URL", "SALESLENS_SHARED", "SALESLENS_SECRET"):
        monkeypatch.delenv(name, raising=False)
    files = [read_query(shop_db.url, QUERY)]
    ds = load_dataset(files)
    ws = Workspace(WorkspaceSettings.from_env())
    try:
        entry = ws.save_dataset("owner1", ds, files)
        again, sources = ws.load_dataset("owner1", entry.id)
    finally:
        ws.close()
    assert again.report.formats[0].source == {"kind": "sql", "dialect": shop_db.kind,
                                              "url": redact_url(shop_db.url), "query": QUERY}
    _same_dataset(load_dataset(sources), ds)  # the saved result re-reads without the database
    from sqlalchemy.engine import make_url

    password = make_url(shop_db.url).password
    if password:
        stored = b"".join(p.read_bytes() for p in (tmp_path / "ws").rglob("*") if p.is_file())
        assert password.encode() not in stored
        assert "***" in again.report.formats[0].source["url"]


# ------------------------------------------------------------------------------------------------ without a server


@pytest.mark.parametrize("query", [
    "select 1, 2",
    "  SELECT a, b FROM t;  ",
    "with x as (select 1 as a, 2 as b) select * from x",
    "(select 1, 2) union all (select 3, 4)",
    "-- delete the returns later\nselect * from t where name = 'DELETE; drop table t' and \"update\" = 1",
    "select created_at, updated_by, replace(name, 'a', 'b') from t",
])
def test_reading_queries_pass_the_check(query):
    assert check_query(query) == query.strip().removesuffix(";").strip()


@pytest.mark.parametrize(("query", "message_id", "word"), [
    ("delete from order_lines", "sql.error.not_select", "DELETE"),
    ("INSERT INTO t VALUES (1)", "sql.error.not_select", "INSERT"),
    ("drop table t", "sql.error.not_select", "DROP"),
    ("select * into copy_of_t from t", "sql.error.not_select", "INTO"),
    ("with gone as (delete from t returning *) select * from gone", "sql.error.not_select", "DELETE"),
    ("select * from t for update", "sql.error.not_select", "UPDATE"),
    ("select 1; drop table t", "sql.error.one_statement", None),
    ("   ", "sql.error.empty_query", None),
    ("-- just a comment", "sql.error.empty_query", None),
    ("pragma table_info(t)", "sql.error.not_select", "PRAGMA"),
])
def test_other_statements_are_refused_before_connecting(query, message_id, word):
    with pytest.raises(DataError) as err:
        read_query("postgresql://nobody:pw@127.0.0.1:1/none", query)  # refused before any connection is tried
    assert err.value.message_id == message_id
    if word:
        assert err.value.params["word"] == word


def test_urls_are_shown_without_passwords():
    assert redact_url("postgresql://shop:s3cret@db.local:5432/sales") == "postgresql+psycopg://shop:***@db.local:5432/sales"
    shown = redact_url("postgresql://shop@db.local/sales?sslpassword=s3cret&sslmode=require")
    assert "s3cret" not in shown and "sslmode=require" in shown


def test_an_unreachable_server_is_one_message_without_the_password():
    with pytest.raises(DataError) as err:
        read_query("postgresql://shop:s3cret@127.0.0.1:1/sales", "select 1, 2")
    assert err.value.message_id == "sql.error.unreachable" and err.value.params["server"] == "127.0.0.1:1/sales"
    assert "s3cret" not in str(err.value)


@pytest.mark.parametrize(("url", "message_id"), [
    ("not a url", "sql.error.bad_url"),
    ("nosuchdb://x/y", "sql.error.unknown_dialect"),
])
def test_bad_urls(url, message_id):
    with pytest.raises(DataError) as err:
        read_query(url, "select 1, 2")
    assert err.value.message_id == message_id


def test_a_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "nothing.db"
    with pytest.raises(DataError) as err:
        read_query(f"sqlite:///{path}", "select 1, 2")
    assert err.value.message_id == "sql.error.no_database" and not path.exists()


@pytest.mark.skipif(importlib.util.find_spec("MySQLdb") is not None or importlib.util.find_spec("pymysql") is not None,
                    reason="a MySQL driver is installed here")
def test_mysql_without_its_driver_says_what_to_install():
    with pytest.raises(DataError) as err:
        read_query("mysql://shop:pw@127.0.0.1/sales", "select 1, 2")
    assert err.value.message_id == "sql.error.driver_missing" and err.value.params["package"] == "mysqlclient"


def test_a_forged_result_file_is_refused_like_any_unreadable_file():
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, pa.schema([("a", pa.string()), ("b", pa.string())])) as writer:
        writer.write_batch(pa.record_batch([pa.array(["1"]), pa.array(["2"])], names=["a", "b"]))
    with pytest.raises(DataError) as err:
        load_dataset([("plain.arrow", sink.getvalue().to_pybytes())])
    assert err.value.message_id == "ingest.error.unparseable"


def test_no_password_reaches_the_log(shop_db, caplog):
    caplog.set_level("DEBUG")
    url = shop_db.url
    read_query(url, QUERY)
    from sqlalchemy.engine import make_url

    password = make_url(url).password
    assert "running a query on" in caplog.text
    if password:
        assert password not in caplog.text



def test_an_error_past_the_first_chunk_is_one_message(shop_db):
    """Rows after the first chunk come straight from the driver's cursor: its errors are refused like the rest."""
    failing = ("select i, 1 / (i - 10) as boom from generate_series(1, 20) i" if shop_db.kind == "postgresql" else
               "with recursive c(i) as (select 1 union all select i + 1 from c where i < 20) "
               "select i, case when i > 10 then abs(-9223372036854775807 - 1) else i end as boom from c")
    with pytest.raises(DataError) as err:
        read_query(shop_db.url, failing, chunk_rows=4)
    assert err.value.message_id == "sql.error.query_failed"
    assert any(word in err.value.params["reason"].lower() for word in ("division by zero", "overflow"))


def test_a_large_result_parses_in_the_watched_worker_like_a_large_upload(shop_db, monkeypatch):
    import ml.isolated

    monkeypatch.setattr(ml.isolated, "IN_PROCESS_BYTES", 0)  # every result counts as large
    files = [read_query(shop_db.url, QUERY)]
    assert ml.isolated.needs_isolation(files)
    _same_dataset(ml.isolated.load_dataset_isolated(files), load_dataset(files))
