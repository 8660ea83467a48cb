"""Explore's aggregates, cached per dataset fingerprint and filter values (``key``: ``filters_key(filters)``).

The frame travels as an unhashed ``_frame`` argument; the dataset fingerprint (a content hash) keys the cache.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ml.explore import (
    KpiReport,
    comparison_period,
    make_kpis,
    make_top,
    make_trend,
    make_weekday_matrix,
    prepare_frame,
    resolve_period,
)
from ml.series import Filters


@st.cache_resource(max_entries=4, show_spinner=False)
def cached_frame(fingerprint: str, _frame: pd.DataFrame) -> pd.DataFrame:
    """Ids as integer codes, once per dataset; shared read-only (never modified) by every session. A large saved
    dataset's ``ParquetTable`` (``components.common.datasets.analysis_data``) passes through: it is queried in place."""
    return prepare_frame(_frame) if isinstance(_frame, pd.DataFrame) else _frame


@st.cache_data(max_entries=64, show_spinner=False)
def cached_kpis(fingerprint: str, _frame: pd.DataFrame, key: tuple, compare: str) -> KpiReport:
    return make_kpis(_frame, Filters(*key), compare)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_trend(fingerprint: str, _frame: pd.DataFrame, key: tuple, freq: str, compare: str | None) -> pd.DataFrame:
    """The range's trend, or with ``compare`` the comparison period's."""
    filters = Filters(*key)
    if compare is None:
        return make_trend(_frame, filters, freq)
    return make_trend(_frame, filters, freq, period=comparison_period(resolve_period(_frame, filters), compare))


@st.cache_data(max_entries=64, show_spinner=False)
def cached_top(fingerprint: str, _frame: pd.DataFrame, key: tuple, dimension: str, measure: str, n: int, compare: str):
    return make_top(_frame, Filters(*key), dimension, measure, n, compare)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_heatmap(fingerprint: str, _frame: pd.DataFrame, key: tuple, measure: str, layout: str):
    return make_weekday_matrix(_frame, Filters(*key), measure, layout)
