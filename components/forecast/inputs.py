"""Forecast page inputs: what to forecast, and the model configuration form (with the seed articles' presets)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from components import state
from components.common.datasets import analysis_data, dataset_product_names
from components.common.filters import filters_key
from components.forecast.levers import input_levers
from ml.dataset import Dataset
from ml.forecast import PRESETS, ForecastConfig, default_config, get_preset
from ml.forecast.config import LEVERS, MODEL_TYPES, SCALERS
from ml.forecast.run import CONFIG_FIELDS, CUSTOM, FREQS, PANDAS_FREQ, SeriesSpec
from ml.i18n import t
from ml.products import product_label
from ml.pushdown.explore import query_distinct, query_ranked_products
from ml.schema import Col
from ml.series import TARGETS, Filters, make_series


def _product_label(ds: Dataset):
    names = dataset_product_names(ds)
    return lambda pid: product_label(pid, names)


@st.cache_data(max_entries=4, show_spinner=False)
def _queried_choices(fingerprint: str, _table) -> tuple[list[str], list[str]]:
    """Categories and products (most sold first) of a large saved dataset, queried in place once."""
    return list(query_distinct(_table, Col.CATEGORY)), query_ranked_products(_table)


def input_series(ds: Dataset) -> SeriesSpec:
    frame = analysis_data(ds)
    queried = None if isinstance(frame, pd.DataFrame) else _queried_choices(ds.fingerprint, frame)
    c1, c2, c3 = st.columns(3)
    targets = [x for x in TARGETS if (x != "revenue" or Col.REVENUE in frame) and (x == "revenue" or Col.QUANTITY in frame)]
    target = c1.selectbox(t("forecast.input.target"), targets, format_func=lambda x: t(f"forecast.target.{x}"), key=state.FORECAST_TARGET, help=t("forecast.input.target_help"))
    kinds = ["total"]
    if Col.CATEGORY in frame:
        kinds += ["category", "categories"]
    if Col.PRODUCT_ID in frame:
        kinds += ["product", "products"]
    kind = c2.selectbox(t("forecast.input.level"), kinds, format_func=lambda x: t(f"forecast.level.{x}"), key=state.FORECAST_LEVEL, help=t("forecast.input.level_help"))
    freq = c3.selectbox(t("forecast.input.freq"), FREQS, format_func=lambda x: t(f"forecast.freq.{x}"), key=state.FORECAST_FREQ,
                        on_change=_adapt_to_frequency)
    level = "total"
    if kind == "category":
        cats = queried[0] if queried else sorted(frame[Col.CATEGORY].dropna().astype(str).unique())
        level = "category:" + st.selectbox(t("forecast.input.category"), cats, key=state.FORECAST_CATEGORY)
    elif kind == "categories":
        level = "categories"
    elif kind in ("product", "products"):
        if queried:
            products = queried[1]
        else:
            top = frame.groupby(Col.PRODUCT_ID, observed=True)[Col.QUANTITY if Col.QUANTITY in frame else Col.REVENUE].sum()
            products = [str(p) for p in top.sort_values(ascending=False).index]
        label = _product_label(ds)
        if kind == "product":
            level = "product:" + st.selectbox(t("forecast.input.product"), products, format_func=label, key=state.FORECAST_PRODUCT, help=t("forecast.input.product_help"))
        else:
            chosen = st.multiselect(t("forecast.input.products"), products, default=products[:5], format_func=label, key=state.FORECAST_PRODUCTS, max_selections=50)
            level = "products:" + "|".join(chosen) if chosen else "products:" + "|".join(products[:5])
    return SeriesSpec(target=target, level=level, freq=freq)


@st.cache_data(max_entries=8, show_spinner=False)
def _queried_series(fingerprint: str, _table, target: str, level: str, freq: str, key: tuple) -> pd.DataFrame:
    return make_series(_table, target, level, freq, Filters(*key))


def make_page_series(ds: Dataset, spec: SeriesSpec, filters: Filters) -> pd.DataFrame:
    """The series the form asks for under the Explore filters; a large saved dataset's are aggregated in place
    and kept per choice (a rerun of the page does not query the file again)."""
    data = analysis_data(ds)
    if isinstance(data, pd.DataFrame):
        return make_series(data, spec.target, spec.level, spec.freq, filters)
    return _queried_series(ds.fingerprint, data, spec.target, spec.level, spec.freq, filters_key(filters))


def _template(preset: str, freq: str) -> ForecastConfig:
    """The settings the form starts from: the preset's (or the defaults) for a frequency ('D', 'W', 'M')."""
    return default_config(PANDAS_FREQ[freq]) if preset == CUSTOM else get_preset(preset, PANDAS_FREQ[freq])


