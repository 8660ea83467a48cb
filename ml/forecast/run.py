"""A forecast run as the app keeps it: what was asked (``SeriesSpec``), the settings and the result, and where it
came from (a training job's return value or a run reopened from the workspace). No Streamlit here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ml.forecast.config import ForecastConfig
from ml.forecast.pipeline import ForecastResult
from ml.i18n import t

if TYPE_CHECKING:
    from ml.workspace import SavedRun

FREQS = ("D", "W", "M")
PANDAS_FREQ = {"D": "D", "W": "W-MON", "M": "MS"}
CUSTOM = "custom"  # the preset choice once a setting differs from every preset
# The settings a preset fills in and a reopened run restores; the Forecast form has one widget per field.
CONFIG_FIELDS = (
    "model_type", "window", "horizon", "layers", "units", "dropout", "epochs", "batch_size", "learning_rate",
    "patience", "validation_split", "scaler", "day_of_week", "month", "quarter", "week_of_year", "holiday",
    "use_covariates", "global_model", "seed",
)


@dataclass(frozen=True)
class SeriesSpec:
    """What the analyst asked to forecast."""

    target: str
    level: str  # as ml.series.make_series expects
    freq: str  # D | W | M

    def describe(self) -> str:
        kind, _, value = self.level.partition(":")
        what = t(f"forecast.level.{kind}") + (f" {value.replace('|', ', ')}" if value else "")
        return t("forecast.spec", target=t(f"forecast.target.{self.target}"), what=what, freq=t(f"forecast.freq.{self.freq}"))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SeriesSpec:
        """From a saved run's or a job's ``spec`` (the whole shop's daily units when a run has none)."""
        if not data:
            return cls("units", "total", "D")
        return cls(**{k: str(data[k]) for k in ("target", "level", "freq")})


@dataclass
class ForecastRun:
    """A finished run as the page keeps it."""

    spec: SeriesSpec
    config: ForecastConfig
    result: ForecastResult
    dataset_fingerprint: str
    dataset_name: str
    number: int = 1  # the n-th training started in this session
    stopped: bool = False
    finished_at: float = field(default_factory=time.time)
    run_id: str | None = None  # id in the workspace's run registry once saved
    label: str = ""
    save_error: tuple[str, dict] | None = None  # why it could not be saved (read-only workspace, ...)
    bundle: bytes | None = field(default=None, repr=False)  # the model as zip bytes when it could not be saved


def run_from_job(data: dict) -> ForecastRun:
    """The ForecastRun from what the training worker returned (``ml.tasks.train_forecast``)."""
    result = data["result"]
    return ForecastRun(SeriesSpec.from_dict(data["spec"]), result.config, result, data["fingerprint"], data["name"],
                       int(data["number"]), stopped=bool(data["stopped"]), run_id=data["run_id"],
                       save_error=data["save_error"], bundle=data["bundle"])


def run_from_saved(saved: SavedRun) -> ForecastRun:
    """The ForecastRun of a reopened saved run (no retraining)."""
    rec = saved.record
    return ForecastRun(
        spec=SeriesSpec.from_dict(rec.spec), config=saved.result.config, result=saved.result,
        dataset_fingerprint=rec.dataset_fingerprint, dataset_name=rec.dataset_name,
        number=int(rec.number or saved.details.get("number", 1) or 1), stopped=rec.stopped,
        finished_at=rec.created_at.timestamp(), run_id=rec.id, label=rec.label,
    )
