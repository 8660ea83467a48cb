"""A run's ETS and ARIMA fits made ahead in a helper process, while the network trains (issue 18, item 5).

``run_forecast`` needs, per series, the scorecard's ETS/ARIMA and the blend's partners (``ForecastConfig.combine``)
on the training rows of each fold and again on all rows. In one process their statsmodels Python holds the GIL and
starves the training loop (4.4x slower on 40 series), so they used to run after it. ``FitAhead`` starts one
helper interpreter (``serve``) when the run starts; it fits the run's models in the order the run will
ask for them, on the core the training leaves free, and sends back only each fit's specification and parameters
(the fit caches' entries, a few hundred bytes). The run's own calls find them (``baselines.FIT_SOURCES``) and
rebuild the results by one smoothing/filter pass, as on any cache hit: forecasts identical to fitting in place.
Once the training is over and the run waits for a fit still under way, it fits the plan's last unclaimed ones
itself meanwhile (two processes, one plan).

Safe by construction: a fit the helper did not deliver (it failed to start, died, was killed, or the fit raised)
is fitted in the run's process as before, with the same answer. The helper exits when its pipe closes (the run
ended, stopped, failed, or its process died), and ``close`` waits for it (no zombie). Off on Ray tasks (each is
given one CPU) and where ``SALESLENS_FIT_PROCESS=0``; ``=1`` forces it on whatever the number of series; unset,
it is used from ``MIN_SERIES`` series up.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.forecast import baselines
from ml.forecast.config import COMBINE_PARTNERS, ForecastConfig, frequency_kind, season_length
from ml.forecast.data import ID, Y
from ml.forecast.fit_cache import content_key

_log = logging.getLogger(__name__)

ENV_SWITCH = "SALESLENS_FIT_PROCESS"  # "0": never; "1": always (when there is a fit to make); unset: MIN_SERIES
MIN_SERIES = 2  # from this many series up by default (bench/RESULTS.md, issue 18 item 5: the crossover)
WAIT_POLL = 0.05  # seconds between checks that the helper is alive while waiting for a fit


@dataclass(frozen=True)
class FitTask:
    """One fit a run will need: ``model`` "ets" or "arima" on the values ``y``."""

    model: str
    y: np.ndarray
    m: int
    freq_kind: str

    @property
    def key(self) -> tuple:
        """The fit cache's key for it (``baselines._ets_fit`` / ``_arima_fit``)."""
        if self.model == "ets":
            return content_key(self.y, int(self.m))
        return content_key(self.y, int(self.m), str(self.freq_kind))


def wanted(n_series: int, environ: dict[str, str] | os._Environ | None = None) -> bool:
    """Whether a run over ``n_series`` series fits ahead in a helper process (``SALESLENS_FIT_PROCESS``)."""
    setting = (os.environ if environ is None else environ).get(ENV_SWITCH, "").strip().lower()
    if setting in ("0", "false", "no", "off"):
        return False
    if setting in ("1", "true", "yes", "on"):
        return True
    return n_series >= MIN_SERIES


def plan_fits(splits: Iterable[tuple[str, pd.DataFrame, pd.DataFrame]], frame: pd.DataFrame, freq: str,
              config: ForecastConfig, models: tuple[str, ...]) -> list[FitTask]:
    """Every statsmodels fit ``run_forecast`` will ask for, once each, in the order it asks: for each fold's
    training rows then for all rows, per series the blend's partners (on the values the network's blend fits
    them to) and the scorecard's ETS/ARIMA (on the raw values). Extra tasks cost time, not correctness: a fit
    the run never asks for is never used, and one missing from the plan is fitted in place."""
    from ml.forecast.forecaster import _without_absurd_values  # the blend's guard, so the keys match its fits

    m, kind = season_length(freq), frequency_kind(freq)
    # the partners statsmodels fits: not the built-in smoother of combine "ets", nor seasonal naive (fits nothing)
    fitted = () if config.combine == "ets" else COMBINE_PARTNERS[config.combine]
    partners = tuple(name for name in fitted if name in ("ets", "arima"))
    scorecard = tuple(name for name in ("ets", "arima") if name in models)
    tasks: dict[tuple, FitTask] = {}
    for rows in [train for _, train, _ in splits] + [frame]:
        for _, group in rows.groupby(ID, sort=True):
            y = group[Y].to_numpy(dtype=np.float64)
            guarded = _without_absurd_values(y, m)
            twice = _without_absurd_values(guarded, m)  # predict guards the window, then the partner's rows again
            wanted_here = [(name, guarded) for name in partners] + [(name, twice) for name in partners] + \
                [(name, y) for name in scorecard]
            for name, values in wanted_here:
                task = FitTask(name, np.ascontiguousarray(values, dtype=np.float64), m, kind)
                tasks.setdefault((name, task.key), task)
    return list(tasks.values())


