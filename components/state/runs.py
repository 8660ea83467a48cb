"""Typed accessors of the Runs page state (keys defined in components.state.workspace)."""

from __future__ import annotations

from components.state.slot import Slot
from components.state.values import RunsNotice
from components.state.workspace import RUNS_MESSAGE

runs_notice: Slot[RunsNotice] = Slot(RUNS_MESSAGE)
