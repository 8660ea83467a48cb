"""The shared filter bar: date range (with quick ranges), category, product and region.

``input_filters`` stores its result in ``state.FILTERS``, which the Forecast and Pricing pages read, and fills
its widgets from that value whenever they are drawn afresh (Streamlit forgets a widget's value when the user
leaves its page), so the filters survive page switches. A page that wants its own copy of the bar passes its
own ``FilterKeys``; a page that only reads the filters can show ``describe_filters``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components import state
from components.common.datasets import analysis_data
from ml.dataset import Dataset
from ml.i18n import format_day, format_number, t
from ml.products import product_label, product_names
from ml.pushdown.explore import query_distinct, query_first_values, query_product_names
from ml.schema import Col
from ml.series import Filters

PRESETS = ("all", "last_30", "last_90", "last_365", "ytd", "custom")
MAX_LISTED = 3  # values named in a filter summary before it says "and N more"


@dataclass(frozen=True)
class FilterKeys:
    """Session keys of one filter bar's widgets."""

    period: str = state.EXPLORE_PERIOD
    dates: str = state.EXPLORE_DATES
    categories: str = state.EXPLORE_CATEGORIES
    products: str = state.EXPLORE_PRODUCTS
    regions: str = state.EXPLORE_REGIONS
    reset: str = state.EXPLORE_RESET
    filled_for: str = state.EXPLORE_FILTERS_FOR

    def widget_keys(self) -> list[str]:
        return [self.period, self.dates, self.categories, self.products, self.regions]


EXPLORE_KEYS = FilterKeys()


@dataclass(frozen=True)
class FilterOptions:
    """What the dataset offers to filter on (empty tuples: the column is absent)."""

    first_day: date
    last_day: date
    categories: tuple[str, ...]
    products: tuple[str, ...]
    product_labels: dict[str, str]
    product_category: dict[str, str]
    regions: tuple[str, ...]


@st.cache_data(max_entries=8, show_spinner=False)
def filter_options(fingerprint: str, _frame: pd.DataFrame) -> FilterOptions:
    """Distinct values per filter column, computed once per dataset (keyed on its fingerprint)."""
    frame = _frame
    if not isinstance(frame, pd.DataFrame):  # a large saved dataset, queried in place (ml.pushdown)
        return _queried_options(frame)

    def distinct(column: str) -> tuple[str, ...]:
        if column not in frame:
            return ()
        values = frame[column].dropna().unique()
        return tuple(sorted(str(v) for v in values if str(v) != ""))

    products = distinct(Col.PRODUCT_ID)
    labels: dict[str, str] = {p: p for p in products}
    if products:
        names = product_names(frame)
        labels = {p: product_label(p, names) for p in products}
    product_category: dict[str, str] = {}
    if products and Col.CATEGORY in frame:
        cats = frame.groupby(Col.PRODUCT_ID, observed=True)[Col.CATEGORY].first().dropna()
        product_category = {str(k): str(v) for k, v in cats.items()}
    return FilterOptions(
        first_day=frame[Col.DATE].min().date(),
        last_day=frame[Col.DATE].max().date(),
        categories=distinct(Col.CATEGORY),
        products=products,
        product_labels=labels,
        product_category=product_category,
        regions=distinct(Col.REGION),
    )


def _queried_options(table) -> FilterOptions:
    products = query_distinct(table, Col.PRODUCT_ID)
    names = query_product_names(table) if products else {}
    cats = query_first_values(table, None, Col.PRODUCT_ID, Col.CATEGORY) if products and Col.CATEGORY in table else {}
    first, last = table.date_span
    return FilterOptions(
        first_day=first.date(), last_day=last.date(), categories=query_distinct(table, Col.CATEGORY),
        products=products, product_labels={p: product_label(p, names) for p in products},
        product_category={str(k): str(v) for k, v in dict(cats).items()}, regions=query_distinct(table, Col.REGION),
    )


# ------------------------------------------------------------------------------------------- date presets


