"""Session-state and widget keys of background jobs and interrupted trainings (re-exported by components.state)."""

from __future__ import annotations

FORECAST_RERUN = "forecast_rerun"  # StartedRun to train again on the Forecast page's next run (its settings restored)


def interrupted_key(action: str, run_id: str, page: str = "forecast") -> str:
    """Widget key of a button ('rerun' | 'dismiss') beside one interrupted training on a page ('forecast', 'runs').
    Not prefixed with the page: keep_widget_values re-assigns those keys each run, which buttons refuse."""
    return f"interrupted_{page}_{action}_{run_id}"
