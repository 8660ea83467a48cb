"""Pricing: elasticity per product with its interval, suggested prices within the analyst's limits, the
portfolio effect, one product's curves and what-if, the forecast at two prices, and related products."""

from __future__ import annotations

import streamlit as st

from components import state
from components.common.access import require_access
from components.common.datasets import analysis_data, dataset_product_names
from components.common.filters import filters_key
from components.common.locale import currency as current_currency
from components.common.messages import show_message
from components.common.page import page_header_with_dataset
from components.pricing.caches import (
    cached_estimates,
    cached_forecast,
    cached_ml_curve,
    cached_pairs,
    cached_suggestions,
    suggestions_key,
)
from components.pricing.inputs import (
    input_bounds,
    input_product,
    input_settings,
    input_whatif_price,
    product_bounds,
)
from components.pricing.results import (
    show_charts,
    show_cross,
    show_estimate,
    show_forecast,
    show_summary,
    show_table,
    show_whatif,
)
from ml.i18n import format_money, format_number, t
from ml.pricing import (
    ElasticityModel,
    adjusted_observations,
    cross_price_hints,
    summarise_portfolio,
)
from ml.pricing.panel import check_pricing_columns
from ml.pushdown.stored import table_of
from ml.schema import Col, SalesLensError
from ml.series import apply_filters

require_access()  # a first request straight to this file (multipage-v1 fallback) meets the door too

ds = page_header_with_dataset("pricing.title", "pricing.intro", "pricing.no_data")

filters = state.filters()
data = analysis_data(ds)  # a large saved dataset is aggregated in place (ml.pushdown), never read whole
in_place = table_of(ds) is not None  # the same test as the Recommendations page's
frame = data if in_place else apply_filters(data, filters)
if not filters.is_empty():
    st.caption(t("pricing.filters_applied"))
try:
    check_pricing_columns(frame)
except SalesLensError as err:
    show_message(err.message)
    st.stop()

money = current_currency()
has_cost = ds.has(Col.UNIT_COST)
with st.expander(t("pricing.section.settings"), expanded=True):
    ecfg, ocfg = input_settings(has_cost)
if ocfg.objective == "profit" and not has_cost and ocfg.margin is None:
    st.warning(t("pricing.needs_margin"), icon=":material/lightbulb:")

fkey = filters_key(filters)
try:
    count = len(dataset_product_names(ds)) if in_place else frame[Col.PRODUCT_ID].nunique()
    with st.spinner(t("pricing.computing", count=format_number(count))):
        panel, estimates = cached_estimates(frame, ds.fingerprint, fkey, ecfg.freq, ecfg.cov_type,
                                            filters if in_place else None)
    bounds = product_bounds(estimates["product_id"].tolist())
    table_key = suggestions_key((ds.fingerprint, fkey, ecfg.freq, ecfg.cov_type), ocfg, bounds)
    table = cached_suggestions(estimates, ocfg, bounds, table_key)
except SalesLensError as err:
    show_message(err.message)
    st.stop()
per30 = ecfg.periods_per_30_days

st.subheader(t("pricing.section.portfolio"))
show_summary(summarise_portfolio(table, per30, ocfg.include_low_confidence, ecfg), money)

st.subheader(t("pricing.section.products"))
state.default_widget(state.PRICING_SHOW_NOT_ESTIMABLE, True)
show_all = st.toggle(t("pricing.input.show_not_estimable"), key=state.PRICING_SHOW_NOT_ESTIMABLE)
show_table(table, table_key, show_all, ocfg.objective)

st.subheader(t("pricing.section.product"))
product_id = input_product(table)
if product_id is None:
    st.stop()
row = table.loc[table["product_id"] == product_id].iloc[0]
label = f"{row['product_id']} · {row['name']}".rstrip(" ·")
st.caption(t("pricing.product.current_price", price=format_money(row["current_price"], money)))
if row["status"] != "ok":
    st.warning(t("pricing.product.not_estimable", reason=t(f"pricing.reason.{row['reason']}")), icon=":material/block:")
    st.stop()

rows = panel.product(product_id)
model = ElasticityModel(ecfg).fit(rows, product_id, panel.start, panel.end, panel.current_price.get(product_id))
observations = adjusted_observations(model, rows, panel.start, panel.end)
ml = cached_ml_curve(rows, ds.fingerprint, fkey, product_id, ecfg.freq, panel.start)
show_estimate(row, ml, money)
input_bounds(product_id, row["current_price"])

st.markdown(f"**{t('pricing.section.whatif')}**")
whatif_price = input_whatif_price(product_id, row["current_price"], row["suggested_price"])
show_whatif(row, whatif_price, per30, money)
show_charts(row, observations, ml, whatif_price, per30, money)

st.subheader(t("pricing.section.forecast"))
state.default_widget(state.PRICING_HORIZON, 8)
horizon = st.slider(t("pricing.input.horizon"), 4, 26, key=state.PRICING_HORIZON)
target_price = row["suggested_price"] if row["suggestion_status"] == "ok" else row["current_price"]
try:
    forecast = cached_forecast(frame, ds.fingerprint, fkey, product_id, float(row["current_price"]), float(target_price),
                               float(row["elasticity"]), (float(row["ci_low"]), float(row["ci_high"])), int(horizon),
                               filters if in_place else None)
    show_forecast(forecast, label)
except SalesLensError as err:
    show_message(err.message, "info", icon=None)
st.page_link("pages/forecast_page.py", label=t("pricing.forecast.link"), icon=":material/timeline:")

st.subheader(t("pricing.section.cross"))
if in_place:  # pairs bought together are counted per customer and line: not yet aggregated in place
    st.info(t("pushdown.page.pricing_cross"), icon=":material/info:")
    st.stop()
pairs, source = cached_pairs(frame, ds.fingerprint, fkey)
categories = {}
if Col.CATEGORY in frame:
    categories = frame.drop_duplicates(Col.PRODUCT_ID).set_index(Col.PRODUCT_ID)[Col.CATEGORY].astype(str).to_dict()
hints = cross_price_hints(pairs, product_id, {str(k): v for k, v in categories.items()}, table)
show_cross(hints, source, dict(zip(table["product_id"], table["name"], strict=True)))
