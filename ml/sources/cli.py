"""``--sql "SELECT ..." --db URL`` for every command that reads a dataset (``ml.cli.add_data_arguments``)."""

from __future__ import annotations

import argparse
import os

from ml.i18n import t
from ml.schema import DataError

ENV_URL = "SALESLENS_DB_URL"  # the database URL for --sql when --db is not given (keeps the password off the command line)


def add_sql_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sql", default=None, metavar="QUERY", help=t("sql.arg.sql"))
    parser.add_argument("--db", default=None, metavar="URL", help=t("sql.arg.db"))


def sql_files(args: argparse.Namespace) -> list[tuple[str, bytes]]:
    """The query's result as the one file to load, or [] when the command reads files. Refuses a mix of both, or
    neither, with one line (DataError)."""
    query, url = getattr(args, "sql", None), getattr(args, "db", None)
    if query is None and url is None:
        if not args.files:
            raise DataError("sql.error.no_input")
        return []
    if args.files:
        raise DataError("sql.error.files_and_query")
    if query is None:
        raise DataError("sql.error.no_query")
    url = url or os.environ.get(ENV_URL)
    if not url:
        raise DataError("sql.error.no_url")
    from ml.sources.sql import read_query

    return [read_query(url, query)]


def print_source(fmt) -> bool:
    """Print where a query's result came from instead of a file's format line; False for files."""
    if not getattr(fmt, "source", None):
        return False
    print(t("sql.profile.source", name=fmt.name, url=fmt.source.get("url", "")))
    print(f"  {fmt.source.get('query', '')}")
    return True
