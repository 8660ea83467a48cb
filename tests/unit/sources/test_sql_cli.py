"""python -m ml profile --sql "SELECT ..." --db URL: the same profile as the CSV of the same rows; bad URL, bad SQL,
an unreachable server or a statement that is not a SELECT exit 2 with one line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.sources.conftest import COLUMNS, ROWS, TABLE, csv_bytes

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ml", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=env)


def test_profile_of_a_query_matches_the_csv(shop_db, tmp_path):
    query = f"select {', '.join(COLUMNS)} from {TABLE}"  # the table's own order: the rows as inserted
    path = tmp_path / "lines.csv"
    path.write_bytes(csv_bytes(COLUMNS, ROWS))
    from_db = run_cli("profile", "--sql", query, "--db", shop_db.url, "--json")
    from_csv = run_cli("profile", str(path), "--json")
    assert from_db.returncode == 0, from_db.stderr
    a, b = json.loads(from_db.stdout), json.loads(from_csv.stdout)
    for key in ("rows_read", "rows_kept", "mapping", "problems", "total_quantity", "total_revenue", "date_min",
                "date_max", "decimal_separator", "date_format"):
        assert a[key] == b[key], key
    assert a["format"][0]["kind"] == "sql" and a["format"][0]["source"]["query"] == query
    text = run_cli("profile", "--sql", query, "--db", shop_db.url)
    assert text.returncode == 0 and query in text.stdout


def test_the_url_can_come_from_the_environment(shop_db):
    import os

    env = {**os.environ, "SALESLENS_DB_URL": shop_db.url}
    proc = run_cli("profile", "--sql", f"select {', '.join(COLUMNS)} from {TABLE}", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows_read"] == len(ROWS)


@pytest.mark.parametrize(("args", "expected"), [
    (["--sql", "select 1, 2", "--db", "not a url"], "not a database URL"),
    (["--sql", "select 1, 2", "--db", "postgresql://shop:s3cret@127.0.0.1:1/sales"], "Could not connect"),
    (["--sql", "delete from order_lines", "--db", "sqlite:///shop.db"], "contains DELETE"),
    (["--sql", "select 1, 2"], "needs the database URL"),
    (["--db", "sqlite:///shop.db"], "needs a query"),
    ([], "Give one or more files"),
])
def test_bad_arguments_exit_2_with_one_line(args, expected, monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if k != "SALESLENS_DB_URL"}
    proc = run_cli("profile", *args, env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in proc.stderr
    assert "s3cret" not in proc.stderr


def test_bad_sql_and_mixed_input_exit_2(shop_db, tmp_path):
    proc = run_cli("profile", "--sql", "select * from no_such_table", "--db", shop_db.url)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no_such_table" in proc.stderr
    path = tmp_path / "lines.csv"
    path.write_bytes(csv_bytes(COLUMNS, ROWS))
    proc = run_cli("profile", str(path), "--sql", "select 1, 2", "--db", shop_db.url)
    assert proc.returncode == 2 and "not both" in proc.stderr


def test_the_model_commands_take_a_query_too():
    from ml.cli import build_parser

    parser = build_parser()
    for command in ("profile", "forecast", "recommend", "price"):
        args = parser.parse_args([command, "--sql", "select 1, 2", "--db", "sqlite:///shop.db"])
        assert (args.files, args.sql, args.db) == ([], "select 1, 2", "sqlite:///shop.db"), command
