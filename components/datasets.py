"""Loading datasets into the session (sample, uploads, re-reads with new options) and the sidebar status."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from components import state
from ml.dataset import CleaningOptions, Dataset, load_dataset
from ml.i18n import format_day, format_number, render_error, t
from ml.schema import SalesLensError

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "data" / "sample_sales.csv.gz"
SAMPLE_NAME = "sample_sales.csv.gz"
_log = logging.getLogger(__name__)


@st.cache_resource(max_entries=1, show_spinner=False)
def _sample_dataset(options_key: tuple) -> Dataset:
    """The bundled sample, read once per server and shared read-only by every session."""
    return load_dataset([(SAMPLE_NAME, SAMPLE_PATH.read_bytes())], options=CleaningOptions(*options_key))


def load_sample() -> bool:
    if not SAMPLE_PATH.exists():
        state.put(state.DATA_ERROR, ("data.error.no_sample", {}))
        return False
    ds = _sample_dataset(tuple(vars(CleaningOptions()).values()))
    state.put(state.MAPPING_OVERRIDES, {})
    state.put(state.CLEANING_OPTIONS, CleaningOptions())
    state.set_dataset(ds, [(SAMPLE_NAME, SAMPLE_PATH.read_bytes())])
    return True


def ensure_sample_loaded() -> None:
    """A new session starts on the bundled sample, so every page has something to show."""
    if state.dataset() is None and not state.get(state.SAMPLE_OFFERED):
        state.put(state.SAMPLE_OFFERED, True)
        load_sample()


def load_files(
    files: list[tuple[str, bytes]],
    overrides: dict[str, str | None] | None = None,
    options: CleaningOptions | None = None,
) -> bool:
    """Read files into the session. On failure the previous dataset stays and the error is kept for display."""
    try:
        with st.spinner(t("data.reading")):
            ds = load_dataset(files, mapping_overrides=overrides, options=options or CleaningOptions())
    except SalesLensError as err:
        state.put(state.DATA_ERROR, (err.message_id, err.params))
        return False
    except Exception:  # never show a traceback: log it, tell the user what happened
        _log.exception("unexpected error while reading %s", [n for n, _ in files])
        state.put(state.DATA_ERROR, ("error.unexpected_read", {"name": files[0][0] if files else "?"}))
        return False
    state.set_dataset(ds, files)
    return True


def show_data_error() -> None:
    err = state.get(state.DATA_ERROR)
    if err:
        message_id, params = err
        st.error(render_error(SalesLensError(message_id, **params)), icon="⚠️")


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