def _apply_preset() -> None:
    """Copy the chosen preset's settings into the form widgets (runs before the rerun draws them)."""
    freq = state.widget_value(state.FORECAST_FREQ, "D")
    config = _template(state.widget_value(state.FORECAST_PRESET), freq)
    for field in (*CONFIG_FIELDS, *LEVERS):
        state.set_widget(state.forecast_widget_key(field), getattr(config, field))
    state.set_widget(state.FORECAST_FORM_FREQ, freq)


def _adapt_to_frequency() -> None:
    """A new frequency changes what the window, horizon, calendar inputs and blend mean (56 days is not 56 weeks):
    every setting the analyst left at the old frequency's value takes the new frequency's; edited ones are kept."""
    new = state.widget_value(state.FORECAST_FREQ, "D")
    old = state.widget_value(state.FORECAST_FORM_FREQ, "D")
    if new == old:
        return
    preset = state.widget_value(state.FORECAST_PRESET, CUSTOM)
    before, after = _template(preset, old), _template(preset, new)
    for field in (*CONFIG_FIELDS, *LEVERS):
        key = state.forecast_widget_key(field)
        if not state.has_widget(key) or state.widget_value(key) == getattr(before, field):
            state.set_widget(key, getattr(after, field))
    state.set_widget(state.FORECAST_FORM_FREQ, new)


def _ensure_defaults(freq: str) -> ForecastConfig:
    base = default_config(PANDAS_FREQ[freq])
    for field in CONFIG_FIELDS:
        state.default_widget(state.forecast_widget_key(field), getattr(base, field))
    state.default_widget(state.FORECAST_FOLDS, 0)
    state.default_widget(state.FORECAST_INTERVAL, 0.9)
    state.default_widget(state.FORECAST_FORM_FREQ, freq)
    return base


def _form_values() -> dict:
    k = state.forecast_widget_key
    values = {field: state.widget_value(k(field)) for field in CONFIG_FIELDS}
    for name in ("window", "horizon", "layers", "units", "epochs", "batch_size", "patience", "seed"):
        values[name] = int(values[name])
    for name in ("dropout", "learning_rate", "validation_split"):
        values[name] = float(values[name])
    return values


def describe_settings(values: dict) -> str:
    """The settings that matter most, in one line ("LSTM, 2 layers × 64 units, window 28, …")."""
    return t("forecast.form.settings", model=t(f"forecast.model.{values['model_type']}"), layers=values["layers"],
             units=values["units"], window=values["window"], horizon=values["horizon"], epochs=values["epochs"],
             batch=values["batch_size"], lr=f"{values['learning_rate']:g}", dropout=f"{values['dropout']:g}")


def _preset_caption(preset: str, freq: str, values: dict) -> str:
    """The preset's own description while the form holds its settings; "custom" and the actual settings once the
    analyst has changed any of them."""
    template = _template(preset, freq)
    changed = [f for f in CONFIG_FIELDS if getattr(template, f) != values[f]]
    if not changed:
        description = t(f"forecast.preset.{preset}.description")
        if freq == "D":  # the presets' texts describe their daily settings
            return description
        return t("forecast.form.adapted", description=description, freq=t(f"forecast.freq.{freq}").lower(),
                 settings=describe_settings(values))
    if preset == CUSTOM:
        return t("forecast.form.custom", settings=describe_settings(values))
    return t("forecast.form.edited", preset=t(f"forecast.preset.{preset}.name"), settings=describe_settings(values))


FORM_KEYS = (
    state.FORECAST_PRESET, state.FORECAST_FOLDS, state.FORECAST_INTERVAL, state.FORECAST_TARGET, state.FORECAST_LEVEL,
    state.FORECAST_FREQ, state.FORECAST_CATEGORY, state.FORECAST_PRODUCT, state.FORECAST_PRODUCTS,
    state.FORECAST_FORM_FREQ, *(state.forecast_widget_key(f) for f in CONFIG_FIELDS),
)


def form_snapshot() -> dict:
    """Every Forecast form value as it is now (stored with a training, to put back after a reload)."""
    return {key: state.widget_value(key) for key in FORM_KEYS if state.has_widget(key)}


