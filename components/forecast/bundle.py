"""Forecast with an uploaded model bundle (a .zip from a download or an export): validate it, forecast the
current series with it."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from components import state
from components.common.messages import show_message
from components.forecast.charts import plot_bundle_forecast
from ml.export import to_safe_csv
from ml.forecast import import_bundle
from ml.i18n import t
from ml.schema import SalesLensError


def show_bundle_forecast(series: pd.DataFrame | None) -> None:
    """Upload a model (.zip from a download or an export), validate it, forecast the current series with it."""
    with st.expander(t("runs.bundle.title")):
        st.caption(t("runs.bundle.intro"))
        upload = st.file_uploader(t("runs.bundle.upload"), type=["zip"], key=state.FORECAST_BUNDLE_UPLOAD)
        if upload is None:
            return
        if series is None:
            st.info(t("runs.bundle.no_series"))
            return
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()[:16] + str(pd.util.hash_pandas_object(series).sum())
        cached = state.forecast_bundle_result.get()
        if cached is None or cached.digest != digest:
            try:
                with st.spinner(t("runs.bundle.loading")):
                    model = import_bundle(data)
                    future = model.predict(series)
            except SalesLensError as err:
                state.forecast_bundle_result.set(state.BundleForecast(digest, error=err.message))
            else:
                state.forecast_bundle_result.set(state.BundleForecast(digest, future, model.config.to_dict()))
            cached = state.forecast_bundle_result.get()
        future, info = cached.future, cached.config
        if future is None:
            show_message(cached.error)
            return
        st.success(t("runs.bundle.loaded", model=t(f"forecast.model.{info['model_type']}"), window=info["window"],
                     horizon=info["horizon"]))
        chosen = sorted(future["unique_id"].unique())[0]
        st.plotly_chart(plot_bundle_forecast(series, future, chosen), width="stretch",
                        key=state.FORECAST_BUNDLE_CHART)
        out = future.rename(columns={"unique_id": "series", "ds": "date", "yhat": "forecast"})
        out["date"] = pd.to_datetime(out["date"]).dt.date.astype(str)
        st.download_button(t("forecast.download.csv"), data=to_safe_csv(out), file_name="saleslens_forecast.csv",
                           mime="text/csv")
