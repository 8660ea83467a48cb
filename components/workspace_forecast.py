"""Forecast page sections of the workspace: forecast with an uploaded model bundle, and hyperparameter search."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from components import state
from components.messages import show_message
from components.runs_charts import plot_bundle_forecast
from components.session_jobs import collect_job, job_running
from ml.export import to_safe_csv
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
                from ml.forecast import import_bundle

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


# ------------------------------------------------------------------------------------------------ search
def _current_config(freq: str):
    """The form's settings as last applied (the search varies window, units, layers, learning rate, dropout)."""
    from components.forecast_inputs import CONFIG_FIELDS, PANDAS_FREQ
    from ml.forecast import default_config

    base = default_config(PANDAS_FREQ[freq])
    values = {}
    for name in CONFIG_FIELDS:
        value = state.widget_value(state.forecast_widget_key(name))
        if value is not None:
            default = getattr(base, name)
            values[name] = type(default)(value) if isinstance(default, int | float) and not isinstance(
                default, bool) else value
    return base.replace(**values)


def search_in_progress() -> bool:
    return job_running(state.FORECAST_SEARCH_JOB)


def collect_finished_search() -> None:
    collect_job(state.FORECAST_SEARCH_JOB, state.FORECAST_SEARCH_RESULT, state.FORECAST_SEARCH_ERROR)


def start_search(series: pd.DataFrame, spec, ds, budget_minutes: float, max_trials: int, epochs: int) -> None:
    import dataclasses

    from ml.jobs import REGISTRY

    base = _current_config(spec.freq).replace(epochs=int(epochs))
    base.validate()
    args = {"series": series, "config": base.to_dict(), "budget_minutes": float(budget_minutes),
            "max_trials": int(max_trials), "folds": int(state.widget_value(state.FORECAST_FOLDS, 0) or 0),
            "level": float(state.widget_value(state.FORECAST_INTERVAL, 0.9) or 0.9), "owner": state.owner(),
            "spec": dataclasses.asdict(spec), "fingerprint": ds.fingerprint, "name": ds.name}
    job = REGISTRY.submit("search", t("runs.search.job_label", spec=spec.describe()), state.owner(),
                          "ml.tasks:search_forecast", args)
    state.forecast_search_job.set(job.id)
    state.forecast_search_error.set(None)


def _use_best(params: dict) -> None:
    for name, value in params.items():
        state.set_widget(state.forecast_widget_key(name), value)


@st.fragment(run_every=1.0)
def show_search_progress() -> None:
    from ml.i18n import format_number
    from ml.jobs import REGISTRY

    job = REGISTRY.get(state.forecast_search_job.get())
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        st.rerun()
    if snap.status == "queued":
        st.info(t("jobs.queued", position=snap.queue_position or 1))
    budget = float(snap.progress.get("budget") or 0) or None
    done = int(snap.progress.get("trials") or 0)
    scores = [h["mase"] for h in snap.history if h.get("mase") == h.get("mase")]
    best = min(scores) if scores else None
    st.progress(min(1.0, snap.elapsed / budget) if budget else 0.0, text=t(
        "runs.search.progress", trials=done, total=int(snap.progress.get("total") or 0),
        best=format_number(best, 3) if best is not None else "…", elapsed=format_number(snap.elapsed, 0)))
    if job.stop_event.is_set():
        st.caption(t("forecast.training.stopping"))
    elif st.button(t("runs.search.stop"), key=state.FORECAST_SEARCH_STOP):
        job.stop()


