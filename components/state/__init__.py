"""Every ``st.session_state`` key the app uses, defined once, with typed accessors.

Widget keys carry their page's name (``explore_freq``); keys holding app state are the constants below and in the
area modules of this package (access, jobs, pricing, recommend, workspace), all re-exported here, so ``state.X`` names
every key and no page or component writes a key as a literal string or touches ``st.session_state`` itself.

App state is read and written through typed slots, one module per area (data, forecast, recommend, runs, workspace,
access: ``state.forecast_error.get()`` is a ``Message`` or None); tuple-like values have dataclasses (``values``);
widget values go through ``widget_value``/``set_widget``/``default_widget`` (``slot``); the widget keys kept across a
page switch are listed in ``persist``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ml.dataset import CleaningOptions, Dataset
from ml.series import Filters

# App state
LANGUAGE = "language"  # "en" | "zh"
CURRENCY = "currency"  # ISO 4217 code used to format money
CURRENCY_BY_DATASET = "currency_by_dataset"  # dataset fingerprint -> the currency the analyst chose for it
DATASET = "dataset"  # ml.dataset.Dataset currently loaded
DATASET_FILES = "dataset_files"  # list[(name, bytes)] behind DATASET, to re-read with new options or mapping
MAPPING_OVERRIDES = "mapping_overrides"  # dict canonical -> source column chosen by the user
CLEANING_OPTIONS = "cleaning_options"  # ml.dataset.CleaningOptions
UPLOAD_SIGNATURE = "upload_signature"  # identity of the last processed upload, so a rerun does not re-read it
DATA_ERROR = "data_error"  # ml.messages.Message of the last ingestion error, shown until the next successful load
FILTERS = "filters"  # ml.series.Filters shared by Explore and the model pages
SAMPLE_OFFERED = "sample_offered"  # the bundled sample was loaded once for this session

# Widget keys (page-prefixed)
DATA_UPLOAD = "data_upload"
DATA_RETURNS = "data_returns"
DATA_DAY_FIRST = "data_day_first"
DATA_ENCODING = "data_encoding"
DATA_DUPLICATES = "data_duplicates"
DATA_NON_PRODUCTS = "data_non_products"
DATA_MAPPING_EDITOR = "data_mapping_editor"
DATA_PREVIEW = "data_preview"  # the Data page's preview expander (open or closed; its content is sent only when open)
SIDEBAR_LANGUAGE = "sidebar_language"
SIDEBAR_CURRENCY = "sidebar_currency"
EXPLORE_FREQ = "explore_freq"
EXPLORE_METRIC = "explore_metric"
EXPLORE_DATES = "explore_dates"
EXPLORE_CATEGORIES = "explore_categories"
EXPLORE_PRODUCTS = "explore_products"
EXPLORE_REGIONS = "explore_regions"
EXPLORE_TOP_N = "explore_top_n"
EXPLORE_HEATMAP = "explore_heatmap"


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def cleaning_options() -> CleaningOptions:
    if CLEANING_OPTIONS not in st.session_state:
        st.session_state[CLEANING_OPTIONS] = CleaningOptions()
    return st.session_state[CLEANING_OPTIONS]


def currency_choices() -> dict[str, str]:
    return st.session_state.setdefault(CURRENCY_BY_DATASET, {})


def mapping_overrides() -> dict[str, str | None]:
    return st.session_state.setdefault(MAPPING_OVERRIDES, {})


def filters() -> Filters:
    if FILTERS not in st.session_state:
        st.session_state[FILTERS] = Filters()
    return st.session_state[FILTERS]


def set_dataset(ds: Dataset, files: list[tuple[str, bytes]]) -> None:
    """A successful load replaces the dataset and resets what depended on the old one."""
    st.session_state[DATASET] = ds
    st.session_state[DATASET_FILES] = files
    st.session_state[FILTERS] = Filters()
    st.session_state.pop(DATA_ERROR, None)


def mapping_widget_key(field: str) -> str:
    """Key of the Data page's selectbox that maps one canonical field."""
    return f"data_map_{field}"


