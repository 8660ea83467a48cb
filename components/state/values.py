"""The tuple-valued slots of session state as named types (each once a positional tuple read by index)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from ml.messages import Message


@dataclass(frozen=True)
class BundleForecast:
    """The forecast made with an uploaded model bundle (``FORECAST_BUNDLE_RESULT``): the bundle's hash, so a rerun
    with the same upload does not import it again, and either the forecast with the model's settings or why not."""

    digest: str
    future: pd.DataFrame | None = None
    config: dict[str, Any] | None = None
    error: Message | None = None


@dataclass(frozen=True)
class RunsNotice:
    """The outcome of the last action on the Runs page (``RUNS_MESSAGE``), shown above the table. ``upload`` is the
    hash of an imported bundle: the notice stays while that upload is in the widget, so it is not imported twice."""

    message: Message
    kind: Literal["success", "error"] = "success"
    upload: str | None = None


@dataclass(frozen=True)
class LinkSummary:
    """What a ``?ws=`` link would open (``WORKSPACE_LINK_SUMMARY``), shown before the analyst agrees."""

    workspace: str
    datasets: int = 0
    runs: int = 0
    latest: str = ""  # name of its latest saved dataset ("" when none)
