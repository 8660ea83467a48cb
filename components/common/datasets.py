"""The dataset every page starts from: what this browser had (restored from the workspace) or the bundled sample,
and its status in the sidebar."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import streamlit as st

from components import state
from components.common.workspace import SAMPLE, point_at, restore_session
from ml.dataset import CleaningOptions, Dataset, load_dataset
from ml.i18n import format_day, format_number, t
from ml.messages import Message
from ml.schema import SalesLensError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PATH = ROOT / "data" / "sample_sales.csv.gz"
SAMPLE_NAME = "sample_sales.csv.gz"


# The engine code whose output the cached sample is: a change in any of them reads the CSV again.
_INGEST_SOURCES = ("dataset.py", "ingest.py", "parsing.py", "mapping.py", "schema.py", "limits.py")


def _sample_cache_key(data: bytes, options: CleaningOptions) -> str:
    digest = hashlib.sha256(data)
    digest.update(repr((sorted(vars(options).items()), pd.__version__, pa.__version__)).encode())
    engine = ROOT / "ml"
    for name in _INGEST_SOURCES:
        digest.update((engine / name).read_bytes())
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
    (``server.py``, the launcher, calls it before the server listens)."""
    data = SAMPLE_PATH.read_bytes()
    return _parsed_sample(data, CleaningOptions()), data


def load_sample() -> bool:
    if not SAMPLE_PATH.exists():
        state.data_error.set(Message("data.error.no_sample"))
        return False
    ds, data = sample_dataset()
    state.put(state.MAPPING_OVERRIDES, {})
    state.put(state.CLEANING_OPTIONS, CleaningOptions())
    state.set_dataset(ds, [(SAMPLE_NAME, data)])
    state.workspace_dataset_id.set(None)
    point_at(dataset=SAMPLE)
    return True


def ensure_sample_loaded() -> None:
    """A new session first gets back what this browser had (its dataset, latest run, running training, from the
    workspace); a first visit starts on the bundled sample, so every page has something to show."""
    restore_session(load_sample)
    if state.dataset() is None and not state.sample_offered.get():
        state.sample_offered.set(True)
        load_sample()


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
