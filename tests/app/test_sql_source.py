"""The Data page's "From a database" panel through the real app: shown only with a configured connection
(``[connections.<name>]`` in the secrets, injected through AppTest's secrets), a query loads as an upload would
(same report and mapping as the CSV of the same rows), a refused query keeps the dataset, and the password never
reaches the session."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from components import state
from components.state.sql_source import DATA_SQL_QUERY
from ml.dataset import load_dataset
from ml.i18n import format_number, translate
from tests.app.conftest import dataset_from_csv, new_app, open_page, texts
from tests.unit.sources.conftest import COLUMNS, ROWS, TABLE, csv_bytes, shop_db  # noqa: F401 (the fixture)

PAGE = "pages/data_page.py"
QUERY = f"select {', '.join(COLUMNS)} from {TABLE}"
EARLIER = "date,product,quantity,price\n2025-03-01,A,1,2.0\n2025-03-02,B,2,3.0\n"


def with_connection(url: str, name: str = "shop") -> AppTest:
    at = new_app(dataset_from_csv(EARLIER, "earlier.csv"))
    at.secrets["connections"] = {name: {"url": url}}
    return at


def expander_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def run_query(at: AppTest, query: str) -> AppTest:
    at.text_area(key=DATA_SQL_QUERY).input(query)
    next(b for b in at.button if b.label == translate("sql.data.run", "en")).click()
    return at.run()


def test_without_a_connection_there_is_no_database_panel():
    at = open_page(new_app(dataset_from_csv(EARLIER)), PAGE)
    assert not at.exception
    assert translate("sql.data.title", "en") not in expander_labels(at)


def test_a_query_loads_like_the_csv_of_the_same_rows(shop_db):  # noqa: F811
    at = open_page(with_connection(shop_db.url), PAGE)
    assert translate("sql.data.title", "en") in expander_labels(at)
    at = run_query(at, QUERY)
    assert not at.exception and not at.error, [e.value for e in at.error]
    ds = at.session_state[state.DATASET]
    expected = load_dataset([("lines.csv", csv_bytes(COLUMNS, ROWS))])
    assert ds.name == "shop (SQL)"
    assert (ds.report.rows_read, ds.report.rows_kept) == (expected.report.rows_read, expected.report.rows_kept)
    assert [p.to_json_dict() for p in ds.report.problems] == [p.to_json_dict() for p in expected.report.problems]
    shown = {m.label: m.value for m in at.metric}
    assert shown[translate("data.report.rows_read", "en")] == format_number(len(ROWS))
    page = texts(at)
    assert QUERY in page and "shop (SQL)" in page
    from sqlalchemy.engine import make_url

    password = make_url(shop_db.url).password
    if password:  # PostgreSQL: the URL's password is in no session value and not on the page
        everything = repr(at.session_state)
        assert state.DATASET_FILES in everything and password not in everything
        assert password not in page


def test_a_refused_query_keeps_the_dataset(shop_db):  # noqa: F811
    at = open_page(with_connection(shop_db.url), PAGE)
    at = run_query(at, f"delete from {TABLE}")
    assert not at.exception
    assert any("contains DELETE" in e.value for e in at.error)
    assert at.session_state[state.DATASET].name == "earlier.csv"
    assert shop_db.count() == len(ROWS)
