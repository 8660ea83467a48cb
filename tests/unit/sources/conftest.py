"""A real database holding a planted shop table, for the SQL source's tests: SQLite always, PostgreSQL when
SALESLENS_TEST_POSTGRES_URL is set (CI exports what ``.ci/postgres.sh`` prints; SALESLENS_REQUIRE_POSTGRES=1 makes a
missing server a failure, never a skip). Each PostgreSQL test gets a schema of its own, dropped afterwards."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.postgres import postgres_schema

TABLE = "order_lines"
COLUMNS = ["invoice", "ordered_at", "sku", "description", "quantity", "unit_price", "customer", "country"]
_T = dt.datetime
# Planted order lines, messy as a shop's database is: a return (a cancelled invoice), a postage line, a guest order
# (NULL customer), a NULL quantity, a zero quantity, an exact duplicate, a 'N/A' customer text, a product name
# that holds the word DELETE; every other line a plain purchase.
ROWS = [
    ("536365", _T(2025, 1, 6, 8, 26), "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, Decimal("2.55"), "17850", "United Kingdom"),
    ("536365", _T(2025, 1, 6, 8, 26), "71053", "WHITE METAL LANTERN", 6, Decimal("3.39"), "17850", "United Kingdom"),
    ("536366", _T(2025, 1, 7, 9, 1), "22633", "HAND WARMER UNION JACK", 6, Decimal("1.85"), "17850", "United Kingdom"),
    ("536366", _T(2025, 1, 7, 9, 1), "22633", "HAND WARMER UNION JACK", 6, Decimal("1.85"), "17850", "United Kingdom"),
    ("536367", _T(2025, 1, 8, 10, 0), "84879", "ASSORTED COLOUR BIRD ORNAMENT", 32, Decimal("1.69"), "13047", "United Kingdom"),
    ("536367", _T(2025, 1, 8, 10, 0), "POST", "POSTAGE", 1, Decimal("18.00"), "13047", "United Kingdom"),
    ("C536368", _T(2025, 1, 9, 11, 30), "84879", "ASSORTED COLOUR BIRD ORNAMENT", -2, Decimal("1.69"), "13047", "United Kingdom"),
    ("536369", _T(2025, 1, 10, 12, 0), "22752", "SET 7 BABUSHKA NESTING BOXES", 2, Decimal("7.65"), None, "United Kingdom"),
    ("536370", _T(2025, 1, 11, 13, 0), "21730", "GLASS STAR FROSTED T-LIGHT HOLDER", None, Decimal("4.25"), "12583", "France"),
    ("536371", _T(2025, 1, 12, 14, 0), "21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 0, Decimal("4.25"), "12583", "France"),
    ("536372", _T(2025, 1, 13, 15, 0), "22745", "POPPY'S PLAYHOUSE DELETE ME", 4, Decimal("2.10"), "N/A", "France"),
    ("536373", _T(2025, 1, 14, 16, 0), "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 12, Decimal("2.55"), "12583", "France"),
    ("536374", _T(2025, 1, 15, 17, 0), "71053", "WHITE METAL LANTERN", 3, Decimal("3.39"), "14688", "United Kingdom"),
]
# Dates written as text by hand (a day-first shop system), one unreadable and one missing.
TEXT_DATE_ROWS = [
    ("03/02/2025", "85123A", "3", "2.55"),
    ("04/02/2025", "71053", "2", "3.39"),
    ("17/02/2025", "85123A", "1", "2.55"),
    ("not a date", "71053", "1", "3.39"),
    (None, "22633", "4", "1.85"),
    ("28/02/2025", "22633", "5", "1.85"),
]


def csv_bytes(columns: list[str], rows: list[tuple]) -> bytes:
    """The same rows as a CSV export writes them: ISO dates, plain decimals, nothing for NULL."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else str(v) for v in row] for row in rows)
    return buf.getvalue().encode()


@dataclass
class ShopDatabase:
    kind: str  # sqlite | postgresql
    url: str  # what a user passes to --db (PostgreSQL: with its password)
    admin_url: str  # for the tests' own writes and checks

    def count(self, table: str = TABLE) -> int:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(f"select count(*) from {table}")).scalar_one())
        finally:
            engine.dispose()


def _fill_sqlite(path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"create table {TABLE} (invoice text, ordered_at text, sku text, description text, "
                 "quantity integer, unit_price real, customer text, country text)")
    conn.executemany(f"insert into {TABLE} values (?,?,?,?,?,?,?,?)",
                     [tuple(str(v) if isinstance(v, dt.datetime) else float(v) if isinstance(v, Decimal) else v
                            for v in row) for row in ROWS])
    conn.execute("create table text_dates (order_date text, sku text, qty text, price text)")
    conn.executemany("insert into text_dates values (?,?,?,?)", TEXT_DATE_ROWS)
    conn.commit()
    conn.close()


def _fill_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"create table {TABLE} (invoice text, ordered_at timestamp, sku text, description text, "
                          "quantity integer, unit_price numeric(10, 2), customer text, country text)"))
        conn.execute(text(f"insert into {TABLE} values (:a, :b, :c, :d, :e, :f, :g, :h)"),
                     [dict(zip("abcdefgh", row, strict=True)) for row in ROWS])
        conn.execute(text("create table text_dates (order_date text, sku text, qty text, price text)"))
        conn.execute(text("insert into text_dates values (:a, :b, :c, :d)"),
                     [dict(zip("abcd", row, strict=True)) for row in TEXT_DATE_ROWS])
        conn.execute(text("create sequence order_numbers"))
        # A function that writes, called from a SELECT: only the read-only transaction can refuse it.
        conn.execute(text(f"create function wipe_lines() returns bigint language sql as "
                          f"$$ with d as (delete from {TABLE} returning 1) select count(*) from d $$"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def shop_db(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "shop.db"
        _fill_sqlite(path)
        yield ShopDatabase("sqlite", f"sqlite:///{path}", f"sqlite:///{path}")
        return
    with postgres_schema("the SQL source") as url:
        _fill_postgres(url)
        yield ShopDatabase("postgresql", url, url)