# Forecast page
OWNER = "owner"  # an id for this browser session, so background jobs know whose they are
FORECAST_JOB = "forecast_job"  # id of the training job in ml.jobs.REGISTRY
FORECAST_RESULT = "forecast_result"  # last completed ForecastRun (kept when a later run fails)
FORECAST_ERROR = "forecast_error"  # ml.messages.Message: why the last run failed
FORECAST_RUN_COUNT = "forecast_run_count"  # trainings started in this session (numbers the runs)
FORECAST_TARGET = "forecast_target"
FORECAST_LEVEL = "forecast_level"
FORECAST_FREQ = "forecast_freq"
FORECAST_CATEGORY = "forecast_category"
FORECAST_PRODUCT = "forecast_product"
FORECAST_PRODUCTS = "forecast_products"
FORECAST_PRESET = "forecast_preset"
FORECAST_FOLDS = "forecast_folds"
FORECAST_INTERVAL = "forecast_interval"
FORECAST_SERIES = "forecast_series"  # which series the result charts show
FORECAST_SHOW_BASELINES = "forecast_show_baselines"
FORECAST_BUNDLE_UPLOAD = "forecast_bundle_upload"
FORECAST_STOP = "forecast_stop"
FORECAST_LIVE_LOSS = "forecast_live_loss"
FORECAST_RESULT_CHART = "forecast_result_chart"
FORECAST_DOWNLOAD_CSV = "forecast_download_csv"
FORECAST_DOWNLOAD_MODEL = "forecast_download_model"
FORECAST_TRAIN = "forecast_train"  # the Train button (the only thing that starts a training)
FORECAST_FORM_JOB = "forecast_form_job"  # id of the training whose settings the form was last filled from
FORECAST_FORM_FREQ = "forecast_form_freq"  # the frequency whose defaults the form's untouched settings hold


def forecast_widget_key(field: str) -> str:
    """Key of the Forecast form widget for one ForecastConfig field."""
    return f"forecast_{field}"


def owner() -> str:
    if OWNER not in st.session_state:
        import uuid

        st.session_state[OWNER] = uuid.uuid4().hex
    return st.session_state[OWNER]


# Explore page (widget keys beyond the EXPLORE_* ones above)
EXPLORE_PERIOD = "explore_period"  # quick date range: all, last_30, last_90, last_365, ytd, custom
EXPLORE_COMPARE = "explore_compare"  # KPI comparison: previous period or same period last year
EXPLORE_SHOW_PREVIOUS = "explore_show_previous"  # overlay the comparison period on the trend
EXPLORE_RANK_BY = "explore_rank_by"  # top-N ranked by revenue or units
EXPLORE_HEATMAP_METRIC = "explore_heatmap_metric"
EXPLORE_RESET = "explore_reset"
EXPLORE_FILTERS_FOR = "explore_filters_for"  # fingerprint of the dataset the filter widgets were filled from
EXPLORE_TREND_CHART = "explore_trend_chart"
EXPLORE_HEATMAP_CHART = "explore_heatmap_chart"


def explore_top_chart_key(dimension: str) -> str:
    """Key of the Explore top-N chart for one dimension (product, category, region)."""
    return f"explore_top_{dimension}"


# Keys of the later areas, each in its own module of this package.
from components.state.access import *  # noqa: E402,F403
from components.state.jobs import *  # noqa: E402,F403
from components.state.pricing import *  # noqa: E402,F403
from components.state.recommend import *  # noqa: E402,F403
from components.state.workspace import *  # noqa: E402,F403

# isort: split
# Typed accessors per area (state.forecast_error.get() -> Message | None, ...), the slots' value types, the widget
# helpers and the keys kept across pages: these read the keys above.
from components.state.data import *  # noqa: E402,F403
from components.state.forecast import *  # noqa: E402,F403
from components.state.persist import PERSISTENT_FAMILIES, PERSISTENT_KEYS, is_persistent, keep_widget_values  # noqa: E402,F401
from components.state.runs import *  # noqa: E402,F403
from components.state.slot import default_widget, forget_widget, has_widget, set_widget, widget_value  # noqa: E402,F401
from components.state.values import BundleForecast, LinkSummary, RunsNotice  # noqa: E402,F401
