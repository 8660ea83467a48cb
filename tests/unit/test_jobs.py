import threading
import time

from ml.jobs import DONE, FAILED, QUEUED, RUNNING, STOPPED, JobRegistry
from ml.schema import ConfigError


def _wait(job, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while job.snapshot().status != status and time.monotonic() < deadline:
        time.sleep(0.01)
    return job.snapshot()


def test_a_job_reports_progress_and_keeps_its_result():
    registry = JobRegistry()

    def work(job):
        for epoch in range(1, 4):
            job.report({"epoch": epoch, "loss": 1.0 / epoch}, epoch=epoch, total=3)
        return 42

    job = registry.submit("train", "demo", "alice", work)
    snap = _wait(job, DONE)
    assert snap.status == DONE
    assert job.result == 42
    assert snap.progress == {"epoch": 3, "total": 3}
    assert [row["epoch"] for row in snap.history] == [1, 2, 3]
    assert registry.get(job.id) is job
    assert registry.jobs(owner="alice") == [job] and registry.jobs(owner="bob") == []


def test_stop_ends_the_job_as_stopped_with_what_it_had():
    registry = JobRegistry()
    started = threading.Event()

    def work(job):
        started.set()
        while not job.stop_event.is_set():
            time.sleep(0.01)
        return "best so far"

    job = registry.submit("train", "demo", "alice", work)
    assert started.wait(5)
    job.stop()
    snap = _wait(job, STOPPED)
    assert snap.status == STOPPED and job.result == "best so far"


def test_errors_are_kept_as_message_ids_not_tracebacks():
    registry = JobRegistry()
    bad = registry.submit("train", "bad input", "a", lambda job: (_ for _ in ()).throw(ConfigError("forecast.error.diverged", epoch=3)))
    bug = registry.submit("train", "bug", "a", lambda job: 1 / 0)
    assert _wait(bad, FAILED).error == ("forecast.error.diverged", {"epoch": 3})
    assert _wait(bug, FAILED).error == ("error.unexpected", {"detail": "ZeroDivisionError"})


def test_the_registry_bounds_concurrent_jobs():
    registry = JobRegistry(max_running=1)
    release = threading.Event()
    first = registry.submit("train", "1", "a", lambda job: release.wait(5))
    assert _wait(first, RUNNING).status == RUNNING
    second = registry.submit("train", "2", "b", lambda job: "ok")
    time.sleep(0.1)
    assert second.snapshot().status == QUEUED
    release.set()
    assert _wait(second, DONE).status == DONE
