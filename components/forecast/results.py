"""Forecast page results: verdicts, scorecard, predicted vs actual, intervals and their coverage, downloads."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from components import state
from components.common.datasets import dataset_product_names
from components.common.page import MISSING_CELL
from components.forecast.charts import plot_forecast
from ml.export import to_safe_csv
from ml.forecast import NETWORK, export_bundle
from ml.forecast.run import ForecastRun
from ml.i18n import format_day, format_number, format_percent_value, t
from ml.keras_runtime import backend_label
from ml.products import product_label
from ml.schema import Col

METRICS = ("mae", "rmse", "mape", "smape", "mase")
_MODEL_PARAMS = ("baseline", "runner_up")


def model_label(name: str) -> str:
    return t(f"forecast.model.{name}")


def _verdict_text(message_id: str, params: dict) -> str:
    params = {k: (model_label(v) if k in _MODEL_PARAMS else v) for k, v in params.items()}
    params["metric"] = params.get("metric", "mase").upper()
    if "series" in params:
        params["series"] = series_label(str(params["series"]))
    return t(message_id, **params)


def show_verdicts(run: ForecastRun) -> None:
    verdicts = run.result.verdicts
    beaten = [v for v in verdicts if v.message_id == "forecast.verdict.baseline_beats_network"]
    for v in verdicts[:1]:
        (st.warning if beaten else st.success)(_verdict_text(v.message_id, v.params), icon=":material/balance:")
    details = verdicts[1:]
    if details:
        with st.expander(t("forecast.results.per_series_verdicts", count=len(details)), expanded=len(details) <= 3):
            for v in details:
                st.markdown("- " + _verdict_text(v.message_id, v.params))


def scorecard_table(run: ForecastRun) -> pd.DataFrame:
    """Models as rows, metrics averaged over series and folds as columns (what the highlight runs on)."""
    rows = []
    for model, values in run.result.metrics.items():
        rows.append({"model": model, **{m: values.get(m) for m in METRICS}})
    frame = pd.DataFrame(rows).set_index("model")
    return frame.astype(float)


def show_scorecard(run: ForecastRun) -> None:
    table = scorecard_table(run)
    shown = table.rename(index=model_label, columns={m: t(f"forecast.metric.{m}") for m in METRICS}).rename_axis(None)
    st.dataframe(
        shown.style.highlight_min(axis=0, color="#dcfce7").format(lambda v: format_number(v, 3)),
        width="stretch", placeholder=MISSING_CELL,
    )
    st.caption(t("forecast.results.metrics_note", season=run.result.season_length))
    summary = run.result.summary
    if summary["unique_id"].nunique() > 1:
        with st.expander(t("forecast.results.per_series")):
            pivot = summary.pivot(index="unique_id", columns="model", values="mase").rename(columns=model_label)
            pivot = pivot.rename_axis(index=t("forecast.results.series"), columns=None)
            st.dataframe(pivot.style.highlight_min(axis=1, color="#dcfce7").format(lambda v: format_number(v, 3)), width="stretch",
                         placeholder=MISSING_CELL)


def show_blend_shares(run: ForecastRun, limit: int = 10) -> None:
    """The blend's shares per series (the network's, even at 0, and each partner's above 0), the first ``limit`` series."""
    shares = run.result.blend_shares
    if not shares:
        return
    parts = [f"{series_label(uid)}: " + " · ".join(f"{model_label(name)} {format_percent_value(w, 0)}"
                                                   for name, w in blend.items() if w > 0 or name == "network")
             for uid, blend in list(shares.items())[:limit]]
    more = " …" if len(shares) > limit else ""
    st.caption(t("forecast.results.blend_shares", shares="; ".join(parts) + more))


def show_coverage(run: ForecastRun) -> None:
    cov = run.result.coverage
    c1, c2, c3 = st.columns(3)
    # short labels (three metrics share a third of the page), the full meaning in each one's help
    c1.metric(t("forecast.coverage.nominal"), format_percent_value(cov.get("level"), 0), help=t("presentation.coverage.nominal_help"))
    c2.metric(t("forecast.coverage.holdout"), format_percent_value(cov.get("holdout"), 0), help=t("presentation.coverage.holdout_help"))
    c3.metric(t("forecast.coverage.backtest"), format_percent_value(cov.get("backtest"), 0), help=t("presentation.coverage.backtest_help"))
    source = str(cov.get("source", "validation_windows")).replace("+", "_and_")
    st.caption(t(f"forecast.coverage.source.{source}", n=cov.get("n_calibration", 0)))
    if not cov.get("reliable", False):
        st.caption(t("forecast.coverage.unreliable"))


def series_label(series_id: str) -> str:
    """A series by its business name: the whole shop, a product's name, or the category as written."""
    if series_id == "total":
        return t("series.total")
    ds = state.dataset()
    if ds is not None and ds.has(Col.PRODUCT_ID):
        names = dataset_product_names(ds)
        if series_id in names:
            return product_label(series_id, names)
    return str(series_id)


def show_chart(run: ForecastRun) -> None:
    result = run.result
    series = sorted(result.history["unique_id"].unique())
    chosen = series[0]
    c1, c2 = st.columns([3, 1])
    if len(series) > 1:
        chosen = c1.selectbox(t("forecast.results.series"), series, key=state.FORECAST_SERIES, format_func=series_label)
    state.default_widget(state.FORECAST_SHOW_BASELINES, False)
    show_baselines = c2.toggle(t("forecast.results.show_baselines"), key=state.FORECAST_SHOW_BASELINES)
    baselines = [c for c in result.holdout.columns if c not in ("unique_id", "ds", "y", NETWORK, "lower", "upper")]
    st.plotly_chart(
        plot_forecast(result.history, result.holdout, result.future, chosen, baselines, show_baselines,
                      series_name=series_label(chosen), value_name=t(f"forecast.target.{run.spec.target}")),
        key=state.FORECAST_RESULT_CHART,
    )


