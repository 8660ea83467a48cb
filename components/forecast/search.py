"""The Forecast page's hyperparameter search: start it in a worker process, its progress, the trials with the best
highlighted, and the choice's one score on the holdout."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from components import state
from components.common.jobs import collect_job, job_running, queued_text, show_job_progress, start_job
from components.common.messages import show_message
from components.common.workspace import open_saved_run
from components.forecast.charts import plot_search_trials
from ml.forecast import default_config
from ml.forecast.run import CONFIG_FIELDS, PANDAS_FREQ
from ml.i18n import format_number, t
from ml.jobs import Job, JobSnapshot
from ml.schema import SalesLensError


def _current_config(freq: str):
    """The form's settings as last applied (the search varies window, units, layers, learning rate, dropout)."""
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
    base = _current_config(spec.freq).replace(epochs=int(epochs))
    base.validate()
    args = {"series": series, "config": base.to_dict(), "budget_minutes": float(budget_minutes),
            "max_trials": int(max_trials), "folds": int(state.widget_value(state.FORECAST_FOLDS, 0) or 0),
            "level": float(state.widget_value(state.FORECAST_INTERVAL, 0.9) or 0.9), "owner": state.owner(),
            "spec": dataclasses.asdict(spec), "fingerprint": ds.fingerprint, "name": ds.name}
    start_job("search", t("runs.search.job_label", spec=spec.describe()), "ml.tasks:search_forecast", args,
              state.FORECAST_SEARCH_JOB, state.FORECAST_SEARCH_ERROR)


def _use_best(params: dict) -> None:
    for name, value in params.items():
        state.set_widget(state.forecast_widget_key(name), value)


def show_search_progress() -> None:
    show_job_progress(state.FORECAST_SEARCH_JOB, _draw_search_progress)



def _draw_search_progress(job: Job, snap: JobSnapshot) -> None:
    queued = queued_text(snap)
    if queued:
        st.info(queued)
    event = snap.progress
    budget = float(event.metrics.get("budget_s") or 0) if event is not None else 0.0
    scores = [h["mase"] for h in snap.history if "mase" in h and h["mase"] == h["mase"]]
    best = min(scores) if scores else None
    st.progress(min(1.0, snap.elapsed / budget) if budget else 0.0, text=t(
        "runs.search.progress", trials=snap.done, total=int(event.total or 0) if event is not None else 0,
        best=format_number(best, 3) if best is not None else "…", elapsed=format_number(snap.elapsed, 0)))
    if job.stop_event.is_set():
        st.caption(t("forecast.training.stopping"))
    elif st.button(t("runs.search.stop"), key=state.FORECAST_SEARCH_STOP):
        job.stop()


def show_search(series: pd.DataFrame | None, spec, ds, training_running: bool) -> None:
    """Hyperparameter search section: budget, trials, progress, the trials with the best highlighted."""
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
                b2.button(t("runs.search.open_best"), width="stretch", on_click=open_saved_run, args=(shown_run,))


def show_search_choice(result, best, baseline: float | None) -> None:
    """How the search chose (validation periods before the holdout) and the choice's one score on the holdout."""
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
