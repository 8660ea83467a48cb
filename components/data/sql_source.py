"""The Data page's "From a database" panel: a query against a connection the administrator configured.

Connections follow Streamlit's ``st.connection`` conventions: each ``[connections.<name>]`` table of
``.streamlit/secrets.toml`` with a ``url`` (or ``dialect``, ``driver``, ``username``, ``password``, ``host``,
``port``, ``database``, ``query``) is offered; without one the panel is not drawn. The query runs read-only through
``ml.sources.sql`` and its result is loaded like an upload (``components.data.loading.load_files``): same mapping,
cleaning, report, saved datasets, and the previous dataset kept when it fails.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import streamlit as st

from components import state
from components.data.loading import load_files
from components.state.sql_source import DATA_SQL_CONNECTION, DATA_SQL_FORM, DATA_SQL_QUERY
from ml.i18n import t
from ml.messages import Message
from ml.schema import SalesLensError

_log = logging.getLogger(__name__)


def configured_connections() -> dict[str, Mapping[str, Any]]:
    """Name -> settings of every SQL connection in the secrets (none when there is no secrets file)."""
    try:
        sections = st.secrets.get("connections")
    except Exception:  # no secrets.toml (the default), or one that does not parse: no database offered
        return {}
    if not isinstance(sections, Mapping):
        return {}
    return {str(name): settings for name, settings in sections.items()
            if isinstance(settings, Mapping) and (settings.get("url") or settings.get("dialect"))
            and settings.get("type", "sql") in ("sql", "SQLConnection")}


def run_query(name: str, settings: Mapping[str, Any], query: str) -> bool:
    """Run ``query`` on connection ``name`` and load its rows like an upload; on failure the error is kept for
    display and the previous dataset stays."""
    from ml.sources.sql import read_query, url_from_settings

    try:
        with st.spinner(t("sql.data.running")):
            result = read_query(url_from_settings(settings), query, name=f"{name} (SQL)")
    except SalesLensError as err:
        state.data_error.set(err.message)
        return False
    except Exception:  # never a traceback; the log names the connection, never its URL
        _log.exception("unexpected error while querying connection %s", name)
        state.data_error.set(Message("error.unexpected_read", {"name": name}))
        return False
    state.put(state.MAPPING_OVERRIDES, {})
    return load_files([result], options=state.cleaning_options())


def show_sql_source() -> None:
    """The panel (only when a connection is configured), and where the current dataset came from when a query."""
    connections = configured_connections()
    if not connections:
        return
    ds = state.dataset()
    source = ds.report.formats[0].source if ds is not None and ds.report.formats else None
    with st.expander(t("sql.data.title"), expanded=bool(source)):
        with st.form(DATA_SQL_FORM, border=False):
            names = list(connections)
            name = st.selectbox(t("sql.data.connection"), names, key=DATA_SQL_CONNECTION) if len(names) > 1 else names[0]
            st.caption(t("sql.data.intro", connection=name))
            query = st.text_area(t("sql.data.query"), key=DATA_SQL_QUERY, help=t("sql.data.query_help"), height=120)
            submitted = st.form_submit_button(t("sql.data.run"))
        if submitted and run_query(name, connections[name], query):
            st.rerun()
        if source:
            st.caption(t("sql.data.source", url=source.get("url", ""), query=source.get("query", "")))
