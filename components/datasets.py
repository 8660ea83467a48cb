"""Loading datasets into the session (sample, uploads, re-reads with new options) and the sidebar status."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import streamlit as st

from components import state
from components.page import MISSING_CELL
from ml.dataset import CleaningOptions, Dataset, code_digest, load_dataset
from ml.i18n import format_day, format_number, render_error, t
from ml.isolated import load_dataset_isolated
from ml.schema import SalesLensError

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "data" / "sample_sales.csv.gz"
SAMPLE_NAME = "sample_sales.csv.gz"
_log = logging.getLogger(__name__)


def _sample_cache_key(data: bytes, options: CleaningOptions) -> str:
    digest = hashlib.sha256(data)
    digest.update(repr((sorted(vars(options).items()), pd.__version__, pa.__version__)).encode())
    digest.update(code_digest().encode())  # a change to the reading or cleaning code reads the CSV again
    return f"sample-{digest.hexdigest()[:32]}"


def _parsed_sample(data: bytes, options: CleaningOptions) -> Dataset:
    """The sample parsed with these options, from the workspace cache (Parquet) when it is there, else parsed
    from the CSV and cached, so a restarted server skips parsing (0.5 s of a cold start)."""
    from ml.workspace import get_workspace

    def build() -> Dataset:
        return load_dataset([(SAMPLE_NAME, data)], options=options)

    try:
        return get_workspace().cached_dataset(_sample_cache_key(data, options), build)
    except (SalesLensError, OSError):
        return build()


@st.cache_resource(max_entries=1, show_spinner=False)
def sample_dataset() -> tuple[Dataset, bytes]:
    """The bundled sample and its file's bytes, read once per server and shared read-only by every session
    (``components.server`` calls it before the server listens)."""
    data = SAMPLE_PATH.read_bytes()
    return _parsed_sample(data, CleaningOptions()), data


def load_sample() -> bool:
    if not SAMPLE_PATH.exists():
        state.put(state.DATA_ERROR, ("data.error.no_sample", {}))
        return False
    ds, data = sample_dataset()
    state.put(state.MAPPING_OVERRIDES, {})
    state.put(state.CLEANING_OPTIONS, CleaningOptions())
    state.set_dataset(ds, [(SAMPLE_NAME, data)])
    state.put(state.WORKSPACE_DATASET_ID, None)
    from components.workspace import SAMPLE, point_at

    point_at(dataset=SAMPLE)
    return True


def ensure_sample_loaded() -> None:
    """A new session first gets back what this browser had (its dataset, latest run, running training, from the
    workspace); a first visit starts on the bundled sample, so every page has something to show."""
    from components.workspace import restore_session

    restore_session(load_sample)
    if state.dataset() is None and not state.get(state.SAMPLE_OFFERED):
        state.put(state.SAMPLE_OFFERED, True)
        load_sample()


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
            ds = load_dataset_isolated(files, mapping_overrides=overrides, options=options or CleaningOptions())
    except SalesLensError as err:
        state.put(state.DATA_ERROR, (err.message_id, err.params))
        return False
    except Exception:  # never show a traceback: log it, tell the user what happened
        _log.exception("unexpected error while reading %s", [n for n, _ in files])
        state.put(state.DATA_ERROR, ("error.unexpected_read", {"name": files[0][0] if files else "?"}))
        return False
    state.set_dataset(ds, files)
    if remember and not (len(files) == 1 and files[0][0] == SAMPLE_NAME):
        from components.workspace import save_dataset

        save_dataset(ds, files)
    else:
        state.put(state.WORKSPACE_DATASET_ID, None)
    return True


def show_data_error() -> None:
    err = state.get(state.DATA_ERROR)
    if err:
        message_id, params = err
        st.error(render_error(SalesLensError(message_id, **params)), icon=":material/error:")


def show_dataset_status(ds: Dataset | None) -> None:
    """Name, rows and date range of the loaded dataset (drawn in the sidebar on every page)."""
    if ds is None:
        st.info(t("sidebar.no_dataset"))
        return
    st.markdown(f"**{t('sidebar.dataset')}**  \n{ds.name}")
    st.caption(
        t(
            "sidebar.dataset_summary",
            rows=format_number(ds.report.rows_kept),
            start=format_day(ds.date_min),
            end=format_day(ds.date_max),
        )
    )


def _size_text(size: int) -> str:
    mb = size / (1024 * 1024)
    return t("data.saved.size_mb", size=format_number(mb, 1)) if mb >= 0.1 else \
        t("data.saved.size_kb", size=format_number(size / 1024, 0))


def show_saved_datasets() -> None:
    """The datasets this browser (or everyone, when shared) uploaded before: name, size, rows, dates; load or
    delete one."""
    import pandas as pd

    from components.workspace import point_at, put_dataset, remember_error, show_workspace_error, workspace

    owner = state.owner()
    try:
        entries = [] if state.get(state.WORKSPACE_NOTHING_SAVED) else workspace().list_datasets(owner)
    except SalesLensError as err:
        remember_error(err)
        show_workspace_error()
        return
    with st.expander(t("data.saved.title", count=len(entries)), expanded=False):
        if not entries:
            st.caption(t("data.saved.none"))
            return
        current = state.get(state.WORKSPACE_DATASET_ID)
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
                state.put(state.DATA_ERROR, (err.message_id, err.params))
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
                state.put(state.WORKSPACE_DATASET_ID, None)
            st.rerun()
