"""Typed accessors of the Forecast page state (keys defined in components.state and its workspace module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.state import (
    FORECAST_ERROR,
    FORECAST_FORM_JOB,
    FORECAST_JOB,
    FORECAST_RESULT,
    FORECAST_RUN_COUNT,
)
from components.state.jobs import FORECAST_RERUN
from components.state.slot import Slot
from components.state.values import BundleForecast
from components.state.workspace import (
    FORECAST_BUNDLE_RESULT,
    FORECAST_SEARCH_ERROR,
    FORECAST_SEARCH_JOB,
    FORECAST_SEARCH_RESULT,
)
from ml.messages import Message

if TYPE_CHECKING:
    from ml.forecast.search import SearchResult
    from ml.workspace.started import StartedRun

forecast_job: Slot[str] = Slot(FORECAST_JOB)
forecast_result: Slot[object] = Slot(FORECAST_RESULT)  # a ForecastRun (its module imports this package)
forecast_error: Slot[Message] = Slot(FORECAST_ERROR)
forecast_run_count: Slot[int] = Slot(FORECAST_RUN_COUNT)
forecast_form_job: Slot[str] = Slot(FORECAST_FORM_JOB)
forecast_rerun: Slot[StartedRun] = Slot(FORECAST_RERUN)
forecast_search_job: Slot[str] = Slot(FORECAST_SEARCH_JOB)
forecast_search_result: Slot[SearchResult] = Slot(FORECAST_SEARCH_RESULT)
forecast_search_error: Slot[Message] = Slot(FORECAST_SEARCH_ERROR)
forecast_bundle_result: Slot[BundleForecast] = Slot(FORECAST_BUNDLE_RESULT)
