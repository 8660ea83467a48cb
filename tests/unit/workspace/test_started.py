"""Trainings recorded as started: one whose server is gone is reported as interrupted (with its settings) when a
registry is opened; one whose server still runs, or that this process runs, is left alone; one saved after all
is just forgotten."""

from __future__ import annotations

import subprocess
import sys

from ml.forecast import ForecastConfig
from ml.workspace import get_workspace, reset_workspaces
from ml.workspace.files import utc_now
from ml.workspace.started import HOST, INTERRUPTED, RUNNING, started_row

OWNER = "a" * 32
SPEC = {"target": "units", "level": "total", "freq": "D"}
CONFIG = ForecastConfig(window=14, horizon=7, units=4, epochs=2, patience=0, seed=3)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _row(run_id: str, pid: int, token: str, host: str = HOST) -> dict:
    row = started_row(run_id, OWNER, "Units · total · daily", SPEC, CONFIG.to_dict(), {"folds": 1, "level": 0.8},
                      "f" * 32, "shop.csv", utc_now())
    return {**row, "pid": pid, "token": token, "host": host}


def test_a_training_whose_server_died_is_reported_as_interrupted_with_its_settings(tiny_result):
    ws = get_workspace()
    mine = ws.start_run(OWNER, "mine", SPEC, CONFIG.to_dict(), {"folds": 0, "level": 0.9}, "f" * 32, "shop.csv")
    ws.registry.add_started(_row("1" * 32, _dead_pid(), "0" * 32))  # its server was killed
    ws.registry.add_started(_row("2" * 32, _dead_pid(), "0" * 32, host="another-replica"))  # not ours to judge
    saved = ws.save_run(OWNER, tiny_result, SPEC, "f" * 32, "shop.csv", run_id="3" * 32)  # saved, then killed
    ws.registry.add_started(_row(saved.id, _dead_pid(), "0" * 32))
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ws.registry.add_started(_row("4" * 32, alive.pid, "0" * 32))  # another server on this host, still running
        assert ws.interrupted_runs(OWNER) == []  # this process opened the registry before those rows existed

        reset_workspaces()  # a restarted server opens the registry
        ws = get_workspace()
        interrupted = ws.interrupted_runs(OWNER)
        assert [r.id for r in interrupted] == ["1" * 32]
        run = interrupted[0]
        assert run.status == INTERRUPTED and run.spec == SPEC and run.dataset_name == "shop.csv"
        assert ForecastConfig.from_dict(run.config) == CONFIG and run.settings == {"folds": 1, "level": 0.8}
        status = {r["id"]: r["status"] for r in ws.registry.list_started()}
        assert status == {mine: RUNNING, "2" * 32: RUNNING, "4" * 32: RUNNING, "1" * 32: INTERRUPTED}
        assert saved.id not in status  # the run exists: nothing was lost
    finally:
        alive.kill()
        alive.wait()
    reset_workspaces()
    status = {r["id"]: r["status"] for r in get_workspace().registry.list_started()}
    assert status["4" * 32] == INTERRUPTED  # its server is gone now too
    assert status[mine] == RUNNING  # this process still runs it


def test_a_restarted_server_with_the_same_pid_still_sees_the_old_training_as_cut_off():
    ws = get_workspace()
    import os

    ws.registry.add_started(_row("5" * 32, os.getpid(), "0" * 32))  # e.g. pid 1 in a container, before and after
    reset_workspaces()
    assert [r.id for r in get_workspace().interrupted_runs(OWNER)] == ["5" * 32]


def test_forgetting_removes_the_record_and_only_its_owner_can_dismiss_it():
    ws = get_workspace()
    run_id = ws.start_run(OWNER, "x", SPEC, CONFIG.to_dict(), {}, "f" * 32, "shop.csv")
    assert not ws.forget_started(run_id, "b" * 32)
    assert ws.forget_started(run_id, OWNER)
    assert ws.registry.list_started() == []


SERVER = """
import sys, time
from ml.jobs import JobRegistry
from ml.workspace import get_workspace
ws = get_workspace()
run_id = ws.start_run("a" * 32, "cut off", {"target": "units", "level": "total", "freq": "D"}, {}, {}, "f" * 32, "s.csv")
job = JobRegistry(max_workers=1).submit("forecast", "x", "a" * 32, "tests.unit.test_jobs:train_until_stopped")
while job.snapshot().progress is None:
    time.sleep(0.02)
print(run_id, job.pid, flush=True)
time.sleep(600)
"""


def test_killing_the_server_ends_its_workers_and_leaves_the_training_listed_as_interrupted(workspace_env, tmp_path):
    import os
    import signal
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    server = subprocess.Popen([sys.executable, str(script)], cwd=root, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(root)})
    run_id, worker = server.stdout.readline().split()
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and os.path.exists(f"/proc/{worker}") and \
            b"ml.worker" in Path(f"/proc/{worker}/cmdline").read_bytes():
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{worker}") or b"ml.worker" not in Path(f"/proc/{worker}/cmdline").read_bytes()
    reset_workspaces()  # the restarted server
    interrupted = get_workspace().interrupted_runs(OWNER)
    assert [r.id for r in interrupted] == [run_id] and interrupted[0].label == "cut off"
