"""The worker process of ``ml.jobs``: ``python -m ml.worker <fd>`` runs one job and exits.

The server started it with thread caps in its environment (``ml.jobs.worker_environment``); here it lowers its own
priority (``SALESLENS_WORKER_NICE``, 10 by default), receives ``("run", "module:function", kwargs, sys.path)`` on
the pipe, calls ``function(job, **kwargs)`` and sends back ``("progress", ProgressEvent)`` messages and then
``("result", value, stopped)`` or ``("error", Message)``. The job is a ``ml.progress.Progress``: the
function reports through it and hands it to the engine as is. A ``("stop",)`` from the server sets ``job.stop``; the
pipe closing (the server died) ends the worker at once, so no orphan keeps training. Keras is imported only by the job itself
(through ``ml.keras_runtime.load_keras``), so the backend is fixed per worker from the environment. Only the
standard library (and ``ml.progress``, which uses only it) is imported before the job.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import traceback
from multiprocessing.connection import Connection

from ml.progress import Progress, ProgressEvent

PARENT_GONE = 3


class WorkerJob(Progress):
    """What a job function gets: a ``Progress`` whose events go to the server and whose ``stop`` the server sets."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self._conn = conn
        self._send_lock = threading.Lock()

    def on_progress(self, event: ProgressEvent) -> None:
        self._send(("progress", event))

    def _send(self, message: tuple) -> None:
        with self._send_lock:
            self._conn.send(message)

    def _listen(self) -> None:
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                os._exit(PARENT_GONE)  # the server is gone: nobody will read what this job makes
            if message and message[0] == "stop":
                self.stop.set()


def resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def main(fd: int) -> int:
    try:
        os.nice(int(os.environ.get("SALESLENS_WORKER_NICE", "10") or 0))  # the pages of everyone else first
    except (AttributeError, OSError, ValueError):
        pass
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(process)d %(name)s: %(message)s")
    conn = Connection(fd)
    try:
        _, path, kwargs, sys_path = conn.recv()
    except (EOFError, OSError):
        return PARENT_GONE
    sys.path[:0] = [p for p in sys_path if p not in sys.path]
    job = WorkerJob(conn)
    threading.Thread(target=job._listen, name="saleslens-worker-listen", daemon=True).start()
    from ml.messages import Message
    from ml.schema import SalesLensError

    try:
        result = resolve(path)(job, **kwargs)
        message: tuple = ("result", result, job.stopped)
    except SalesLensError as err:
        message = ("error", err.message)
    except Exception as exc:  # a bug, not bad input: the traceback goes to the server's log, the user a message
        traceback.print_exc()
        message = ("error", Message("error.unexpected", {"detail": type(exc).__name__}))
    try:
        job._send(message)
    except Exception as exc:  # a result that cannot be pickled
        traceback.print_exc()
        job._send(("error", Message("error.unexpected", {"detail": type(exc).__name__})))
    return 0


if __name__ == "__main__":
    code = main(int(sys.argv[1]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # no interpreter teardown: JAX/TF thread pools can take seconds to wind down
