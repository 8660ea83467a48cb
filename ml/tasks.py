"""The long work of the app as job functions for ``ml.jobs`` worker processes: forecast training, hyperparameter
search, recommendation runs, counting a large dataset's buyers. Each takes the worker's ``job`` (a
``ml.progress.Progress``: events go to the server, ``stop`` is set by it), hands it to the engine as its
``progress``, and takes plain data; it saves what it made to the workspace from the worker, and returns plain
data: no Keras object ever crosses back to the server (a trained forecaster stays in the workspace as weights +
JSON, or travels as bundle bytes when it could not be saved; the GRU recommender travels as weights + shapes and is
rebuilt on first use)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ml.messages import Message
from ml.schema import SalesLensError

_log = logging.getLogger(__name__)


def _error(err: Exception) -> Message:
    if isinstance(err, SalesLensError):
        return err.message
    _log.exception("saving to the workspace failed")
    return Message("error.unexpected", {"detail": "workspace"})


def train_forecast(job: Any, series: pd.DataFrame, config: dict[str, Any], folds: int, level: float, owner: str,
                   spec: dict[str, str], fingerprint: str, name: str, number: int,
                   run_id: str | None = None) -> dict[str, Any]:
    """Train and score one network (``ml.forecast.run_forecast``), save the run under ``run_id`` (the id it was
    recorded as started with) and return {result (forecaster None), run_id, save_error, bundle, stopped, ...}."""
    from ml.forecast import ForecastConfig, run_forecast
    from ml.workspace import get_workspace

    result = run_forecast(series, ForecastConfig.from_dict(config), baselines=True, backtest_folds=folds,
                          progress=job, interval_level=level)
    stopped = job.stopped
    saved, save_error, bundle = None, None, None
    try:
        ws = get_workspace()
        record = ws.save_run(owner, result, spec, fingerprint, name, stopped=stopped, details={"number": number},
                             run_id=run_id)
        saved = record.id
        number = record.number or number  # the registry's number, the one the Runs page shows
        ws.set_session_pointer(owner, run=record.id)
    except Exception as err:  # a failed save must not lose the trained result shown on the page
        save_error = _error(err)
    if saved is None and result.forecaster is not None and getattr(result.forecaster, "models_", None):
        from ml.forecast.bundle import export_bundle

        try:
            bundle = export_bundle(result.forecaster, metrics=result.to_json_dict()["metrics"])
        except Exception:
            _log.exception("building the model bundle failed")
    result.forecaster = None
    return {"result": result, "run_id": saved, "save_error": save_error, "bundle": bundle, "stopped": stopped,
            "spec": dict(spec), "fingerprint": fingerprint, "name": name, "number": number}


def search_forecast(job: Any, series: pd.DataFrame, config: dict[str, Any], budget_minutes: float, max_trials: int,
                    folds: int, level: float, owner: str, spec: dict[str, str], fingerprint: str, name: str):
    """A hyperparameter search (``ml.forecast.search.run_search``), each trial saved as a run of kind 'trial'."""
    from ml.engine import get_engine
    from ml.forecast import ForecastConfig
    from ml.forecast.search import run_search
    from ml.workspace import get_workspace

    ws = get_workspace()
    failures: list[Message] = []

    def save(result, trial, search_id):
        try:
            final = trial.status == "holdout"  # the chosen settings scored on the holdout
            return ws.save_run(owner, result, spec, fingerprint, name, kind="trial", search_id=search_id,
                               label=f"#{search_id[:6]} · {trial.number}" + (" · holdout" if final else ""),
                               details={"trial": trial.number, "scored_on": "holdout" if final else "validation"}).id
        except SalesLensError as err:
            failures.append(err.message)
            return None

    result = run_search(series, ForecastConfig.from_dict(config), budget_seconds=budget_minutes * 60,
                        max_trials=max_trials, backtest_folds=folds, interval_level=level,
                        progress=job, save_trial=save,
                        engine=get_engine())  # Ray when SALESLENS_RAY_ADDRESS is set
    result.save_errors = failures[:1]
    return result


def recommend(job: Any, frame: pd.DataFrame, settings: Any, fingerprint: str, name: str, owner: str | None = None):
    """Evaluate recommenders, fit the chosen one and the best (``ml.recommend.service.run_recommendations``), and
    keep the results in the owner's workspace under the dataset and settings (a reload shows them without fitting;
    a run stopped early is not kept). A failed save only costs the next reload a refit."""
    from ml.recommend.service import run_recommendations

    run = run_recommendations(frame, settings, job, fingerprint, name)
    if owner and fingerprint and not run.stopped:
        from ml.recommend.snapshot import save_snapshot
        from ml.workspace import get_workspace

        try:
            save_snapshot(get_workspace(), owner, run)
        except Exception:
            _log.exception("keeping the recommendations in the workspace failed")
    return run


def count_buyers(job: Any, path: str) -> dict[str, Any] | None:
    """Count every product's buyers of the saved dataset at ``path`` queried in place and keep them beside it
    (``ml.pushdown.buyers``): what the first "bought together" of a large dataset waits for. None when stopped."""
    from pathlib import Path

    from ml.pushdown.buyers import count_buyers as count
    from ml.pushdown.table import ParquetTable

    counts = count(ParquetTable(Path(path)), job)
    return None if counts is None else {"buyers": counts.buyers, "kept": len(counts.kept), "complete": counts.complete}
