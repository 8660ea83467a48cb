"""The Explore page's views: KPI cards against a comparison period, the trend, top products/categories/regions and
weekday seasonality of the loaded dataset, under filters the model pages reuse. Aggregates come from the caches
(components.explore.caches); charts only ever receive aggregated frames."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import state
from components.common.datasets import analysis_data
from components.common.filters import filters_key, input_filters
from components.common.locale import currency as current_currency
from components.common.page import MISSING_CELL
from components.explore.caches import cached_frame, cached_heatmap, cached_kpis, cached_top, cached_trend
from components.explore.charts import (
    axis_label,
    format_measure,
    measure_label,
    plot_heatmap,
    plot_top,
    plot_trend,
    weekday_names,
)
from ml.dataset import Dataset
from ml.explore import (
    HEATMAP_LAYOUTS,
    RANK_MEASURES,
    KpiReport,
    available_measures,
    describe_trading_week,
)
from ml.i18n import format_day, format_number, format_percent_value, get_language, t
from ml.schema import Col

FREQS = ("D", "W", "M")
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _pick(key: str, options: list[str], default: str) -> None:
    """Keep a view setting valid for this dataset (a measure it lacks falls back to the default)."""
    if state.get(key) not in options:
        state.put(key, default if default in options else options[0])


def _signed_percent(change: float) -> str:
    text = format_percent_value(change, 1)
    return text if change < 0 else "+" + text


def show_kpis(report: KpiReport, trend: pd.DataFrame, measures: list[str], compare: str, money: str) -> None:
    lang = get_language()
    has_previous = report.previous is not None
    period_text = t(
        "explore.kpi.previous_range",
        start=format_day(report.previous_period.start),
        end=format_day(report.previous_period.end),
    )
    cards = ["revenue", "units", "orders", "customers", "aov"]
    cards = [c for c in cards if c != "orders" or "orders" in measures]  # no order id: no orders card
    per_row = 2 if len(cards) == 4 else 3  # five in a row cut "Average order value" and "vs previous period"
    columns = [c for _ in range(0, len(cards), per_row) for c in st.columns(per_row)][: len(cards)]
    for column, measure in zip(columns, cards, strict=True):
        available = measure in measures
        label = measure_label("aov_line" if measure == "aov" and report.aov_per_line else measure, lang)
        value = report.current.get(measure) if available else None
        change = report.change(measure) if available else None
        previous = report.previous.get(measure) if (has_previous and available) else None
        if not available:
            help_text = t("explore.kpi.unavailable_help")
        elif has_previous:
            help_text = t(
                "explore.kpi.previous_help",
                value=format_measure(previous, measure, lang, money),
                period=period_text,
                exact=format_measure(value, measure, lang, money),
            )
        else:
            help_text = t("explore.kpi.exact_help", exact=format_measure(value, measure, lang, money))
        spark = trend[measure].ffill().fillna(0.0).tolist() if available and measure in trend and len(trend) > 2 else None
        with column:
            st.metric(
                label,
                format_measure(value, measure, lang, money, compact=True),
                delta=_signed_percent(change) if change is not None else None,
                delta_description=(
                    t("explore.kpi.vs_year") if compare == "year" else t("explore.kpi.vs_previous")
                ) if change is not None else None,
                help=help_text,
                border=True,
                chart_data=spark,
                chart_type="area",
            )
    notes = []
    if "revenue" not in measures:
        notes.append(t("explore.kpi.no_revenue"))
    if "units" not in measures:
        notes.append(t("explore.kpi.no_units"))
    if "customers" not in measures:
        notes.append(t("explore.kpi.no_customers"))
    if report.aov_per_line:
        notes.append(t("explore.kpi.aov_per_line"))
    if not has_previous:
        notes.append(t("explore.kpi.no_previous", period=period_text))
    elif report.coverage < 1:
        notes.append(t("explore.kpi.partial_previous", period=period_text, share=format_percent_value(report.coverage, 0)))
    for note in notes:
        st.caption(note)


def show_trend(
    ds: Dataset, frame: pd.DataFrame, key: tuple, measures: list[str], report: KpiReport, compare: str, money: str
) -> None:
    lang = get_language()
    st.subheader(t("explore.trend.title"))
    _pick(state.EXPLORE_METRIC, measures, "revenue")
    _pick(state.EXPLORE_FREQ, list(FREQS), "D")
    per_line = Col.ORDER_ID not in frame
    measure = st.segmented_control(  # a row of its own: beside the frequency it cut "Average order value"
        t("explore.trend.measure"),
        options=measures,
        format_func=lambda m: measure_label("aov_line" if m == "aov" and per_line else m, lang),
        key=state.EXPLORE_METRIC,
        required=True,
    )
    middle, right = st.columns([3, 3], vertical_alignment="bottom")
    with middle:
        freq = st.segmented_control(
            t("explore.trend.freq"),
            options=list(FREQS),
            format_func={"D": t("explore.freq.day"), "W": t("explore.freq.week"), "M": t("explore.freq.month")}.get,
            key=state.EXPLORE_FREQ,
            required=True,
        )
    with right:
        show_previous = st.toggle(t("explore.trend.show_previous"), key=state.EXPLORE_SHOW_PREVIOUS)
    trend = cached_trend(ds.fingerprint, frame, key, freq, None)
    previous = None
    if show_previous and report.previous is not None:
        previous = cached_trend(ds.fingerprint, frame, key, freq, compare)
    fig = plot_trend(trend, measure, freq, lang, money, previous=previous, compare=compare, per_line=per_line)
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=state.EXPLORE_TREND_CHART)
    if show_previous and report.previous is None:
        st.caption(t("explore.trend.no_previous"))
    if trend["partial"].any():
        st.caption(t("explore.trend.partial_note"))
    with st.expander(t("explore.trend.table")):
        shown = [m for m in measures if m in trend]
        table = trend[shown].copy()
        table.index = [format_day(d) for d in table.index]
        table.index.name = t("explore.trend.period")
        table.columns = [axis_label(m, lang, money, per_line) for m in shown]
        st.dataframe(table, width="stretch", placeholder=MISSING_CELL)


def show_top(ds: Dataset, frame: pd.DataFrame, key: tuple, measures: list[str], compare: str, money: str) -> None:
    lang = get_language()
    dimensions = [d for d, col in (("product", Col.PRODUCT_ID), ("category", Col.CATEGORY), ("region", Col.REGION)) if col in frame]
    rankable = [m for m in RANK_MEASURES if m in measures]
    if not dimensions or not rankable:
        return
    st.subheader(t("explore.top.title"))
    _pick(state.EXPLORE_RANK_BY, rankable, "revenue")
    if state.get(state.EXPLORE_TOP_N) is None:
        state.put(state.EXPLORE_TOP_N, 10)
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    with left:
        rank_by = st.segmented_control(
            t("explore.top.rank_by"),
            options=rankable,
            format_func=lambda m: measure_label(m, lang),
            key=state.EXPLORE_RANK_BY,
            required=True,
        )
    with right:
        n = st.slider(t("explore.top.n"), min_value=3, max_value=30, key=state.EXPLORE_TOP_N)
    titles = {"product": t("explore.top.products"), "category": t("explore.top.categories"), "region": t("explore.top.regions")}
    for tab, dimension in zip(st.tabs([titles[d] for d in dimensions]), dimensions, strict=True):
        with tab:
            top = cached_top(ds.fingerprint, frame, key, dimension, rank_by, n, compare)
            if top.table.empty:
                st.info(t("explore.empty"))
                continue
            st.plotly_chart(plot_top(top, lang, money), width="stretch", config=CHART_CONFIG, key=state.explore_top_chart_key(dimension))
            shown = len(top.table)
            if top.rest_count:
                st.caption(
                    t(
                        "explore.top.summary",
                        shown=format_number(shown),
                        total=format_number(shown + top.rest_count),
                        share=format_percent_value(top.table["share"].sum()),
                        measure=measure_label(rank_by, lang),
                        others=format_number(top.rest_count),
                        rest=format_measure(top.rest_value, rank_by, lang, money, compact=True),
                    )
                )
            else:
                st.caption(t("explore.top.summary_all", total=format_number(shown)))
            _show_top_table(top, lang, money, compare)


def _show_top_table(top, lang: str, money: str, compare: str) -> None:
    table = top.table
    columns = ["rank", "label"] + (["category"] if "category" in table else [])
    columns += [m for m in ("revenue", "units") if m in table] + ["share", "change"]
    name_header = {
        "product": t("explore.top.col_product"),
        "category": t("explore.top.col_category"),
        "region": t("explore.top.col_region"),
    }[top.dimension]
    config = {
        "rank": st.column_config.NumberColumn(t("explore.top.col_rank"), format="%d", width="small"),
        "label": st.column_config.TextColumn(name_header),
        "category": st.column_config.TextColumn(t("explore.top.col_category")),
        "revenue": st.column_config.NumberColumn(axis_label("revenue", lang, money), format="localized"),
        "units": st.column_config.NumberColumn(measure_label("units", lang), format="localized"),
        # one decimal in every row ("percent" wrote 1.68%, 1%, 0.94% in one column), as the "new" rows' text does
        "share": st.column_config.ProgressColumn(
            t("explore.top.col_share"), format="%.1f%%", min_value=0.0, max_value=100.0
        ),
        "change": st.column_config.NumberColumn(
            t("explore.top.col_change_year") if compare == "year" else t("explore.top.col_change"),
            format="%+.1f%%",
            help=t("explore.top.col_change_help"),
        ),
    }
    table = table.assign(share=table["share"] * 100, change=table["change"] * 100)
    if table["change"].isna().all():  # no comparison period: no column of empty cells
        columns.remove("change")
    elif table["change"].isna().any():  # a product new in this period has no change to show: "new", not "None"
        table = table.assign(change=[t("explore.top.new") if pd.isna(c) else
                                     ("+" if c > 0 else "") + format_percent_value(c / 100, 1) for c in table["change"]])
        config["change"] = st.column_config.TextColumn(config["change"]["label"], help=t("explore.top.col_change_help"))
    st.dataframe(table[columns], hide_index=True, width="stretch", column_config=config, placeholder=MISSING_CELL)


def show_heatmap(ds: Dataset, frame: pd.DataFrame, key: tuple, measures: list[str], money: str) -> None:
    lang = get_language()
    st.subheader(t("explore.heatmap.title"))
    heat_measures = [m for m in measures if m != "aov"]
    _pick(state.EXPLORE_HEATMAP_METRIC, heat_measures, "revenue")
    _pick(state.EXPLORE_HEATMAP, list(HEATMAP_LAYOUTS), "week")
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    with left:
        measure = st.segmented_control(
            t("explore.heatmap.measure"),
            options=heat_measures,
            format_func=lambda m: measure_label(m, lang),
            key=state.EXPLORE_HEATMAP_METRIC,
            required=True,
        )
    with right:
        layout = st.segmented_control(
            t("explore.heatmap.layout"),
            options=list(HEATMAP_LAYOUTS),
            format_func={"week": t("explore.heatmap.by_week"), "month": t("explore.heatmap.by_month")}.get,
            key=state.EXPLORE_HEATMAP,
            required=True,
        )
    matrix = cached_heatmap(ds.fingerprint, frame, key, measure, layout)
    st.plotly_chart(plot_heatmap(matrix, lang, money), width="stretch", config=CHART_CONFIG, key=state.EXPLORE_HEATMAP_CHART)
    st.caption(t("explore.heatmap.note_week") if layout == "week" else t("explore.heatmap.note_month"))
    insight = describe_trading_week(matrix)
    if insight:
        high, high_index, low, low_index, closed = insight
        names = weekday_names(lang)
        values = {"busiest": names[high], "above": format_percent_value(high_index - 1, 0), "quietest": names[low],
                  "below": format_percent_value(1 - low_index, 0)}
        if closed:
            st.caption(t("explore.heatmap.insight_closed", closed=", ".join(names[d] for d in closed), **values))
        else:
            st.caption(t("explore.heatmap.insight", **values))


def show_explore(ds: Dataset) -> None:
    money = current_currency()
    filters = input_filters(ds)
    frame = cached_frame(ds.fingerprint, analysis_data(ds))
    key = filters_key(filters)
    measures = available_measures(frame.columns)

    _pick(state.EXPLORE_COMPARE, ["previous", "year"], "previous")
    head, compare_col = st.columns([4, 1.3], vertical_alignment="bottom")
    with compare_col:
        compare = st.selectbox(
            t("explore.kpi.compare"),
            options=["previous", "year"],
            format_func={"previous": t("explore.kpi.compare_previous"), "year": t("explore.kpi.compare_year")}.get,
            key=state.EXPLORE_COMPARE,
        )
    report = cached_kpis(ds.fingerprint, frame, key, compare)
    with head:
        st.caption(
            t(
                "explore.selection",
                rows=format_number(report.current.lines),
                start=format_day(report.period.start),
                end=format_day(report.period.end),
                days=format_number(report.period.days),
            )
        )
    if report.current.lines == 0:
        st.info(t("explore.empty"))
        return
    freq = state.get(state.EXPLORE_FREQ) if state.get(state.EXPLORE_FREQ) in FREQS else "D"
    show_kpis(report, cached_trend(ds.fingerprint, frame, key, freq, None), measures, compare, money)
    show_trend(ds, frame, key, measures, report, compare, money)
    show_top(ds, frame, key, measures, compare, money)
    show_heatmap(ds, frame, key, measures, money)
