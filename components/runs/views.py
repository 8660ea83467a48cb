"""Runs page pieces: filters, the run table, comparison of several runs, actions on one run, import, repair."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from components import state
from components.common import messages
from components.common.workspace import describe_run, open_saved_run, remember_error, workspace
from components.runs.charts import plot_metrics_side_by_side, plot_runs_overlay
from ml.forecast import BASELINES, NETWORK
from ml.forecast.config import MODEL_TYPES
from ml.i18n import format_day, format_number, render_error, t
from ml.keras_runtime import backend_label
from ml.messages import Message
from ml.schema import SalesLensError
from ml.workspace import RunRecord

METRICS = ("mae", "rmse", "smape", "mase")
PERIODS = {"all": None, "day": 1, "week": 7, "month": 31, "year": 366}
ALL = "all"
MAX_COMPARED = 8


def best_baseline(record: RunRecord, metric: str = "mase") -> tuple[str | None, float | None]:
    scores = {m: v.get(metric) for m, v in record.metrics.items() if m in BASELINES and v.get(metric) is not None}
    if not scores:
        return None, None
    name = min(scores, key=scores.get)
    return name, float(scores[name])


def input_run_filters(records: list[RunRecord]) -> dict:
    """Dataset, model type and period filters; returns keyword arguments for ``Workspace.list_runs``."""
    datasets = {r.dataset_fingerprint: r.dataset_name for r in records}
    c1, c2, c3 = st.columns(3)
    dataset = c1.selectbox(t("runs.filter.dataset"), [ALL, *datasets], key=state.RUNS_FILTER_DATASET,
                           format_func=lambda f: t("runs.filter.all") if f == ALL else datasets.get(f, f[:8]))
    types = sorted({r.model_type for r in records}, key=lambda m: MODEL_TYPES.index(m) if m in MODEL_TYPES else 99)
    model = c2.selectbox(t("runs.filter.model"), [ALL, *types], key=state.RUNS_FILTER_MODEL,
                         format_func=lambda m: t("runs.filter.all") if m == ALL else t(f"forecast.model.{m}"))
    period = c3.selectbox(t("runs.filter.period"), list(PERIODS), key=state.RUNS_FILTER_PERIOD,
                          format_func=lambda p: t(f"runs.filter.period_{p}"))
    days = PERIODS.get(period)
    return {
        "dataset_fingerprint": None if dataset == ALL else dataset,
        "model_type": None if model == ALL else model,
        "since": None if days is None else datetime.now(UTC) - timedelta(days=days),
    }


def runs_table(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run, localised headers, numbers as numbers (the table sorts them)."""
    rows = []
    for r in records:
        base_name, base_mase = best_baseline(r)
        rows.append({
            t("runs.table.name"): describe_run(r),
            t("runs.table.number"): r.number,  # the number the Forecast page gives the run ("Run 8")
            t("runs.table.kind"): t(f"runs.kind.{r.kind}"),
            t("runs.table.dataset"): r.dataset_name,
            t("runs.table.model"): t(f"forecast.model.{r.model_type}"),
            t("runs.table.network_mase"): r.network_mase,
            t("runs.table.best_baseline"): (t(f"forecast.model.{base_name}") + f" {format_number(base_mase, 3)}")
            if base_name else "",
            t("runs.table.window"): int(r.config.get("window", 0)),
            t("runs.table.units"): int(r.config.get("units", 0)),
            t("runs.table.seconds"): round(r.train_seconds, 1),
            t("backend.column"): backend_label(r.backend),
            t("runs.table.created"): r.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        })
    return pd.DataFrame(rows)


@st.cache_data(max_entries=32, show_spinner=False)
def _holdout(owner: str, run_id: str) -> pd.DataFrame:
    """A run's held-out predictions (the frame is immutable once saved, so caching by id is exact)."""
    return workspace().open_run(owner, run_id).result.holdout[["unique_id", "ds", "y", NETWORK]]


def _group(record: RunRecord) -> tuple[str, str]:
    """Runs compare only on the same dataset and target (the MASE of units on one shop says nothing about revenue
    on another)."""
    return record.dataset_fingerprint, str((record.spec or {}).get("target", ""))


