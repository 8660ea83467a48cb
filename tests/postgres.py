"""The PostgreSQL server the tests that need one use: SALESLENS_TEST_POSTGRES_URL (CI exports what
``.ci/postgres.sh`` prints); with SALESLENS_REQUIRE_POSTGRES=1 (CI) a missing server fails the test, else skips it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES_URL_ENV = "SALESLENS_TEST_POSTGRES_URL"


def postgres_url_or_skip(what: str) -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url and os.environ.get("SALESLENS_REQUIRE_POSTGRES") == "1":  # CI: a missing server is a failure
        pytest.fail(f"{POSTGRES_URL_ENV} is not set but SALESLENS_REQUIRE_POSTGRES=1")
    if not url:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set: run `export {POSTGRES_URL_ENV}=$(.ci/postgres.sh)` to test "
                    f"{what} on PostgreSQL (CI does)")
    return url


@contextmanager
def postgres_schema(what: str) -> Iterator[str]:
    """A URL of the test server whose ``search_path`` is a schema of its own, dropped afterwards (skips or fails
    as ``postgres_url_or_skip`` when there is no server)."""
    from sqlalchemy import create_engine, text

    base = postgres_url_or_skip(what)
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()
