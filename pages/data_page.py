"""Data: upload exports (or use the sample), confirm the column mapping, choose cleaning options, read the report."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.access import require_access
from components.common.datasets import load_sample
from components.common.workspace import show_workspace_error
from components.data.loading import load_files, show_data_error, show_saved_datasets
from components.data.reports import show_mapping_form, show_preview, show_validation_report
from components.data.sql_source import show_sql_source
from ml.dataset import CleaningOptions, ReturnsPolicy
from ml.i18n import t
from ml.parsing import describe_date_format

require_access()  # a first request straight to this file (multipage-v1 fallback) meets the door too

UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "zip", "xlsx"]
ENCODING_CHOICES = ("auto", "utf-8", "gb18030", "cp1252", "big5", "utf-16")

st.title(t("data.title"))
st.caption(t("data.intro"))

upload_col, sample_col = st.columns([3, 1])
with upload_col:
    uploaded = st.file_uploader(
        t("data.upload.label"),
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key=state.DATA_UPLOAD,
        help=t("data.upload.help"),
    )
with sample_col:
    st.write("")
    if st.button(t("data.sample.button"), help=t("data.sample.help"), width="stretch"):
        load_sample()

if uploaded:
    signature = tuple((f.name, f.size, f.file_id) for f in uploaded)
    if signature != state.upload_signature.get():
        state.upload_signature.set(signature)
        files = [(f.name, f.getvalue()) for f in uploaded]
        state.put(state.MAPPING_OVERRIDES, {})
        load_files(files, options=state.cleaning_options())
show_sql_source()  # "From a database", when the administrator configured a connection

show_saved_datasets()
show_data_error()
show_workspace_error()
ds = state.dataset()
if ds is None:
    st.info(t("data.empty"))
    st.stop()

report = ds.report
if report.date_ambiguous:
    st.warning(
        t(
            "data.date_ambiguous",
            chosen=describe_date_format(report.date_format),
            other=describe_date_format(report.date_alternative),
        ), icon=":material/calendar_month:"
    )

with st.expander(t("data.options.title"), expanded=report.date_ambiguous):
    with st.form("data_options_form", border=False):
        current = state.cleaning_options()
        returns = st.radio(
            t("data.options.returns"),
            options=[p.value for p in ReturnsPolicy],
            format_func=lambda v: t(f"data.options.returns_{v}"),
            index=[p.value for p in ReturnsPolicy].index(current.returns),
            key=state.DATA_RETURNS,
            help=t("data.options.returns_help"),
            horizontal=True,
        )
        order_labels = {"auto": t("data.options.date_auto"), "day": t("data.options.date_day"), "month": t("data.options.date_month")}
        order_value = {None: "auto", True: "day", False: "month"}[current.day_first]
        order = st.radio(
            t("data.options.date_order"),
            options=list(order_labels),
            format_func=order_labels.get,
            index=list(order_labels).index(order_value),
            key=state.DATA_DAY_FIRST,
            horizontal=True,
        )
        encoding = st.selectbox(
            t("data.options.encoding"),
            options=ENCODING_CHOICES,
            index=ENCODING_CHOICES.index(current.encoding or "auto"),
            format_func=lambda v: t("data.options.encoding_auto") if v == "auto" else v,
            key=state.DATA_ENCODING,
        )
        duplicates = st.checkbox(t("data.options.duplicates"), value=current.drop_duplicates, key=state.DATA_DUPLICATES)
        non_products = st.checkbox(t("data.options.non_products"), value=current.keep_non_products,
                                   key=state.DATA_NON_PRODUCTS, help=t("data.options.non_products_help"))
        if st.form_submit_button(t("data.options.apply")):
            options = CleaningOptions(
                returns=ReturnsPolicy(returns),
                day_first={"auto": None, "day": True, "month": False}[order],
                drop_duplicates=duplicates,
                encoding=None if encoding == "auto" else encoding,
                keep_non_products=non_products,
            )
            if not state.dataset_files.get():
                st.warning(t("data.saved.no_sources"))
            elif load_files(state.dataset_files.get(), state.mapping_overrides(), options):
                state.put(state.CLEANING_OPTIONS, options)
            st.rerun()

overrides = show_mapping_form(ds)
if overrides is not None and not state.dataset_files.get():
    st.warning(t("data.saved.no_sources"))
elif overrides is not None:
    if load_files(state.dataset_files.get(), overrides, state.cleaning_options()):
        state.put(state.MAPPING_OVERRIDES, overrides)
    st.rerun()

show_validation_report(report)
show_preview(ds)