def preset_range(preset: str, first: date, last: date) -> tuple[date, date]:
    """A quick range ending on the data's last day (not today: exports are often historical)."""
    starts = {
        "all": first,
        "last_30": last - timedelta(days=29),
        "last_90": last - timedelta(days=89),
        "last_365": last - timedelta(days=364),
        "ytd": date(last.year, 1, 1),
    }
    return max(starts.get(preset, first), first), last


def detect_preset(start: date, end: date, first: date, last: date) -> str:
    for preset in PRESETS[:-1]:
        if preset_range(preset, first, last) == (start, end):
            return preset
    return "custom"


def _preset_labels() -> dict[str, str]:
    """Labels in the current language (a dict, so AppTest's later calls of format_func need no language)."""
    return {
        "all": t("explore.filters.preset_all"),
        "last_30": t("explore.filters.preset_last_30"),
        "last_90": t("explore.filters.preset_last_90"),
        "last_365": t("explore.filters.preset_last_365"),
        "ytd": t("explore.filters.preset_ytd"),
        "custom": t("explore.filters.preset_custom"),
    }


# -------------------------------------------------------------------------------------------- callbacks


def _on_preset(keys: FilterKeys, first: date, last: date) -> None:
    preset = state.widget_value(keys.period)
    if preset != "custom":
        state.set_widget(keys.dates, preset_range(preset, first, last))


def _on_dates(keys: FilterKeys, first: date, last: date) -> None:
    chosen = state.widget_value(keys.dates)
    if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
        state.set_widget(keys.period, detect_preset(chosen[0], chosen[1], first, last))


def _on_reset(keys: FilterKeys) -> None:
    for key in keys.widget_keys():
        state.forget_widget(key)
    state.put(state.FILTERS, Filters())


# ------------------------------------------------------------------------------------------------ widgets


