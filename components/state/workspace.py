"""Session-state and widget keys of the workspace area (re-exported by components.state)."""

from __future__ import annotations

# App state
WORKSPACE_RESTORED = "workspace_restored"  # this session looked up its owner's saved dataset, run and jobs once
WORKSPACE_ERROR = "workspace_error"  # ml.messages.Message: the last workspace problem (read-only, damaged db)
WORKSPACE_NOTHING_SAVED = "workspace_nothing_saved"  # a first visit: this owner has no saved dataset yet (skip the query)
WORKSPACE_DATASET_ID = "workspace_dataset_id"  # saved-dataset id of the loaded dataset (None for the sample)
RUNS_SELECTED = "runs_selected"  # run ids picked in the table, for the overlay and side-by-side comparison
RUNS_MESSAGE = "runs_message"  # values.RunsNotice: the last action on the Runs page (renamed, imported, ...)
FORECAST_SEARCH_JOB = "forecast_search_job"  # id of the hyperparameter-search job in ml.jobs.REGISTRY
FORECAST_SEARCH_RESULT = "forecast_search_result"  # last finished search (ml.forecast.search.SearchResult)
FORECAST_SEARCH_ERROR = "forecast_search_error"  # ml.messages.Message: why the search failed
FORECAST_BUNDLE_RESULT = "forecast_bundle_result"  # values.BundleForecast made with an uploaded model bundle

# Widget keys: Data page (saved datasets section)
DATA_SAVED_TABLE = "data_saved_table"
DATA_SAVED_CHOICE = "data_saved_choice"

# Widget keys: Forecast page (search, uploaded bundle)
FORECAST_SEARCH_BUDGET = "forecast_search_budget"
FORECAST_SEARCH_TRIALS = "forecast_search_trials"
FORECAST_SEARCH_EPOCHS = "forecast_search_epochs"
FORECAST_SEARCH_STOP = "forecast_search_stop"
FORECAST_SEARCH_CHART = "forecast_search_chart"
FORECAST_BUNDLE_CHART = "forecast_bundle_chart"

# Widget keys: Runs page
RUNS_FILTER_DATASET = "runs_filter_dataset"
RUNS_FILTER_MODEL = "runs_filter_model"
RUNS_FILTER_PERIOD = "runs_filter_period"
RUNS_TABLE = "runs_table"  # a dataframe with row selection (not a value to carry across pages)
RUNS_OVERLAY_CHART = "runs_overlay_chart"
RUNS_METRICS_CHART = "runs_metrics_chart"
RUNS_SERIES = "runs_series"
RUNS_ACTIVE = "runs_active"  # the run the actions (reopen, rename, export, delete) apply to
RUNS_LABEL = "runs_label"
RUNS_IMPORT_UPLOAD = "runs_import_upload"
RUNS_EXPORT = "runs_export"  # a download button
RUNS_REPAIR = "runs_repair"


def runs_delete_confirm_key(run_id: str) -> str:
    """Key of the checkbox confirming the deletion of one run."""
    return f"runs_delete_{run_id}"


# Typed accessors of the workspace state above
from components.state.slot import Slot  # noqa: E402
from ml.messages import Message  # noqa: E402

workspace_restored: Slot[bool] = Slot(WORKSPACE_RESTORED)
workspace_error: Slot[Message] = Slot(WORKSPACE_ERROR)
workspace_nothing_saved: Slot[bool] = Slot(WORKSPACE_NOTHING_SAVED)
workspace_dataset_id: Slot[str] = Slot(WORKSPACE_DATASET_ID)
