"""Recommendation results kept in the workspace (``ml.recommend.snapshot``): a reload shows the newest run on this
dataset at once, and Run with the settings of a kept run shows it instead of fitting again."""

from __future__ import annotations

import logging
from datetime import datetime

import streamlit as st

from components import state
from components.common.workspace import workspace
from ml.i18n import format_day, t
from ml.recommend.service import RecommendRun, RecommendSettings
from ml.recommend.snapshot import load_snapshot
from ml.schema import SalesLensError

_log = logging.getLogger(__name__)


def load_kept(fingerprint: str, settings: RecommendSettings | None = None) -> RecommendRun | None:
    """The newest kept run on this dataset (with exactly these settings, when given), or None."""
    try:
        return load_snapshot(workspace(), state.owner(), fingerprint, settings)
    except (SalesLensError, OSError):
        _log.exception("reading kept recommendations failed")
        return None


def restore_kept(fingerprint: str, running: bool) -> None:
    """Once per dataset and session (a reload is a new session): when nothing shown belongs to this dataset and no
    run is going, bring back the newest kept run and put its settings in the form."""
    run = state.recommend_result.get()
    if running or (run is not None and run.dataset_fingerprint == fingerprint) or state.recommend_kept_tried.get() == fingerprint:
        return
    state.recommend_kept_tried.set(fingerprint)
    kept = load_kept(fingerprint)
    if kept is not None:
        use_kept(kept)


def use_kept(run: RecommendRun, form: bool = True) -> None:
    """Show ``run``; with ``form``, also fill the form with its settings (only before the form is drawn)."""
    state.recommend_result.set(run)
    state.recommend_error.set(None)
    if not form:
        return
    s = run.settings
    for key, value in ((state.RECOMMEND_ALGORITHMS, list(s.algorithms)), (state.RECOMMEND_ALGORITHM, s.algorithm),
                       (state.RECOMMEND_WEIGHTING, s.weighting), (state.RECOMMEND_K, s.k), (state.RECOMMEND_TEST_DAYS, s.test_days),
                       (state.RECOMMEND_HALF_LIFE, int(s.half_life_days or 0)), (state.RECOMMEND_REPEAT, bool(s.repeat))):
        state.set_widget(key, value)


def show_kept_note(run: RecommendRun) -> None:
    if getattr(run, "kept_at", ""):
        try:
            when = datetime.fromisoformat(run.kept_at)
            label = f"{format_day(when)} {when:%H:%M} UTC"
        except ValueError:
            label = run.kept_at
        st.caption(t("recommend.kept.note", when=label))