def show_comparison(records: list[RunRecord]) -> None:
    """Pick runs; overlay their predicted-vs-actual curves and put their metrics side by side."""
    by_id = {r.id: r for r in records}
    default = [r.id for r in records if _group(r) == _group(records[0])][:2] if records else []
    chosen = st.multiselect(t("runs.compare.choose"), list(by_id), default=default, key=state.RUNS_SELECTED,
                            format_func=lambda i: describe_run(by_id[i]), max_selections=MAX_COMPARED,
                            help=t("runs.compare.help"))
    chosen = [i for i in chosen if i in by_id]
    if not chosen:
        st.caption(t("runs.compare.none"))
        return
    # Errors on different data or of a different target do not compare: keep the first run's dataset and target.
    apart = [i for i in chosen if _group(by_id[i]) != _group(by_id[chosen[0]])]
    if apart:
        st.warning(t("runs.compare.not_comparable", runs=", ".join(describe_run(by_id[i]) for i in apart),
                     first=describe_run(by_id[chosen[0]])), icon=":material/compare_arrows:")
        chosen = [i for i in chosen if i not in apart]
    owner = state.owner()
    predictions, failed = [], []
    for run_id in chosen:
        try:
            predictions.append((describe_run(by_id[run_id]), _holdout(owner, run_id)))
        except SalesLensError as err:
            failed.append(render_error(err))
    for message in failed:
        st.warning(message, icon=":material/error:")
    if predictions:
        series = sorted(set.intersection(*(set(p["unique_id"].astype(str)) for _, p in predictions)) or
                        set(predictions[0][1]["unique_id"].astype(str)))
        chosen_series = series[0]
        if len(series) > 1:
            chosen_series = st.selectbox(t("runs.compare.series"), series, key=state.RUNS_SERIES)
        actual = predictions[0][1][["unique_id", "ds", "y"]]
        st.plotly_chart(plot_runs_overlay(actual, predictions, chosen_series), width="stretch",
                        key=state.RUNS_OVERLAY_CHART)
        if len({r.dataset_fingerprint for r in (by_id[i] for i in chosen)}) > 1:
            st.caption(t("runs.compare.different_datasets"))
    labels = {m: t(f"forecast.metric.{m}") for m in METRICS}
    table = pd.DataFrame(
        {describe_run(by_id[i]): {m: by_id[i].metrics.get(NETWORK, {}).get(m) for m in METRICS} for i in chosen}
    ).T.astype(float)
    baselines = {}
    for i in chosen:
        name, value = best_baseline(by_id[i])
        baselines[describe_run(by_id[i])] = t("runs.compare.baseline_value", model=t(f"forecast.model.{name}"),
                                              value=format_number(value, 3)) if name else ""
    shown = table.rename(columns=labels)
    shown[t("runs.table.best_baseline")] = pd.Series(baselines)
    st.dataframe(shown.style.highlight_min(axis=0, color="#dcfce7", subset=list(labels.values()))
                 .format(lambda v: format_number(v, 3), subset=list(labels.values())), width="stretch")
    st.plotly_chart(plot_metrics_side_by_side(table, labels), width="stretch", key=state.RUNS_METRICS_CHART)


@st.cache_data(max_entries=8, show_spinner=False)
def _export_zip(owner: str, run_id: str, label: str) -> bytes:
    """A run's export bundle, built once per run and label instead of on every rerun of the Runs page (reading,
    hashing and zipping the model files); errors are not cached."""
    return workspace().export_run(owner, run_id)


