"""One progress contract for long work: forecasting, hyperparameter search, recommendations and pricing.

Long work takes one ``progress`` argument: anything with ``on_progress(event)`` and a ``stop`` event (a
``Progress``, or the worker's job in ``ml.worker``). The work calls ``on_progress`` with a ``ProgressEvent`` after
each unit it finishes (an epoch, a trial, an algorithm, a block of products) and checks ``stop`` between units, so
the engine never depends on a UI and a job runner can relay the events as they are (they are plain, picklable
values). Standard library only: the worker imports this before it knows what job it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol


@dataclass(frozen=True)
class ProgressEvent:
    """``done`` of ``total`` units of ``step`` are finished (``total`` None when unknown in advance).

    ``step`` names the unit or phase ("epoch", "trial", "fit", an algorithm's name, "elasticity"); ``metrics``
    holds the numbers measured at that point (loss, val_loss, mase) and those that place it (budget_s, trainings).
    """

    step: str
    done: int
    total: int | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # read-only view of a private copy: a caller mutating its dict later cannot change an event already sent
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))

    def __reduce__(self):  # MappingProxyType does not pickle: rebuild from a plain dict (the job runner pickles)
        return (ProgressEvent, (self.step, self.done, self.total, dict(self.metrics)))

    @property
    def fraction(self) -> float | None:
        """``done / total`` clipped to [0, 1]; None when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))


OnProgress = Callable[[ProgressEvent], None]


class ProgressSink(Protocol):
    """What long work reports to: ``on_progress(event)``, and ``stop``, set when the work should end early."""

    stop: threading.Event

    def on_progress(self, event: ProgressEvent) -> None: ...


def _ignore(event: ProgressEvent) -> None:
    pass


class Progress:
    """A ``ProgressSink`` from a plain function (or none) and a stop event (a fresh one unless given)."""

    def __init__(self, on_progress: OnProgress | None = None, stop: threading.Event | None = None) -> None:
        self._on_progress = on_progress or _ignore
        self.stop = stop if stop is not None else threading.Event()

    def on_progress(self, event: ProgressEvent) -> None:
        self._on_progress(event)

    def report(self, step: str, done: int, total: int | None = None, **metrics: float) -> None:
        self.on_progress(ProgressEvent(step, int(done), total, metrics))

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()

    def mapped(self, change: Callable[[ProgressEvent], ProgressEvent]) -> Progress:
        """The same stop event; every event passes through ``change`` first (nested work counting in a parent's
        units, e.g. the epochs of one training among several)."""
        return Progress(lambda event: self.on_progress(change(event)), self.stop)

    def part(self, start: float, width: float, step: str | None = None) -> Progress:
        """For nested work that is the share [start, start + width] of this work (fractions of the whole): its
        events become per cent of the whole (done of 100), under ``step`` when given. For work whose parts count
        in different units (an evaluation of several algorithms, then fits)."""

        def change(event: ProgressEvent) -> ProgressEvent:
            fraction = event.fraction if event.fraction is not None else 0.0
            done = round(100 * min(1.0, start + width * fraction))
            return ProgressEvent(step or event.step, done, 100, event.metrics)

        return self.mapped(change)


def as_progress(progress: ProgressSink | None) -> Progress:
    """``progress`` as a ``Progress`` (a silent one with its own stop event for None)."""
    if isinstance(progress, Progress):
        return progress
    if progress is None:
        return Progress()
    return Progress(progress.on_progress, progress.stop)


__all__ = ["OnProgress", "Progress", "ProgressEvent", "ProgressSink", "as_progress"]
