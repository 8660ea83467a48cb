"""Forecast form: the "Improvements" expander (issue 18), the settings that wrap around the analyst's network.

Drawn inside the configuration form by one call from components/forecast/inputs.py; returns the lever values
to merge into the ForecastConfig the form builds. Widget keys come from components.state like every other field.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import state
from ml.forecast import ForecastConfig
from ml.forecast.config import BASELINE_KINDS, BOUNDS, COMBINE_KINDS, FUTURE_FITS, LEVERS, SCHEDULES
from ml.i18n import t


def input_levers(base: ForecastConfig) -> dict[str, Any]:
    """Draw the Improvements expander (inside a form); return {lever field: value} typed for ForecastConfig."""
    k = state.forecast_widget_key
    for field in LEVERS:
        state.default_widget(k(field), getattr(base, field))

    labels = {"none": t("forecast.levers.choice.none"), "seasonal_mean": t("forecast.levers.choice.seasonal_mean"),
              "ets": t("forecast.levers.choice.ets"), "ets_model": t("forecast.levers.choice.ets_model"),
              "ets_arima": t("forecast.levers.choice.ets_arima"),
              "ets_arima_snaive": t("forecast.levers.choice.ets_arima_snaive"),
              "ets_arima_snaive_snaive2": t("forecast.levers.choice.ets_arima_snaive_snaive2"),
              "constant": t("forecast.levers.choice.constant"),
              "cosine": t("forecast.levers.choice.cosine"), "retrain": t("forecast.levers.choice.retrain"),
              "holdout_model": t("forecast.levers.choice.holdout_model")}

    def choice(value: str) -> str:
        return labels.get(value, value)

    with st.expander(t("forecast.levers.title")):
        st.caption(t("forecast.levers.caption"))
        c1, c2, c3 = st.columns(3)
        c1.selectbox(t("forecast.levers.baseline"), BASELINE_KINDS, format_func=choice, key=k("baseline"),
                     help=t("forecast.levers.baseline_help"))
        c2.number_input(t("forecast.levers.fourier_order"), *map(int, BOUNDS["fourier_order"]), step=1,
                        key=k("fourier_order"), help=t("forecast.levers.fourier_order_help"))
        c3.selectbox(t("forecast.levers.combine"), COMBINE_KINDS, format_func=choice, key=k("combine"),
                     help=t("forecast.levers.combine_help"))
        c1.number_input(t("forecast.levers.ensemble"), *map(int, BOUNDS["ensemble"]), step=1, key=k("ensemble"),
                        help=t("forecast.levers.ensemble_help"))
        c2.selectbox(t("forecast.levers.lr_schedule"), SCHEDULES, format_func=choice, key=k("lr_schedule"),
                     help=t("forecast.levers.lr_schedule_help"))
        c3.number_input(t("forecast.levers.warm_start_epochs"), *map(int, BOUNDS["warm_start_epochs"]), step=1,
                        key=k("warm_start_epochs"), help=t("forecast.levers.warm_start_epochs_help"))
        c2.number_input(t("forecast.levers.combine_shrink"), *map(float, BOUNDS["combine_shrink"]), step=0.1,
                        key=k("combine_shrink"), help=t("forecast.levers.combine_shrink_help"))
        c1.number_input(t("forecast.levers.global_batch_size"), *map(int, BOUNDS["global_batch_size"]), step=1,
                        key=k("global_batch_size"), help=t("forecast.levers.global_batch_size_help"))
        c2.selectbox(t("forecast.levers.future_fit"), FUTURE_FITS, format_func=choice, key=k("future_fit"),
                     help=t("forecast.levers.future_fit_help"))
        c3.number_input(t("forecast.levers.window_stride"), *map(int, BOUNDS["window_stride"]), step=1,
                        key=k("window_stride"), help=t("forecast.levers.window_stride_help"))
        c1.number_input(t("forecast.levers.global_patience"), *map(int, BOUNDS["global_patience"]), step=1,
                        key=k("global_patience"), help=t("forecast.levers.global_patience_help"))
    values = {field: state.widget_value(k(field)) for field in LEVERS}
    for field in ("fourier_order", "ensemble", "warm_start_epochs", "global_batch_size", "window_stride",
                  "global_patience"):
        values[field] = int(values[field])
    values["combine_shrink"] = float(values["combine_shrink"])
    return values