def show_run_actions(records: list[RunRecord]) -> None:
    """Reopen, rename, export or delete one run."""
    by_id = {r.id: r for r in records}
    run_id = st.selectbox(t("runs.actions.choose"), list(by_id), key=state.RUNS_ACTIVE,
                          format_func=lambda i: describe_run(by_id[i], numbered=True))
    if run_id not in by_id:
        return
    record = by_id[run_id]
    owner = state.owner()
    st.caption(t("runs.actions.details", dataset=record.dataset_name, model=t(f"forecast.model.{record.model_type}"),
                 window=record.config.get("window"), horizon=record.config.get("horizon"),
                 epochs=record.epochs_run, when=format_day(record.created_at)))
    c1, c2, c3, c4 = st.columns(4)
    if c1.button(t("runs.actions.reopen"), type="primary", width="stretch", help=t("runs.actions.reopen_help")):
        if open_saved_run(run_id) is not None:
            st.switch_page("pages/forecast_page.py")
        st.rerun()
    with c2.popover(t("runs.actions.rename"), width="stretch"):
        label = st.text_input(t("runs.actions.label"), value=record.label, key=state.RUNS_LABEL, max_chars=200)
        if st.button(t("runs.actions.save_label")):
            try:
                workspace().rename_run(owner, run_id, label)
                state.runs_notice.set(state.RunsNotice(Message("runs.message.renamed", {"label": label.strip()})))
            except SalesLensError as err:
                remember_error(err)
            st.rerun()
    try:
        data = _export_zip(owner, run_id, record.label)
    except SalesLensError as err:
        c3.caption(render_error(err))
    else:
        c3.download_button(t("runs.actions.export"), data=data, file_name=f"saleslens_run_{run_id[:8]}.zip",
                           mime="application/zip", key=state.RUNS_EXPORT, width="stretch",
                           help=t("runs.actions.export_help"))
    with c4.popover(t("runs.actions.delete"), width="stretch"):
        sure = st.checkbox(t("runs.actions.delete_confirm", name=describe_run(record)),
                           key=state.runs_delete_confirm_key(run_id))
        if st.button(t("runs.actions.delete_now"), disabled=not sure, type="primary"):
            try:
                workspace().delete_run(owner, run_id)
                state.runs_notice.set(state.RunsNotice(Message("runs.message.deleted", {"name": describe_run(record)})))
            except SalesLensError as err:
                remember_error(err)
            st.rerun()


def show_import() -> None:
    """Import a run bundle exported from this workspace (validated; tampered or foreign bundles refused)."""
    with st.expander(t("runs.import.title")):
        upload = st.file_uploader(t("runs.import.upload"), type=["zip"], key=state.RUNS_IMPORT_UPLOAD,
                                  help=t("runs.import.help"))
        if upload is None:
            return
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        last = state.runs_notice.get()
        if last is not None and last.upload == digest:
            return  # this upload was handled on an earlier run of the script
        try:
            record = workspace().import_run(state.owner(), data)
        except SalesLensError as err:
            state.runs_notice.set(state.RunsNotice(err.message, "error", upload=digest))
        else:
            state.runs_notice.set(state.RunsNotice(Message("runs.message.imported", {"name": describe_run(record)}),
                                                   upload=digest))
        st.rerun()


def show_message() -> None:
    notice = state.runs_notice.get()
    if notice is None:
        return
    messages.show_message(notice.message, notice.kind, icon=":material/error:" if notice.kind == "error" else None)
    if notice.upload is None:
        state.runs_notice.set(None)


def show_repair(err: SalesLensError) -> None:
    """The registry cannot be read: say so, and offer to rebuild it from the saved files."""
    messages.show_message(err.message, icon=":material/database:")
    if err.message_id == "workspace.error.database_corrupt" and st.button(t("runs.repair.button"),
                                                                           key=state.RUNS_REPAIR):
        try:
            counts = workspace().recover_registry()
        except SalesLensError as again:
            messages.show_message(again.message, icon=None)
        else:
            state.runs_notice.set(state.RunsNotice(Message("runs.repair.done", {"runs": counts["runs"],
                                                                              "datasets": counts["datasets"]})))
            st.rerun()


def show_maintenance() -> None:
    """Re-list run and dataset folders the registry does not know (after a crash or a move to a new database)."""
    with st.expander(t("runs.maintenance.title")):
        st.caption(t("runs.maintenance.intro"))
        if st.button(t("runs.maintenance.button")):
            try:
                counts = workspace().recover_registry()
            except SalesLensError as err:
                remember_error(err)
            else:
                state.runs_notice.set(state.RunsNotice(Message("runs.repair.done", {"runs": counts["runs"],
                                                                              "datasets": counts["datasets"]})))
            st.rerun()
