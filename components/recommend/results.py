"""Drawing the Recommendations page's results (``show_*``): customer, product, segments, evaluation, download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import state
from components.common.messages import show_message
from components.common.page import MISSING_CELL
from components.recommend.charts import plot_evaluation, plot_scores, plot_segments
from ml.export import to_safe_csv
from ml.i18n import format_day, format_number, format_percent_value, get_language, t, translate
from ml.recommend import METRICS, segment_customers
from ml.recommend.service import (
    RecommendRun,
    bought_with,
    fit_recommender,
    purchase_history,
    recommend_customer,
    recommend_everyone,
    similar_products,
)
from ml.schema import Col, SalesLensError


def _reason(message_id: str | None, params: dict | None, language: str | None = None) -> str:
    if not message_id:
        return ""
    return translate(message_id, language or get_language(), **(params or {}))


def use_algorithm(run: RecommendRun, frame: pd.DataFrame, algorithm: str) -> RecommendRun:
    """``run`` with its lists from ``algorithm``; one not fitted yet is fitted on all data now and kept in the run."""
    models = run.fitted_models()
    if algorithm not in models:
        settings = run.settings
        with st.spinner(t("recommend.list.fitting", algorithm=t(f"recommend.algo.{algorithm}"))):
            try:
                model = fit_recommender(frame, algorithm, settings.weighting, settings.half_life_days, settings.seed)
            except SalesLensError as err:
                show_message(err.message, "warning", icon=None)
                return run
        run = run.using(model)
        state.recommend_result.set(run)
        return run
    return run.using(models[algorithm])


def show_customer(run: RecommendRun, frame: pd.DataFrame, customer: str) -> None:
    """Top-k with scores and reasons (full width: the reasons are long), then the score chart beside the history."""
    fitted, settings = run.fitted, run.settings
    recs = recommend_customer(fitted, customer, settings.k, exclude_seen=not settings.repeat)
    row = fitted.interactions.customer_index(customer)
    st.markdown(f"**{t('recommend.customer.top', k=settings.k, algorithm=t(f'recommend.algo.{fitted.algorithm}'))}**")
    if row is None:
        st.info(t("recommend.customer.cold_start", customer=customer, days=fitted.interactions.recent_days))
    if recs.empty:
        st.info(t("recommend.customer.bought_everything"))
    else:
        st.dataframe(pd.DataFrame({
            t("recommend.table.rank"): recs["rank"],
            t("field.product_id"): recs["product_id"],
            t("field.product_name"): recs["product_name"],
            t("recommend.table.score"): [format_number(s, 3) for s in recs["score"]],
            t("recommend.table.reason"): [_reason(m, p) for m, p in zip(recs["reason_id"], recs["reason_params"], strict=True)],
        }), hide_index=True, width="stretch", placeholder=MISSING_CELL)
    left, right = st.columns(2)
    with left:
        if not recs.empty:
            st.plotly_chart(plot_scores(recs), width="stretch", key=state.RECOMMEND_SCORES_CHART)
    with right:
        if row is not None:  # a large saved dataset's: one query for this customer's lines (ml.pushdown)
            st.markdown(f"**{t('recommend.customer.history', customer=customer)}**")
            history = purchase_history(frame, customer)
            st.caption(t("recommend.customer.history_caption", lines=format_number(len(history)), products=format_number(len(fitted.interactions.seen(row)))))
            shown = history.head(200).copy()
            shown[Col.DATE] = [format_day(d) for d in shown[Col.DATE]]
            st.dataframe(shown.rename(columns={c: t(f"field.{c}") for c in shown.columns}), hide_index=True, width="stretch", placeholder=MISSING_CELL)


def show_product(run: RecommendRun | None, pairs: pd.DataFrame | None, product: str, k: int) -> None:
    """Similar products beside products bought together (``pairs``: every pair, or on a large saved dataset those
    of this product, counted in place; None while that dataset's buyers are being counted)."""
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('recommend.product.similar', product=product)}**")
        if run is None:
            st.info(t("recommend.product.similar_needs_customers"))
        else:
            similar = similar_products(run.fitted, product, k)
            if not similar.empty and similar["source"].iloc[0] == "content":
                st.info(t("recommend.product.no_sales"))
            st.dataframe(pd.DataFrame({
                t("field.product_id"): similar["product_id"], t("field.product_name"): similar["product_name"],
                t("recommend.table.similarity"): [format_number(s, 3) for s in similar["score"]],
            }), hide_index=True, width="stretch", placeholder=MISSING_CELL)
    with right:
        st.markdown(f"**{t('recommend.product.together', product=product)}**")
        if pairs is None:
            st.info(t("pushdown_recommend.job.waiting"))
            return
        together = bought_with(pairs, run.fitted.interactions if run else None, product, k)
        if together.empty:
            st.info(t("recommend.product.nothing_together"))
        else:
            st.dataframe(pd.DataFrame({
                t("field.product_id"): together["product_b"],
                t("field.product_name"): together.get("product_name", together["product_b"]),
                t("recommend.table.customers"): together["n_customers"],
                t("recommend.table.confidence"): [format_percent_value(c) for c in together["confidence"]],
                t("recommend.table.lift"): [format_number(v, 2) for v in together["lift"]],
            }), hide_index=True, width="stretch", placeholder=MISSING_CELL)
            st.caption(t("recommend.product.together_caption"))


