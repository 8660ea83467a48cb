"""The progress contract: events are plain values that survive a pipe, nested work maps into its parent's units,
and the stop event is shared down the chain."""

from __future__ import annotations

import pickle
import threading
from dataclasses import FrozenInstanceError, replace

import pytest

from ml.progress import Progress, ProgressEvent, as_progress


def test_an_event_is_a_frozen_value_that_pickles_and_keeps_its_own_metrics():
    metrics = {"loss": 0.5}
    event = ProgressEvent("epoch", 3, 12, metrics)
    metrics["loss"] = 9.0
    assert event.metrics["loss"] == 0.5 and event.fraction == 0.25
    assert pickle.loads(pickle.dumps(event)) == event
    with pytest.raises(FrozenInstanceError):
        event.done = 4
    with pytest.raises(TypeError):
        event.metrics["loss"] = 1.0
    assert ProgressEvent("trial", 2).fraction is None and ProgressEvent("fit", 7, 5).fraction == 1.0


def test_nested_work_reports_in_the_parents_units_and_shares_its_stop():
    seen: list[ProgressEvent] = []
    parent = Progress(seen.append)
    counted = parent.mapped(lambda e: replace(e, done=10 + e.done, total=30))
    counted.report("epoch", 2, 10, loss=0.1)
    share = parent.part(0.8, 0.2, "fit")
    share.report("als", 1, 2)
    share.report("als", 2, 2)
    assert [(e.step, e.done, e.total) for e in seen] == [("epoch", 12, 30), ("fit", 90, 100), ("fit", 100, 100)]
    assert seen[0].metrics == {"loss": 0.1}
    parent.stop.set()
    assert counted.stopped and share.stopped


def test_anything_with_on_progress_and_stop_is_a_progress():
    class Sink:
        def __init__(self):
            self.stop, self.events = threading.Event(), []

        def on_progress(self, event):
            self.events.append(event)

    sink = Sink()
    progress = as_progress(sink)
    progress.report("elasticity", 1, 3)
    sink.stop.set()
    assert sink.events == [ProgressEvent("elasticity", 1, 3)] and progress.stopped
    silent = as_progress(None)
    silent.report("x", 1)  # goes nowhere
    assert not silent.stopped and as_progress(progress) is progress