def input_model_config(freq: str, several_series: bool) -> tuple[ForecastConfig, int, float] | None:
    """The configuration. Returns (config, backtest folds, interval level) when the user clicks Train.

    No ``st.form``: in a form, Enter in a number field submits it, which started a training with half-edited
    settings; here only the Train button starts one, and every edit is kept in the session as it is made."""
    base = _ensure_defaults(freq)
    presets = [CUSTOM, *PRESETS]
    st.selectbox(
        t("forecast.input.preset"), presets, format_func=lambda p: t(f"forecast.preset.{p}.name"),
        key=state.FORECAST_PRESET, on_change=_apply_preset, help=t("forecast.input.preset_help"),
    )
    preset = state.widget_value(state.FORECAST_PRESET, CUSTOM)
    caption = st.empty()
    k = state.forecast_widget_key
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox(t("forecast.cfg.model_type"), MODEL_TYPES, format_func=lambda m: t(f"forecast.model.{m}"), key=k("model_type"), help=t("forecast.cfg.model_type_help"))
        c2.number_input(t("forecast.cfg.window"), 2, 1000, step=1, key=k("window"), help=t("forecast.cfg.window_help"))
        c3.number_input(t("forecast.cfg.horizon"), 1, 366, step=1, key=k("horizon"), help=t("forecast.cfg.horizon_help"))
        c4.number_input(t("forecast.cfg.epochs"), 1, 1000, step=1, key=k("epochs"), help=t("forecast.cfg.epochs_help"))
        c1.number_input(t("forecast.cfg.layers"), 1, 8, step=1, key=k("layers"), help=t("forecast.cfg.layers_help"))
        c2.number_input(t("forecast.cfg.units"), 1, 1024, step=1, key=k("units"), help=t("forecast.cfg.units_help"))
        c3.number_input(t("forecast.cfg.dropout"), 0.0, 0.9, step=0.05, key=k("dropout"), help=t("forecast.cfg.dropout_help"))
        c4.number_input(t("forecast.cfg.batch_size"), 1, 4096, step=1, key=k("batch_size"), help=t("forecast.cfg.batch_size_help"))
        c1.number_input(t("forecast.cfg.learning_rate"), 1e-6, 1.0, step=1e-4, format="%.4f", key=k("learning_rate"), help=t("forecast.cfg.learning_rate_help"))
        c2.number_input(t("forecast.cfg.patience"), 0, 1000, step=1, key=k("patience"), help=t("forecast.cfg.patience_help"))
        c3.number_input(t("forecast.cfg.validation_split"), 0.0, 0.5, step=0.05, key=k("validation_split"), help=t("forecast.cfg.validation_split_help"))
        c4.selectbox(t("forecast.cfg.scaler"), SCALERS, format_func=lambda s: t(f"forecast.scaler.{s}"), key=k("scaler"), help=t("forecast.cfg.scaler_help"))
        st.markdown(f"**{t('forecast.cfg.features')}**")
        f1, f2, f3 = st.columns(3)  # six columns cut "Price and promotion" short
        f4, f5, f6 = st.columns(3)
        f1.checkbox(t("forecast.cfg.day_of_week"), key=k("day_of_week"))
        f2.checkbox(t("forecast.cfg.month"), key=k("month"))
        f3.checkbox(t("forecast.cfg.quarter"), key=k("quarter"))
        f4.checkbox(t("forecast.cfg.week_of_year"), key=k("week_of_year"))
        f5.checkbox(t("forecast.cfg.holiday"), key=k("holiday"), help=t("forecast.cfg.holiday_help"))
        f6.checkbox(t("forecast.cfg.use_covariates"), key=k("use_covariates"), help=t("forecast.cfg.use_covariates_help"))
        e1, e2, e3, e4 = st.columns(4)
        e1.checkbox(t("forecast.cfg.global_model"), key=k("global_model"), help=t("forecast.cfg.global_model_help"), disabled=not several_series)
        e2.number_input(t("forecast.cfg.seed"), 0, 2**31 - 1, step=1, key=k("seed"), help=t("forecast.cfg.seed_help"))
        folds = e3.number_input(t("forecast.cfg.backtest_folds"), 0, 10, step=1, key=state.FORECAST_FOLDS, help=t("forecast.cfg.backtest_folds_help"))
        level = e4.slider(t("forecast.cfg.interval"), 0.5, 0.99, step=0.01, key=state.FORECAST_INTERVAL, help=t("forecast.cfg.interval_help"))
        levers = input_levers(base if preset == CUSTOM else get_preset(preset, PANDAS_FREQ[freq]))
        submitted = st.button(t("forecast.train"), type="primary", key=state.FORECAST_TRAIN)
    values = _form_values()
    caption.caption(_preset_caption(preset, freq, values))
    if not submitted:
        return None
    template = base if preset == CUSTOM else get_preset(preset, PANDAS_FREQ[freq])
    config = dataclasses.replace(template, **values, **levers)
    return config, int(folds), float(level)
