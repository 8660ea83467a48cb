"""Session-state and widget keys of background jobs and interrupted trainings (re-exported by components.state)."""

from __future__ import annotations

FORECAST_RERUN = "forecast_rerun"  # StartedRun to train again on the Forecast page's next run (its settings restored)


def interrupted_key(action: str, run_id: str) -> str:
    """Widget key of a button ('rerun' | 'dismiss') beside one interrupted training."""
    return f"forecast_interrupted_{action}_{run_id}"
