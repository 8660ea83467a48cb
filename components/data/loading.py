"""The Data page's loading: read uploaded files into the session (keeping the previous dataset on failure), and
the datasets saved in the workspace, to load again or delete."""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from components import state
from components.common.datasets import SAMPLE_NAME
from components.common.messages import show_message
from components.common.page import MISSING_CELL
from components.common.workspace import (
    point_at,
    put_dataset,
    remember_error,
    save_dataset,
    show_workspace_error,
    workspace,
)
from ml.dataset import CleaningOptions
from ml.i18n import format_day, format_number, t
from ml.messages import Message
from ml.outofcore.run import load_upload_isolated
from ml.schema import SalesLensError

_log = logging.getLogger(__name__)


def load_files(
    files: list[tuple[str, bytes]],
    overrides: dict[str, str | None] | None = None,
    options: CleaningOptions | None = None,
    remember: bool = True,
) -> bool:
    """Read files into the session (and, with ``remember``, keep them in the workspace's saved datasets). On
    failure the previous dataset stays and the error is kept for display."""
    try:
        with st.spinner(t("data.reading")):
            ds = load_upload_isolated(files, mapping_overrides=overrides, options=options or CleaningOptions())
    except SalesLensError as err:
        state.data_error.set(err.message)
        return False
    except Exception:  # never show a traceback: log it, tell the user what happened
        _log.exception("unexpected error while reading %s", [n for n, _ in files])
        state.data_error.set(Message("error.unexpected_read", {"name": files[0][0] if files else "?"}))
        return False
    state.set_dataset(ds, files)
    if remember and not (len(files) == 1 and files[0][0] == SAMPLE_NAME):
        save_dataset(ds, files)
    else:
        state.workspace_dataset_id.set(None)
    return True


def show_data_error() -> None:
    err = state.data_error.get()
    if err:
        show_message(err)


def _size_text(size: int) -> str:
    mb = size / (1024 * 1024)
    return t("data.saved.size_mb", size=format_number(mb, 1)) if mb >= 0.1 else \
        t("data.saved.size_kb", size=format_number(size / 1024, 0))


def show_saved_datasets() -> None:
    """The datasets this browser (or everyone, when shared) uploaded before: name, size, rows, dates; load or
    delete one."""
    owner = state.owner()
    try:
        entries = [] if state.workspace_nothing_saved.get() else workspace().list_datasets(owner)
    except SalesLensError as err:
        remember_error(err)
        show_workspace_error()
        return
    with st.expander(t("data.saved.title", count=len(entries)), expanded=False):
        if not entries:
            st.caption(t("data.saved.none"))
            return
        current = state.workspace_dataset_id.get()
        table = pd.DataFrame({
            t("data.saved.name"): [("● " if e.id == current else "") + e.name for e in entries],
            t("data.saved.rows"): [format_number(e.rows) for e in entries],
            t("data.saved.size"): [_size_text(e.size_bytes) for e in entries],
            t("data.saved.dates"): [t("data.saved.range", start=format_day(pd.Timestamp(e.date_min)),
                                      end=format_day(pd.Timestamp(e.date_max))) for e in entries],
            t("data.saved.saved_at"): [format_day(e.created_at) for e in entries],
        })
        st.dataframe(table, hide_index=True, width="stretch", placeholder=MISSING_CELL, key=state.DATA_SAVED_TABLE)
        by_id = {e.id: e for e in entries}
        chosen = st.selectbox(t("data.saved.choose"), list(by_id), format_func=lambda i: by_id[i].name,
                              key=state.DATA_SAVED_CHOICE)
        c1, c2 = st.columns(2)
        if c1.button(t("data.saved.load"), width="stretch", disabled=chosen == current):
            try:
                ds, files = workspace().load_dataset(owner, chosen)
            except SalesLensError as err:
                state.data_error.set(err.message)
            else:
                put_dataset(ds, files, chosen)
                point_at(dataset=chosen)
                st.rerun()
        if c2.button(t("data.saved.delete"), width="stretch", help=t("data.saved.delete_help")):
            try:
                workspace().delete_dataset(owner, chosen)
            except SalesLensError as err:
                remember_error(err)
            if chosen == current:
                state.workspace_dataset_id.set(None)
            st.rerun()