@st.cache_data(max_entries=8, show_spinner=False)
def _segments(fingerprint: str, weighting: str, half_life: float | None, method: str, count: int, _run: RecommendRun, _frame: pd.DataFrame):
    return segment_customers(_run.fitted.interactions, _frame, count, method)


def show_segments(run: RecommendRun, frame: pd.DataFrame, method: str, count: int) -> None:
    """Segments of the customers (a large saved dataset's RFM sums: one query per customer group, ml.pushdown)."""
    s = run.settings
    try:
        segmentation = _segments(run.dataset_fingerprint, s.weighting, s.half_life_days, method, count, run, frame)
    except SalesLensError as err:
        st.warning(t(err.message_id, **err.params))
        return
    summary = segmentation.summary
    st.plotly_chart(plot_segments(summary), width="stretch", key=state.RECOMMEND_SEGMENT_CHART)
    table = pd.DataFrame({
        t("recommend.table.segment"): [t("recommend.segment.name", segment=int(x)) for x in summary["segment"]],
        t("recommend.table.customers"): [format_number(c) for c in summary["customers"]],
        t("recommend.table.share"): [format_percent_value(x) for x in summary["share"]],
        t("recommend.table.top_categories"): [", ".join(f"{c} {format_percent_value(v, 0)}" for c, v in row) for row in summary["top_categories"]],
        t("recommend.table.top_products"): [", ".join(row) for row in summary["top_products"]],
    })
    if "recency" in summary:
        table[t("recommend.table.recency")] = [format_number(v) for v in summary["recency"]]
        table[t("recommend.table.frequency")] = [format_number(v) for v in summary["frequency"]]
    st.dataframe(table, hide_index=True, width="stretch", placeholder=MISSING_CELL)
    st.caption(t(f"recommend.segment.caption_{method}"))


def show_evaluation(run: RecommendRun, metric: str) -> None:
    result = run.evaluation
    if result is None or result.table.empty:
        if not run.evaluation_error:
            st.info(t("recommend.evaluation.none"))
        return
    st.caption(t("recommend.evaluation.caption", days=result.test_days, customers=format_number(result.n_customers), k=result.k))
    if getattr(result, "new_launches", None) is not None:  # runs saved before the cold-start path have none
        st.caption(result.new_launches.note().render())
    table = result.table
    shown = pd.DataFrame({t("recommend.table.algorithm"): [t(f"recommend.algo.{a}") for a in table["algorithm"]]})
    for m in METRICS:
        shown[t(f"recommend.metric.{m}").replace("@k", f"@{result.k}")] = table[m].to_numpy()
    shown[t("recommend.table.seconds")] = (table["fit_seconds"] + table["eval_seconds"]).to_numpy()
    best_row = table.index[table["algorithm"] == result.best]
    styled = shown.style.format(precision=3).apply(
        lambda row: ["background-color: rgba(37, 99, 235, 0.15); font-weight: 600" if row.name in best_row else "" for _ in row], axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", placeholder=MISSING_CELL)
    if result.best:
        st.success(t("recommend.evaluation.best", algorithm=t(f"recommend.algo.{result.best}"), k=result.k))
    for name, message in result.errors.items():
        st.warning(f"{t(f'recommend.algo.{name}')}: {message.render()}")
    st.plotly_chart(plot_evaluation(table, metric, result.k, result.best), width="stretch", key=state.RECOMMEND_EVAL_CHART)


def show_download(run: RecommendRun) -> None:
    """Recommendations for every customer as CSV, built when clicked, in the language of the page."""
    language = get_language()
    fitted, settings = run.fitted, run.settings

    def build() -> bytes:
        everyone = recommend_everyone(fitted, settings.k, exclude_seen=not settings.repeat, explain=True)
        out = pd.DataFrame({
            translate("field.customer_id", language): everyone["customer_id"],
            translate("recommend.table.rank", language): everyone["rank"],
            translate("field.product_id", language): everyone["product_id"],
            translate("field.product_name", language): everyone["product_name"],
            translate("recommend.table.reason", language): [_reason(m, p, language) for m, p in zip(everyone["reason_id"], everyone["reason_params"], strict=True)],
        })
        return to_safe_csv(out)

    st.download_button(t("recommend.download.label", customers=format_number(fitted.interactions.n_customers)), data=build,
                       file_name=f"recommendations_{fitted.algorithm}.csv", mime="text/csv", key=state.RECOMMEND_DOWNLOAD_CSV)
