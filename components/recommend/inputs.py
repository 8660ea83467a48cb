"""Widgets of the Recommendations page (``input_*`` return what the analyst chose)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from components import state
from ml.i18n import format_number, t
from ml.recommend import ALGORITHMS, METRICS, SEGMENT_METHODS, SLOW_ALGORITHMS, WEIGHTINGS
from ml.recommend.interactions import Interactions
from ml.recommend.service import RecommendRun, RecommendSettings

MAX_OPTIONS = 300  # customers listed in the picker at once; the search narrows them


def _algo(name: str) -> str:
    return t(f"recommend.algo.{name}")


def _init(key: str, value: object) -> None:
    """Give a widget its first value through the session (not ``value=``), so values kept across pages don't clash."""
    if state.widget_value(key) is None:
        state.set_widget(key, value)


def input_settings() -> RecommendSettings | None:
    """The fit-and-evaluate form; returns settings when the button is pressed."""
    for key, value in ((state.RECOMMEND_ALGORITHMS, [a for a in ALGORITHMS if a not in SLOW_ALGORITHMS]), (state.RECOMMEND_ALGORITHM, "item-knn"),
                       (state.RECOMMEND_WEIGHTING, WEIGHTINGS[0]), (state.RECOMMEND_K, 10), (state.RECOMMEND_TEST_DAYS, 30),
                       (state.RECOMMEND_HALF_LIFE, 0), (state.RECOMMEND_REPEAT, False)):
        _init(key, value)
    with st.container(border=True):
        left, right = st.columns(2)
        with left:
            algorithms = st.multiselect(t("recommend.settings.algorithms"), ALGORITHMS,
                                        format_func=_algo, key=state.RECOMMEND_ALGORITHMS, help=t("recommend.settings.algorithms_help"))
            algorithm = st.selectbox(t("recommend.settings.algorithm"), ALGORITHMS, format_func=_algo,
                                     key=state.RECOMMEND_ALGORITHM, help=t("recommend.settings.algorithm_help"))
            weighting = st.selectbox(t("recommend.settings.weighting"), WEIGHTINGS, format_func=lambda w: t(f"recommend.weighting.{w}"),
                                     key=state.RECOMMEND_WEIGHTING)
        with right:
            k = st.number_input(t("recommend.settings.k"), min_value=1, max_value=100, step=1, key=state.RECOMMEND_K)
            test_days = st.number_input(t("recommend.settings.test_days"), min_value=1, max_value=365, step=1,
                                        key=state.RECOMMEND_TEST_DAYS, help=t("recommend.settings.test_days_help"))
            half_life = st.number_input(t("recommend.settings.half_life"), min_value=0, max_value=3650, step=30,
                                        key=state.RECOMMEND_HALF_LIFE, help=t("recommend.settings.half_life_help"))
            repeat = st.checkbox(t("recommend.settings.repeat"), key=state.RECOMMEND_REPEAT, help=t("recommend.settings.repeat_help"))
        pressed = st.button(t("recommend.settings.run"), type="primary", key=state.RECOMMEND_RUN_BUTTON)
    if not pressed:
        return None
    return RecommendSettings(algorithms=list(algorithms), algorithm=algorithm, k=int(k), test_days=int(test_days), weighting=weighting,
                             half_life_days=float(half_life) or None, repeat=bool(repeat))


def input_view() -> str:
    views = ["customer", "product", "segments", "evaluation"]
    return st.radio(t("recommend.view.label"), views, format_func=lambda v: t(f"recommend.view.{v}"), key=state.RECOMMEND_VIEW, horizontal=True)


def input_list_algorithm(run: RecommendRun) -> str:
    """Which algorithm the lists come from: the evaluation's best by default (labelled so), any other evaluated or
    fitted one a click away. A new run starts again from its best."""
    best = run.best
    models = run.fitted_models()
    evaluated = [] if run.evaluation is None else [a for a in run.evaluation.table["algorithm"] if a not in run.evaluation.errors]
    options = list(dict.fromkeys([*([best] if best else []), *evaluated, *models]))
    default = best if best in models else run.fitted.algorithm
    token = (run.dataset_fingerprint, repr(run.settings), best)
    if state.recommend_list_for.get() != token or state.widget_value(state.RECOMMEND_LIST_ALGORITHM) not in options:
        state.set_widget(state.RECOMMEND_LIST_ALGORITHM, default)
        state.recommend_list_for.set(token)

    def label(name: str) -> str:
        return t("recommend.list.best", algorithm=_algo(name)) if name == best else _algo(name)

    return st.selectbox(t("recommend.list.algorithm"), options, format_func=label, key=state.RECOMMEND_LIST_ALGORITHM,
                        help=t("recommend.list.algorithm_help"))


def input_customer(interactions: Interactions) -> str | None:
    """Search by id (part of it), then pick; an id the data does not know is returned as typed (cold start)."""
    search = st.text_input(t("recommend.customer.search"), key=state.RECOMMEND_CUSTOMER_SEARCH, help=t("recommend.customer.search_help")).strip()
    ids = interactions.customer_ids.astype(str)  # sorted by build_interactions
    matches = ids[np.char.find(np.char.lower(ids), search.lower()) >= 0] if search else ids
    options = list(matches[:MAX_OPTIONS])
    new_customer = search if search and interactions.customer_index(search) is None else None
    if new_customer:
        options = [new_customer, *options]  # cold start
    if not options:
        return None
    st.caption(t("recommend.customer.matches", shown=format_number(min(len(matches), MAX_OPTIONS)), total=format_number(len(matches))))
    return st.selectbox(t("recommend.customer.pick"), options, key=state.RECOMMEND_CUSTOMER,
                        format_func=lambda c: t("recommend.customer.new", customer=c) if c == new_customer else c)


def input_product(product_ids: np.ndarray, names: np.ndarray) -> str | None:
    labels = {str(p): (f"{p} · {n}" if str(n) != str(p) else str(p)) for p, n in zip(product_ids, names, strict=True)}
    options = list(labels)
    if not options:
        return None
    return st.selectbox(t("recommend.product.pick"), options, format_func=lambda p: labels.get(p, p), key=state.RECOMMEND_PRODUCT)


def input_segments() -> tuple[str, int]:
    _init(state.RECOMMEND_SEGMENT_COUNT, 4)
    left, right = st.columns(2)
    method = left.radio(t("recommend.segment.method"), SEGMENT_METHODS, format_func=lambda m: t(f"recommend.segment_method.{m}"),
                        key=state.RECOMMEND_SEGMENT_METHOD, horizontal=True)
    count = right.slider(t("recommend.segment.count"), min_value=2, max_value=10, key=state.RECOMMEND_SEGMENT_COUNT)
    return method, int(count)


def input_metric() -> str:
    _init(state.RECOMMEND_EVAL_METRIC, "recall")
    return st.selectbox(t("recommend.evaluation.metric"), METRICS, format_func=lambda m: t(f"recommend.metric.{m}"),
                        key=state.RECOMMEND_EVAL_METRIC)