def clean_filters(filters: Filters, options: FilterOptions) -> Filters:
    """Drop values the dataset does not have (filters chosen on another dataset, or on another page)."""

    def keep(chosen: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
        allowed_set = set(allowed)
        return tuple(v for v in chosen if v in allowed_set)

    def clamp(day: date | None) -> date | None:
        if day is None:
            return None
        return min(max(day, options.first_day), options.last_day)

    start, end = clamp(filters.date_from), clamp(filters.date_to)
    if start and end and start > end:
        start, end = None, None
    return Filters(
        date_from=None if start == options.first_day else start,
        date_to=None if end == options.last_day else end,
        categories=keep(filters.categories, options.categories),
        products=keep(filters.products, options.products),
        regions=keep(filters.regions, options.regions),
    )


def _fill_widgets(keys: FilterKeys, filters: Filters, options: FilterOptions, fingerprint: str) -> None:
    """Put the stored filters into widgets Streamlit has forgotten (or that belong to another dataset)."""
    if state.get(keys.filled_for) != fingerprint:
        for key in keys.widget_keys():
            state.forget_widget(key)
        state.put(keys.filled_for, fingerprint)
    start = filters.date_from or options.first_day
    end = filters.date_to or options.last_day
    defaults = {
        keys.dates: (start, end),
        keys.period: detect_preset(start, end, options.first_day, options.last_day),
        keys.categories: list(filters.categories),
        keys.products: list(filters.products),
        keys.regions: list(filters.regions),
    }
    for key, value in defaults.items():
        if not state.has_widget(key):
            state.set_widget(key, value)


def _chosen_dates(value, options: FilterOptions) -> tuple[date, date]:
    """The date input's value; while the user is between the two clicks of a range it holds one date."""
    if isinstance(value, (tuple, list)):
        if len(value) == 2:
            return value[0], value[1]
        if len(value) == 1:
            return value[0], options.last_day
    if isinstance(value, date):
        return value, value
    return options.first_day, options.last_day


def input_filters(ds: Dataset, keys: FilterKeys = EXPLORE_KEYS) -> Filters:
    """Draw the filter bar and return (and store in ``state.FILTERS``) what it selects.

    A filter whose column the data lacks is not drawn. Product choices follow the chosen categories.
    """
    options = filter_options(ds.fingerprint, analysis_data(ds))
    current = clean_filters(state.filters(), options)
    _fill_widgets(keys, current, options, ds.fingerprint)
    for key, allowed in ((keys.categories, options.categories), (keys.regions, options.regions)):
        state.set_widget(key, [v for v in state.widget_value(key) if v in set(allowed)])

    bounds = (options.first_day, options.last_day)
    with st.container(border=True):
        others = [1.3] * bool(options.categories) + [2.0] * bool(options.products) + [1.3] * bool(options.regions)
        if len(others) < 2:
            columns = iter(st.columns([1.1, 1.6, *others, 0.7], vertical_alignment="bottom"))
        else:  # two rows: one row for all would cut the date range ("2010-12-01 – 2011") at 1280 px and below
            top = st.columns([1.1, 1.6, 0.7], vertical_alignment="bottom")
            columns = iter([top[0], top[1], *st.columns(others, vertical_alignment="bottom"), top[2]])
        with next(columns):
            st.selectbox(
                t("explore.filters.period"),
                options=PRESETS,
                format_func=_preset_labels().get,
                key=keys.period,
                on_change=_on_preset,
                args=(keys, *bounds),
            )
        with next(columns):
            dates = st.date_input(
                t("explore.filters.dates"),
                min_value=options.first_day,
                max_value=options.last_day,
                key=keys.dates,
                on_change=_on_dates,
                args=(keys, *bounds),
                format="YYYY-MM-DD",
                help=t("explore.filters.dates_help"),
            )
        categories: list[str] = []
        if options.categories:
            with next(columns):
                categories = st.multiselect(
                    t("explore.filters.categories"),
                    options=options.categories,
                    key=keys.categories,
                    placeholder=t("explore.filters.all"),
                )
        products: list[str] = []
        if options.products:
            allowed = options.products
            if categories:
                wanted = set(categories)
                allowed = tuple(p for p in options.products if options.product_category.get(p) in wanted)
            allowed_set = set(allowed)
            state.set_widget(keys.products, [p for p in state.widget_value(keys.products) if p in allowed_set])
            with next(columns):
                products = st.multiselect(
                    t("explore.filters.products"),
                    options=allowed,
                    format_func=options.product_labels.get,
                    key=keys.products,
                    placeholder=t("explore.filters.all"),
                    help=t("explore.filters.products_help"),
                )
        regions: list[str] = []
        if options.regions:
            with next(columns):
                regions = st.multiselect(
                    t("explore.filters.regions"),
                    options=options.regions,
                    key=keys.regions,
                    placeholder=t("explore.filters.all"),
                )
        with next(columns):
            st.button(
                t("explore.filters.reset"),
                key=keys.reset,
                on_click=_on_reset,
                args=(keys,),
                help=t("explore.filters.reset_help"),
                width="stretch",
            )

    start, end = _chosen_dates(dates, options)
    chosen = clean_filters(
        Filters(date_from=start, date_to=end, categories=tuple(categories), products=tuple(products), regions=tuple(regions)),
        options,
    )
    state.put(state.FILTERS, chosen)
    return chosen


def filters_key(filters: Filters) -> tuple:
    """A hashable form of the filters, for cache keys."""
    return tuple(getattr(filters, f.name) for f in fields(filters))


def describe_filters(filters: Filters, ds: Dataset) -> str:
    """One line naming what the filters keep, for pages that use them without drawing the bar."""
    if filters.is_empty():
        return t("explore.filters.summary_none")
    options = filter_options(ds.fingerprint, analysis_data(ds))
    parts = []
    if filters.date_from or filters.date_to:
        parts.append(
            t(
                "explore.filters.summary_dates",
                start=format_day(filters.date_from or options.first_day),
                end=format_day(filters.date_to or options.last_day),
            )
        )
    for values, label_id in (
        (filters.categories, "explore.filters.categories"),
        (tuple(options.product_labels.get(p, p) for p in filters.products), "explore.filters.products"),
        (filters.regions, "explore.filters.regions"),
    ):
        if values:
            named = ", ".join(values[:MAX_LISTED])
            if len(values) > MAX_LISTED:
                named = t("explore.filters.summary_more", names=named, count=format_number(len(values) - MAX_LISTED))
            parts.append(f"{t(label_id)}: {named}")
    return t("explore.filters.summary", filters=" · ".join(parts))
