"""Where the many-series work runs: in this process (``LocalEngine``) or as Ray tasks (``RayEngine``).

One interface, ``engine.map(fn, items)``: ``[fn(item) for item in items]``, results in the order of ``items``. The
many-series forecast (``ml.forecast.shards``), the hyperparameter search's trials and the recommenders' evaluation
call it, so a local run and a Ray run go through the same code. ``fn`` and the items must pickle (module-level
functions, ``functools.partial`` of them, plain data and frames).

The engine is chosen by ``--engine local|ray [--ray-address ...]`` in the CLI, else by ``SALESLENS_RAY_ADDRESS``
(``auto`` for the cluster this machine belongs to, ``local`` for a Ray started in this process, or
``host:6379`` / ``ray://host:10001``). Ray workers get the Keras backend and the thread caps of the job workers
through the task's ``runtime_env`` (Keras fixes its backend at import, so it must be in the environment the worker
starts with).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from ml.schema import ConfigError, SalesLensError

T = TypeVar("T")
R = TypeVar("R")
ENV_ADDRESS = "SALESLENS_RAY_ADDRESS"
ENV_CPUS = "SALESLENS_RAY_CPUS"  # CPUs of a Ray started in this process (default: Ray's own count)
ENGINES = ("local", "ray")
_log = logging.getLogger(__name__)


class EngineError(SalesLensError):
    """A task failed on the engine (``engine.error.task_failed``) or the engine cannot be reached."""


class Engine(Protocol):
    name: str

    @property
    def workers(self) -> int: ...

    def map(self, fn: Callable[[T], R], items: Iterable[T],
            on_result: Callable[[int, R], None] | None = None) -> list[R]: ...


class LocalEngine:
    """Today's path: each item in turn, in this process."""

    name = "local"

    @property
    def workers(self) -> int:
        return 1

    def map(self, fn: Callable[[T], R], items: Iterable[T],
            on_result: Callable[[int, R], None] | None = None) -> list[R]:
        results = []
        for i, item in enumerate(items):
            results.append(fn(item))
            if on_result is not None:
                on_result(i, results[-1])
        return results


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


class RayEngine:
    """Each item as a Ray task (one CPU each) on the cluster at ``address`` (None: a Ray started in this process with
    ``num_cpus`` CPUs, or the one already started here). A task's typed error (bad data in one shard) is raised
    again as itself; any other failure as ``EngineError`` carrying the task's message."""

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.address = None if address in (None, "", "local") else address
        self.num_cpus = num_cpus
        self.env = worker_env() if env is None else env

    def start(self) -> RayEngine:
        import ray

        if self.address and self.address != "auto":
            check_reachable(self.address)
        if ray.is_initialized():  # this process is already connected (a test's local Ray, an earlier call)
            return self
        try:
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, TimeoutError, ValueError) as err:
            _log.debug("ray.init failed", exc_info=True)
            raise EngineError("engine.error.unreachable", address=self.address or "local",
                              detail=_first_line(err)) from err
        return self

    @property
    def workers(self) -> int:
        import ray

        self.start()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def map(self, fn: Callable[[T], R], items: Iterable[T],
            on_result: Callable[[int, R], None] | None = None) -> list[R]:
        import ray

        self.start()
        remote = ray.remote(num_cpus=1, max_retries=0)(_call).options(runtime_env={"env_vars": self.env})
        fn_ref = ray.put(fn)  # shipped once, however many items share it
        refs = [remote.remote(fn_ref, item) for item in items]
        position = {ref: i for i, ref in enumerate(refs)}
        results: list[Any] = [None] * len(refs)
        pending = list(refs)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                i = position[done[0]]
                results[i] = self._get(done[0], i)
                if on_result is not None:
                    on_result(i, results[i])
        finally:
            for ref in pending:  # a failed task or an interrupted driver: do not leave the others running
                ray.cancel(ref, force=True)
        return results

    @staticmethod
    def _get(ref: Any, index: int) -> Any:
        import ray

        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as err:
            cause = err.cause if isinstance(getattr(err, "cause", None), BaseException) else None
            if isinstance(cause, SalesLensError):
                raise cause from None
            detail = f"{type(cause).__name__}: {cause}" if cause is not None else _first_line(err)
            raise EngineError("engine.error.task_failed", task=index + 1, detail=_first_line(detail)) from None
        except ray.exceptions.RayError as err:  # a worker died, the node went away
            raise EngineError("engine.error.task_failed", task=index + 1, detail=_first_line(err)) from None


def _first_line(value: object) -> str:
    lines = [line for line in str(value).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(value).__name__


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """EngineError ``engine.error.unreachable`` unless something listens at ``host:port`` (``ray://host:port``):
    ray.init would otherwise wait a minute before giving up."""
    target = address.split("://", 1)[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("engine.error.bad_address", address=address)
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as err:
        raise EngineError("engine.error.unreachable", address=address, detail=_first_line(err)) from None


def worker_env(threads: int = 1) -> dict[str, str]:
    """The environment every Ray task starts with: this process's Keras backend (resolved without importing Keras)
    and the job workers' thread caps, so that N tasks on N CPUs do not each start N threads."""
    from ml.jobs import ROOT, THREAD_VARIABLES
    from ml.keras_runtime import SETTING, resolve_backend

    backend = resolve_backend()
    env = {name: str(threads) for name in THREAD_VARIABLES}
    if threads == 1:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    # a task has one CPU: no helper process for its statsmodels fits (ml.forecast.fit_process.ENV_SWITCH)
    env.update({SETTING: backend, "KERAS_BACKEND": backend, "SALESLENS_WORKER": "1", "SALESLENS_FIT_PROCESS": "0",
                "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)})
    return env


def get_engine(name: str | None = None, address: str | None = None) -> Engine:
    """The engine asked for (``name``: local | ray), else Ray when ``SALESLENS_RAY_ADDRESS`` is set, else local."""
    address = address or os.environ.get(ENV_ADDRESS) or None
    chosen = (name or ("ray" if address else "local")).strip().lower()
    if chosen not in ENGINES:
        raise ConfigError("engine.error.unknown", value=name, allowed=", ".join(ENGINES))
    if chosen == "local":
        return LocalEngine()
    cpus = os.environ.get(ENV_CPUS, "").strip()
    return RayEngine(address, num_cpus=int(cpus) if cpus.isdigit() else None).start()

