"""Session-state and widget keys of background jobs and interrupted trainings (re-exported by components.state)."""

from __future__ import annotations

FORECAST_RERUN = "forecast_rerun"  # StartedRun to train again on the Forecast page's next run (its settings restored)


def interrupted_key(action: str, run_id: str, page: str = "forecast") -> str:
    """Widget key of a button ('rerun' | 'dismiss') beside one interrupted training on a page ('forecast', 'runs').
    Buttons refuse a value, so the key is not among those kept across pages (components.state.persist)."""
    return f"interrupted_{page}_{action}_{run_id}"