def show_search(series: pd.DataFrame | None, spec, ds, training_running: bool) -> None:
    """Hyperparameter search section: budget, trials, progress, the trials with the best highlighted."""
    from components.runs_charts import plot_search_trials
    from ml.i18n import format_number

    collect_finished_search()
    running = search_in_progress()
    result = state.forecast_search_result.get()
    with st.expander(t("runs.search.title"), expanded=running or result is not None):
        st.caption(t("runs.search.intro"))
        c1, c2, c3 = st.columns(3)
        state.default_widget(state.FORECAST_SEARCH_BUDGET, 2.0)
        state.default_widget(state.FORECAST_SEARCH_TRIALS, 10)
        state.default_widget(state.FORECAST_SEARCH_EPOCHS, 20)
        budget = c1.number_input(t("runs.search.budget"), 0.5, 240.0, step=0.5, key=state.FORECAST_SEARCH_BUDGET,
                                 help=t("runs.search.budget_help"))
        trials = c2.number_input(t("runs.search.trials"), 1, 200, step=1, key=state.FORECAST_SEARCH_TRIALS)
        epochs = c3.number_input(t("runs.search.epochs"), 1, 1000, step=1, key=state.FORECAST_SEARCH_EPOCHS,
                                 help=t("runs.search.epochs_help"))
        busy = running or training_running or series is None
        if st.button(t("runs.search.start"), disabled=busy, help=t("runs.search.start_help")):
            try:
                start_search(series, spec, ds, float(budget), int(trials), int(epochs))
            except SalesLensError as err:
                state.forecast_search_error.set(err.message)
            st.rerun()
        if running:
            show_search_progress()
        error = state.forecast_search_error.get()
        if error:
            show_message(error)
        if result is None or running:
            return
        if not result.trials:
            st.info(t("runs.search.no_trials"))
            return
        for message in result.save_errors:
            show_message(message, "warning", icon=":material/database:")
        best = result.best
        baseline = result.best_baseline_mase
        if best is not None:
            show_search_choice(result, best, baseline)
        table = result.table()
        st.plotly_chart(plot_search_trials(table, baseline), width="stretch", key=state.FORECAST_SEARCH_CHART)
        shown = table.drop(columns=["run_id", "best"]).rename(columns={
            "trial": t("runs.search.chart.trial_number"), "mase": t("evaluation.search.validation_mase"),
            "status": t("runs.search.status"), "seconds": t("runs.table.seconds"),
            **{p: t(f"runs.search.param.{p}") for p in ("window", "units", "layers", "learning_rate", "dropout")},
        })
        shown[t("runs.search.status")] = [t(f"runs.search.state.{s}") for s in table["status"]]
        best_rows = table["best"].to_numpy()
        st.dataframe(shown.style.apply(lambda row: ["background-color: #dcfce7" if best_rows[row.name] else ""
                                                    for _ in row], axis=1), hide_index=True, width="stretch")
        st.caption(t("runs.search.logged", elapsed=format_number(result.elapsed, 0)))
        if best is not None:
            b1, b2 = st.columns(2)
            b1.button(t("runs.search.use_best"), on_click=_use_best, args=(best.params,), width="stretch",
                      help=t("runs.search.use_best_help"))
            holdout = getattr(result, "holdout", None)
            shown_run = holdout.run_id if holdout is not None and holdout.run_id else best.run_id
            if shown_run:
                from components.workspace import open_saved_run

                b2.button(t("runs.search.open_best"), width="stretch", on_click=open_saved_run, args=(shown_run,))


def show_search_choice(result, best, baseline: float | None) -> None:
    """How the search chose (validation periods before the holdout) and the choice's one score on the holdout."""
    from ml.i18n import format_number

    params = ", ".join(f"{t(f'runs.search.param.{k}')} {v}" for k, v in best.params.items())
    st.success(t("evaluation.search.chosen", trial=best.number, mase=format_number(best.mase, 3),
                 baseline=format_number(baseline, 3) if baseline is not None else "–", params=params))
    holdout = getattr(result, "holdout", None)  # None for a search finished before this field existed
    if holdout is not None and holdout.mase is not None:
        runner = holdout.best_baseline
        st.info(t("evaluation.search.holdout", mase=format_number(holdout.mase, 3),
                  baseline=format_number(runner[1], 3) if runner else "–",
                  name=t(f"forecast.model.{runner[0]}") if runner else "–"), icon=":material/verified:")
    else:
        st.info(t("evaluation.search.holdout_missing"))
    folds = int(getattr(result, "backtest_folds", 0) or 0)
    st.caption(t("evaluation.search.how", periods=int(getattr(result, "validation_periods", 0) or 0),
                 horizon=int(getattr(result, "horizon", 0) or 0),
                 folds=t("evaluation.search.folds", folds=folds) if folds else ""))
