"""Jobs run in worker processes: progress and results come back, Stop works, errors and crashes become messages,
the pool is bounded with queue positions, and the worker is nice'd with capped thread pools.

The work functions are module-level so that a worker process can import them by path."""

import os
import signal
import time

import numpy as np
import pandas as pd

from ml.jobs import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    STOPPED,
    JobRegistry,
    default_max_workers,
    worker_environment,
)
from ml.messages import Message
from ml.progress import ProgressEvent
from ml.schema import ConfigError

HERE = __name__


def count_epochs(job, epochs):
    for epoch in range(1, epochs + 1):
        job.report("epoch", epoch, epochs, loss=1.0 / epoch)
    return {"pid": os.getpid(), "frame": pd.DataFrame({"x": np.arange(3)}), "weights": np.ones(4), "raw": b"\x00"}


def train_until_stopped(job):
    job.report("started", 0)
    while not job.stop.wait(0.02):
        pass
    return "best so far"


def diverge(job):
    raise ConfigError("forecast.error.diverged", epoch=3)


def divide_by_zero(job):
    return 1 / 0


def die(job):
    os.kill(os.getpid(), signal.SIGKILL)


def wait_for_file(job, path):
    job.report("started", 0)
    while not os.path.exists(path):
        time.sleep(0.02)
    return "ok"


def describe_worker(job):
    return {"nice": os.nice(0), "omp": os.environ.get("OMP_NUM_THREADS"), "xla": os.environ.get("XLA_FLAGS", ""),
            "keras_imported": "keras" in __import__("sys").modules}


def _wait(job, status, timeout=60.0):
    deadline = time.monotonic() + timeout
    while job.snapshot().status != status and time.monotonic() < deadline:
        time.sleep(0.02)
    return job.snapshot()


def test_a_job_runs_in_another_process_reports_progress_and_returns_plain_data():
    registry = JobRegistry(max_workers=2)
    job = registry.submit("train", "demo", "alice", f"{HERE}:count_epochs", {"epochs": 3})
    snap = _wait(job, DONE)
    assert snap.status == DONE, snap.error
    assert job.result["pid"] != os.getpid()
    assert job.result["frame"]["x"].tolist() == [0, 1, 2] and job.result["weights"].sum() == 4
    assert job.result["raw"] == b"\x00"
    assert snap.progress == ProgressEvent("epoch", 3, 3, {"loss": 1.0 / 3}) and snap.done == 3
    assert [(row["epoch"], row["loss"]) for row in snap.history] == [(1, 1.0), (2, 0.5), (3, 1.0 / 3)]
    assert registry.get(job.id) is job
    assert registry.jobs(owner="alice") == [job] and registry.jobs(owner="bob") == []


def test_stop_ends_the_job_as_stopped_with_what_it_had():
    registry = JobRegistry(max_workers=2)
    job = registry.submit("train", "demo", "alice", f"{HERE}:train_until_stopped")
    deadline = time.monotonic() + 60
    while job.snapshot().progress is None and time.monotonic() < deadline:
        time.sleep(0.02)
    job.stop()
    snap = _wait(job, STOPPED)
    assert snap.status == STOPPED and job.result == "best so far"


def test_errors_are_kept_as_message_ids_not_tracebacks():
    registry = JobRegistry(max_workers=2)
    bad = registry.submit("train", "bad input", "a", f"{HERE}:diverge")
    bug = registry.submit("train", "bug", "a", f"{HERE}:divide_by_zero")
    assert _wait(bad, FAILED).error == Message("forecast.error.diverged", {"epoch": 3})
    assert _wait(bug, FAILED).error == Message("error.unexpected", {"detail": "ZeroDivisionError"})


def test_a_worker_that_dies_becomes_a_failed_job_and_frees_its_slot():
    registry = JobRegistry(max_workers=1)
    finished = []
    dead = registry.submit("train", "killed", "a", f"{HERE}:die", on_finish=finished.append)
    after = registry.submit("train", "next", "a", f"{HERE}:count_epochs", {"epochs": 1})
    snap = _wait(dead, FAILED)
    assert snap.error == Message("jobs.error.worker_died", {"code": -signal.SIGKILL})
    assert _wait(after, DONE).status == DONE
    assert finished == [dead]


def test_the_pool_is_bounded_and_queued_jobs_know_their_place(tmp_path):
    registry = JobRegistry(max_workers=1)
    gate = tmp_path / "go"
    first = registry.submit("train", "1", "a", f"{HERE}:wait_for_file", {"path": str(gate)})
    second = registry.submit("train", "2", "b", f"{HERE}:count_epochs", {"epochs": 1})
    third = registry.submit("train", "3", "c", f"{HERE}:count_epochs", {"epochs": 1})
    assert _wait(first, RUNNING).status == RUNNING
    deadline = time.monotonic() + 60
    while first.snapshot().progress is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert second.snapshot().status == QUEUED and second.snapshot().queue_position == 1
    assert third.snapshot().queue_position == 2
    third.stop()  # stopped while waiting: it never starts
    gate.write_text("go")
    assert _wait(second, DONE).status == DONE
    assert _wait(third, STOPPED).status == STOPPED and third.result is None and third.snapshot().started_at is None


def test_workers_are_niced_with_capped_threads_and_no_keras_before_the_job():
    registry = JobRegistry(max_workers=1)
    job = registry.submit("probe", "worker", "a", f"{HERE}:describe_worker")
    assert _wait(job, DONE).status == DONE, job.error
    info = job.result
    assert info["nice"] >= os.nice(0) + 10 or info["nice"] == 19
    assert info["omp"] == str(max(1, (len(os.sched_getaffinity(0)) - 1)))
    assert info["keras_imported"] is False


def test_thread_caps_and_pool_size_follow_the_machine():
    env = worker_environment(1, {"PATH": "/bin"})
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["TF_NUM_INTRAOP_THREADS"] == "1"
    assert "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"]
    assert "xla_cpu_multi_thread_eigen" not in worker_environment(3, {}).get("XLA_FLAGS", "")
    assert default_max_workers({"SALESLENS_MAX_WORKERS": "3"}) == 3
    assert default_max_workers({"SALESLENS_MAX_WORKERS": "x"}) >= 1
