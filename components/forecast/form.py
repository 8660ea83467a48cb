"""The settings each running training was started with, so the Forecast form shows them again after a reload or
a page switch (the job outlives the browser session; its settings live here, process-wide, beside it)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from components import state

_SETTINGS: OrderedDict[str, dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()
MAX_KEPT = 200


def remember_settings(job_id: str, values: dict[str, Any]) -> None:
    """Keep the form values a training was started with; the session's form now shows that training."""
    with _LOCK:
        _SETTINGS[job_id] = dict(values)
        while len(_SETTINGS) > MAX_KEPT:
            _SETTINGS.popitem(last=False)
    state.forecast_form_job.set(job_id)


def settings_of(job_id: str | None) -> dict[str, Any] | None:
    with _LOCK:
        values = _SETTINGS.get(job_id) if job_id else None
    return dict(values) if values is not None else None


def restore_running_settings(running: bool) -> bool:
    """Before the form is drawn: when this session's training runs and the form was not yet filled from it (a
    reload, a new tab), put its settings back into the widgets. Returns True when it did."""
    job_id = state.forecast_job.get()
    if not running or not job_id or state.forecast_form_job.get() == job_id:
        return False
    values = settings_of(job_id)
    state.forecast_form_job.set(job_id)
    if not values:
        return False
    for key, value in values.items():
        state.set_widget(key, value)
    return True