def forecast_download_frame(run: ForecastRun) -> pd.DataFrame:
    """One row per series and date: every model's forecast (the network's with its interval), the model that won on
    the held-out period marked per series, and the winner's forecast; numbers rounded to 2 decimals."""
    result = run.result
    future = result.future.copy()
    baselines = [c for c in future.columns if c not in ("unique_id", "ds", "yhat", "lower", "upper")]
    best = result.summary.loc[result.summary["best"].astype(bool)].set_index("unique_id")["model"] \
        if "best" in result.summary else pd.Series(dtype=object)
    winner = future["unique_id"].map(best).fillna(NETWORK).astype(str)
    columns = {"network": future["yhat"], **{m: future[m] for m in baselines}}
    winning = [columns.get(w if w != NETWORK else "network", future["yhat"])[i] for i, w in zip(future.index, winner, strict=True)]
    out = pd.DataFrame({
        t("forecast.csv.series"): future["unique_id"].astype(str).map(series_label),
        t("forecast.csv.date"): pd.to_datetime(future["ds"]).dt.date.astype(str),
        t("forecast.csv.winner"): winner.map(model_label),
        t("forecast.csv.winner_forecast"): winning,
        model_label(NETWORK): future["yhat"],
        t("forecast.csv.lower", level=format_percent_value(result.coverage.get("level"), 0)): future["lower"],
        t("forecast.csv.upper", level=format_percent_value(result.coverage.get("level"), 0)): future["upper"],
        **{model_label(m): future[m] for m in baselines},
    })
    return out.round(2)


def forecast_file_name(run: ForecastRun) -> str:
    """saleslens_forecast_<dataset>_run<number>.csv, safe on every file system."""
    stem = re.sub(r"\.(csv|tsv|txt|xlsx|gz|zip)$", "", run.dataset_name or "data", flags=re.IGNORECASE)
    stem = re.sub(r"\.(csv|tsv|txt)$", "", stem, flags=re.IGNORECASE)
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("_")[:60] or "data"
    return f"saleslens_forecast_{stem}_run{run.number}.csv"


@st.cache_data(max_entries=4, show_spinner=False)
def _model_zip(_run: ForecastRun, owner: str, run_key: tuple) -> bytes:
    """The model bundle of a run, built once per run rather than on every rerun of the page (a failure is not
    cached: the next rerun tries again)."""
    if _run.result.forecaster is None and _run.run_id:  # a reopened run: the saved model files, no Keras
        from ml.workspace import get_workspace

        return get_workspace().model_zip(owner, _run.run_id)
    if _run.bundle is not None:  # trained in a worker that could not save it: the bundle came back as bytes
        return _run.bundle
    return export_bundle(_run.result.forecaster, metrics=_run.result.to_json_dict()["metrics"])


def show_downloads(run: ForecastRun) -> None:
    c1, c2 = st.columns(2)
    c1.download_button(
        t("forecast.download.csv"), data=to_safe_csv(forecast_download_frame(run)), file_name=forecast_file_name(run),
        mime="text/csv", key=state.FORECAST_DOWNLOAD_CSV, width="stretch",
    )
    try:
        bundle = _model_zip(run, state.owner(), (run.run_id, run.dataset_fingerprint, run.number, run.finished_at))
    except Exception:  # e.g. a run stopped before any weights existed, or a saved model that went missing
        c2.caption(t("forecast.download.no_bundle"))
        return
    c2.download_button(
        t("forecast.download.model"), data=bundle, file_name="saleslens_model.zip", mime="application/zip",
        key=state.FORECAST_DOWNLOAD_MODEL, width="stretch", help=t("forecast.download.model_help"),
    )


def show_results(run: ForecastRun) -> None:
    st.subheader(t("forecast.results.title"))
    r = run.result
    st.caption(t(
        "forecast.results.summary",
        number=run.number,
        spec=run.spec.describe(),
        dataset=run.dataset_name,
        model=model_label(run.config.model_type),
        seconds=format_number(r.train_seconds, 1),
        epochs=r.epochs_run,
        when=format_day(pd.Timestamp(run.finished_at, unit="s")),
    ) + " · " + t("backend.trained_on", backend=backend_label(r.backend)))
    if run.run_id:
        st.caption(t("runs.saved_as", label=run.label or t("runs.numbered", number=run.number, name=run.spec.describe())))
    if run.stopped:
        st.info(t("forecast.results.stopped"))
    show_verdicts(run)
    negative = r.history.loc[r.history["y"] < 0]
    if len(negative):  # returns that outweigh a period's sales: say so, or a -13k day looks like a bug
        worst = negative.loc[negative["y"].idxmin()]
        st.caption(t("forecast.results.negative_periods", count=len(negative), day=format_day(pd.Timestamp(worst["ds"])),
                     value=format_number(float(worst["y"]), 0), series=series_label(str(worst["unique_id"]))))
    show_chart(run)
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('forecast.results.scorecard')}**")
        show_scorecard(run)
    with right:
        st.markdown(f"**{t('forecast.results.intervals')}**")
        show_coverage(run)
        chosen = [
            f"{series_label(series)}: " + ", ".join(f"{model_label(m)} {desc}" for m, desc in models.items())
            for series, models in r.baseline_models.items()
            if models
        ]
        if chosen:
            st.caption(t("forecast.results.baseline_models", models="; ".join(chosen[:10])))
        show_blend_shares(run)
    show_downloads(run)