class FitAhead:
    """The helper process fitting ``tasks`` ahead, and the run's side: a thread that hands it the next task and
    keeps what comes back, and ``fitted`` (a ``baselines.FIT_SOURCES`` entry) that the run's fits ask."""

    def __init__(self, tasks: list[FitTask]) -> None:
        self.tasks = tasks
        self._index = {(t.model, t.key): i for i, t in enumerate(tasks)}
        self._owner: list[str | None] = [None] * len(tasks)  # "helper" | "here" once claimed
        self._kept: dict[int, tuple] = {}
        self._cond = threading.Condition()
        self._next = 0  # the helper takes tasks from the front
        self._last = len(tasks)  # this process takes them from the back while it waits
        self._alive = False
        self.delivered = 0  # fits the helper sent back
        self.fitted_here = 0  # plan tasks this process fitted from the back while waiting
        self.asked_here = 0  # plan tasks the run asked for before the helper took them (fitted in place)
        self.proc: subprocess.Popen | None = None
        self._conn: Any = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------------ life cycle
    def start(self) -> FitAhead:
        """Start the helper and the thread talking to it; on any failure the run goes on without (fits in place)."""
        import multiprocessing

        from ml.jobs import worker_environment

        parent, child = multiprocessing.Pipe(duplex=True)
        try:
            env = worker_environment(1, nice=0)  # one thread per library: one core, as the statsmodels section
            self.proc = subprocess.Popen(helper_command(child.fileno()), pass_fds=(child.fileno(),), env=env,
                                         stdin=subprocess.DEVNULL, close_fds=True)
        except (OSError, ValueError):
            _log.warning("the fit helper did not start; fitting in this process", exc_info=True)
            parent.close()
            return self
        finally:
            child.close()
        self._conn, self._alive = parent, True
        self._thread = threading.Thread(target=self._serve, name="saleslens-fit-ahead", daemon=True)
        self._thread.start()
        baselines.FIT_SOURCES.append(self.fitted)
        return self

    def close(self, grace: float = 5.0) -> None:
        """Stop asking, end the helper (its pipe closes; killed if it does not exit) and wait for it."""
        try:
            baselines.FIT_SOURCES.remove(self.fitted)
        except ValueError:
            pass
        with self._cond:
            self._alive = False
            self._cond.notify_all()
        if self._conn is not None:
            self._conn.close()
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()  # mid-fit (a stopped run): nobody needs that fit any more
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._thread is not None:
            self._thread.join(timeout=grace)

    def __enter__(self) -> FitAhead:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ the helper's side
    def _serve(self) -> None:
        """Hand the helper the next unclaimed task each time it is ready or sends a fit back; keep the fits."""
        try:
            while True:
                message = self._conn.recv()
                if message[0] == "fitted":
                    _, i, spec, params, name = message
                    with self._cond:
                        self._kept[i] = (spec, np.asarray(params, dtype=np.float64), name)
                        self.delivered += 1
                        self._cond.notify_all()
                elif message[0] == "failed":  # the run's own fit will raise the same way, or fall back
                    with self._cond:
                        self._owner[message[1]] = None
                        self._cond.notify_all()
                task = self._claim_front()
                if task is None:
                    self._conn.send(("end",))
                    break
                i, t = task
                self._conn.send(("fit", i, t.model, t.y, t.m, t.freq_kind))
        except (EOFError, OSError, ValueError, TypeError, IndexError):
            pass  # the helper died or sent nonsense, or the run closed the pipe: the rest is fitted in place
        finally:
            with self._cond:
                self._alive = False
                self._cond.notify_all()

    def _claim_front(self) -> tuple[int, FitTask] | None:
        with self._cond:
            while self._next < self._last and self._owner[self._next] is not None:
                self._next += 1
            if self._next >= self._last or not self._alive:
                return None
            i = self._next
            self._owner[i] = "helper"
            self._next += 1
            return i, self.tasks[i]

    def _claim_back(self) -> int | None:
        with self._cond:
            while self._last > self._next and self._owner[self._last - 1] is not None:
                self._last -= 1
            if self._last <= self._next:
                return None
            self._last -= 1
            self._owner[self._last] = "here"
            return self._last

    # ------------------------------------------------------------------------------------------ the run's side
    def fitted(self, model: str, key: tuple) -> tuple | None:
        """What was fitted ahead for (model, key): at once when there, after waiting when the helper has it under
        way (fitting the plan's last tasks here meanwhile), None when it is not in the plan, not claimed yet (then
        this process fits it: claimed here) or the helper is gone."""
        i = self._index.get((model, key))
        if i is None:
            return None
        with self._cond:
            if i in self._kept:
                return self._kept[i]
            if self._owner[i] is None:
                self._owner[i] = "here"
                self.asked_here += 1
                return None
        while True:
            with self._cond:
                if i in self._kept:
                    return self._kept[i]
                if not self._alive or self._owner[i] != "helper":
                    return None
            j = self._claim_back()
            if j is not None:
                self._fit_here(j)
                continue
            with self._cond:
                if i not in self._kept and self._alive and self._owner[i] == "helper":
                    self._cond.wait(WAIT_POLL)
                    if self.proc is not None and self.proc.poll() is not None:
                        self._alive = False

    def _fit_here(self, j: int) -> None:
        t = self.tasks[j]
        try:
            _, kept = baselines.fit_kept(t.model, t.y, t.m, t.freq_kind)
        except Exception:  # the run's own call fits it again and raises or falls back as it always did
            return
        with self._cond:
            self._kept[j] = kept
            self.fitted_here += 1


def helper_command(fd: int) -> list[str]:
    """The helper's command line (a fresh interpreter: never a fork of a process that loaded JAX)."""
    # not "-m ml.forecast.fit_process": the package imports this module before runpy would run it as __main__
    return [sys.executable, "-c", "import sys; from ml.forecast.fit_process import serve; sys.exit(serve(int(sys.argv[1])))",
            str(fd)]


def serve(fd: int) -> int:
    """The helper: ask for a task, fit it, send back (specification, parameters, name), until "end" or the pipe
    closes."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    try:
        conn.send(("ready",))
        while True:
            message = conn.recv()
            if message[0] != "fit":
                return 0
            _, i, model, y, m, freq_kind = message
            try:
                _, (spec, params, name) = baselines.fit_kept(model, y, m, freq_kind)
            except Exception as exc:  # statsmodels raises many types; the run fits it itself
                conn.send(("failed", i, type(exc).__name__))
                continue
            conn.send(("fitted", i, spec, params, name))
    except (EOFError, OSError, KeyboardInterrupt):
        return 0
