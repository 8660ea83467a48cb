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
from ml.dataset import CleaningOptions, Dataset, code_digest, load_dataset
from ml.i18n import format_day, format_number, t
from ml.messages import Message
from ml.products import product_names
from ml.pushdown import ParquetTable
from ml.pushdown.explore import query_product_names
from ml.pushdown.stored import table_of
from ml.schema import SalesLensError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PATH = ROOT / "data" / "sample_sales.csv.gz"
SAMPLE_NAME = "sample_sales.csv.gz"


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


@st.cache_resource(max_entries=4, show_spinner=False)
def _parquet_table(fingerprint: str, path: str, rows: int) -> ParquetTable:
    """One ``ParquetTable`` per saved dataset (it remembers its columns and date span), shared read-only."""
    return ParquetTable(Path(path), rows)


def analysis_data(ds: Dataset) -> pd.DataFrame | ParquetTable:
    """What the Explore and Forecast pages aggregate: the dataset's frame, or for a saved dataset too large for
    pandas (``ml.limits.PUSHDOWN``) its Parquet, which ``ml.explore`` and ``ml.series`` query in place."""
    table = table_of(ds)
    return ds.frame if table is None else _parquet_table(ds.fingerprint, str(table.path), table.rows)


@st.cache_data(max_entries=4, show_spinner=False)
def _product_names(fingerprint: str, _data: pd.DataFrame | ParquetTable) -> dict[str, str]:
    return (product_names(_data) if isinstance(_data, pd.DataFrame) else query_product_names(_data)).to_dict()


def dataset_product_names(ds: Dataset) -> dict[str, str]:
    """Product id -> its usual name, once per dataset."""
    return _product_names(ds.fingerprint, analysis_data(ds))


def dataset_head(ds: Dataset, rows: int) -> pd.DataFrame:
    """The first ``rows`` lines of the cleaned data; a large saved dataset's are read from its Parquet alone."""
    table = table_of(ds)
    if table is None:
        return ds.frame.head(rows)
    return table.head(rows)


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
