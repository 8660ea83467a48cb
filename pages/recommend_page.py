"""Recommendations: fit and evaluate recommenders in the background, then explore a customer, a product, segments."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import state
from components.common.access import require_access
from components.common.datasets import dataset_product_names
from components.common.messages import show_message
from components.common.page import page_header_with_dataset
from components.recommend.buyers import buyers_counted
from components.recommend.inputs import (
    input_customer,
    input_list_algorithm,
    input_metric,
    input_product,
    input_segments,
    input_settings,
    input_view,
)
from components.recommend.jobs import collect_finished_job, job_in_progress, show_progress, start_recommend
from components.recommend.kept import load_kept, restore_kept, show_kept_note, use_kept
from components.recommend.results import (
    show_customer,
    show_download,
    show_evaluation,
    show_product,
    show_segments,
    use_algorithm,
)
from ml.i18n import format_number, t
from ml.products import product_names
from ml.pushdown.explore import query_distinct
from ml.pushdown.stored import table_of
from ml.recommend import co_purchase_pairs
from ml.recommend.service import product_pairs
from ml.schema import Col, SalesLensError

require_access()  # a first request straight to this file (multipage-v1 fallback) meets the door too

ds = page_header_with_dataset("recommend.page.title", "recommend.page.intro", "recommend.page.no_data")


@st.cache_data(max_entries=4, show_spinner=False)
def order_pairs(fingerprint: str, _frame: pd.DataFrame) -> pd.DataFrame:
    return co_purchase_pairs(_frame)


@st.cache_data(max_entries=16, show_spinner=False)
def _pairs_of(fingerprint: str, product: str, _source) -> pd.DataFrame:
    return product_pairs(_source, product)


def pairs_of(fingerprint: str, product: str, source) -> pd.DataFrame | None:
    """What ``product`` is bought with: on a large saved dataset, counted for this product alone in place, once
    every product's buyers are counted (a job for all sessions: minutes on 20M lines, bench/RESULTS.md); None
    while they are, the job's progress drawn instead."""
    if not buyers_counted(source):
        return None
    with st.spinner(t("pushdown_recommend.page.counting_pairs", product=product)):
        return _pairs_of(fingerprint, product, source)


table = table_of(ds)  # a large saved dataset: fitted on its matrix aggregated in place, never read whole (ml.pushdown)
if table is not None:
    st.info(t("pushdown_recommend.page.note", rows=format_number(ds.report.rows_kept)), icon=":material/info:")
frame = ds.frame if table is None else table
if table is not None:
    has_customers = Col.CUSTOMER_ID in table
else:
    has_customers = ds.has(Col.CUSTOMER_ID) and frame[Col.CUSTOMER_ID].notna().any()
if not has_customers:
    # without customers there is nothing to personalise, but orders still say which products go together
    st.warning(t("recommend.page.needs_customers"))
    if not ds.has(Col.ORDER_ID) or not ds.has(Col.PRODUCT_ID):
        st.stop()
    st.subheader(t("recommend.view.product"))
    if table is None:
        products = frame[Col.PRODUCT_ID].astype(str).drop_duplicates().sort_values().to_numpy()
        known = product_names(frame)
    else:
        products, known = list(query_distinct(table, Col.PRODUCT_ID)), dataset_product_names(ds)
    names = [known.get(p, p) for p in products]
    product = input_product(products, names)
    if product:
        try:
            pairs = order_pairs(ds.fingerprint, frame) if table is None else pairs_of(ds.fingerprint, product, table)
        except SalesLensError as err:
            show_message(err.message)
            st.stop()
        if pairs is not None:
            show_product(None, pairs, product, 10)
    st.stop()

collect_finished_job()
restore_kept(ds.fingerprint, job_in_progress())  # a reload shows the newest run kept for this dataset at once
settings = input_settings()
if settings is not None:
    if job_in_progress():
        st.warning(t("recommend.job.already_running"))
    elif (kept := load_kept(ds.fingerprint, settings)) is not None:  # these settings were fitted on this data
        use_kept(kept, form=False)
    else:
        start_recommend(frame, settings, ds.fingerprint, ds.name)
if job_in_progress():
    show_progress()

error = state.recommend_error.get()
if error:
    show_message(error)

run = state.recommend_result.get()
if run is None:
    if not job_in_progress():
        st.info(t("recommend.page.none_yet"))
    st.stop()
if run.dataset_fingerprint != ds.fingerprint:
    st.info(t("recommend.page.other_dataset", name=run.dataset_name))
    st.stop()
if run.stopped:
    st.info(t("recommend.page.stopped"))
show_kept_note(run)
if run.evaluation_error:  # the recommendations were still fitted; say why there is no evaluation
    st.warning(t("recommend.page.evaluation_failed", reason=run.evaluation_error.render()))

view = input_view()
if view in ("customer", "product"):
    run = use_algorithm(run, frame, input_list_algorithm(run))
if view == "customer":
    customer = input_customer(run.fitted.interactions)
    if customer:
        show_customer(run, frame, customer)
    st.caption(t("recommend.page.cold_start_note"))
    show_download(run)
elif view == "product":
    it = run.fitted.interactions
    product = input_product(it.product_ids.astype(str), it.product_names.astype(str))
    if product:
        pairs = run.fitted.pairs if table is None else pairs_of(ds.fingerprint, product, table)
        show_product(run, pairs, product, run.settings.k)
elif view == "segments":
    method, count = input_segments()
    show_segments(run, frame, method, count)
else:
    show_evaluation(run, input_metric())
