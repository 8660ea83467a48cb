"""Atomic writes under interruption: a process killed (SIGKILL) in the middle of saving models, 20 times; the
registry always opens and every listed run reopens and its model loads. And a read-only workspace folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ml.i18n import render_error
from ml.schema import DataError
from ml.workspace import Workspace, WorkspaceSettings, get_workspace, reset_workspaces

ROOT = Path(__file__).resolve().parents[3]

# The child loads a saved forecaster and opens the registry once, says "ready", then saves runs (model + frames +
# row) in a loop, saying "saved" after each.
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ml.workspace import Workspace, WorkspaceSettings, get_workspace
    source = Workspace(WorkspaceSettings(root=Path(sys.argv[1]), database_url=f"sqlite:///{sys.argv[1]}/r.db"))
    result = source.open_run("source", sys.argv[2]).result
    result.forecaster = source.load_model("source", sys.argv[2])
    ws = get_workspace()
    ws.list_runs("killer")  # the registry is open (a PostgreSQL connection takes longer than the kill's delay)
    print("ready", flush=True)
    i = 0
    while True:
        ws.save_run("killer", result, {"target": "units", "level": "total", "freq": "D"}, "c" * 32, "k.csv",
                    label=f"save {i}")
        print("saved", flush=True)
        i += 1
""")


@pytest.mark.slow
def test_killing_the_process_mid_save_20_times_never_breaks_the_workspace(tiny_result, tmp_path, workspace_env, backend):
    source_root = tmp_path / "source"
    source = Workspace(WorkspaceSettings(root=source_root, database_url=f"sqlite:///{source_root}/r.db"))
    source_run = source.save_run("source", tiny_result, {"target": "units", "level": "total", "freq": "D"},
                                 "c" * 32, "k.csv").id
    source.close()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SALESLENS_WORKSPACE": str(workspace_env)}
    for attempt in range(20):
        proc = subprocess.Popen([sys.executable, str(script), str(source_root), source_run], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "ready"
        if attempt % 2:  # let one save complete first (however slow the machine), then kill during the next ones
            assert proc.stdout.readline().strip() == "saved"
        time.sleep(0.013 * attempt + 0.002 * (attempt % 3))  # 0 .. ~0.25 s: before, during and between saves
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        reset_workspaces()
        ws = get_workspace()
        runs = ws.list_runs("killer")  # the registry opens
        for record in runs:  # every listed run reopens and its model loads
            assert ws.open_run("killer", record.id).result.metrics == tiny_result.metrics
            from ml.forecast.bundle import read_bundle_json

            read_bundle_json(workspace_env / "runs" / record.id / "model")
    ws = get_workspace()
    runs = ws.list_runs("killer")
    assert runs, "some saves should have completed"
    for record in runs:
        assert ws.load_model("killer", record.id).config == tiny_result.config
    # leftovers of interrupted saves are never listed and are cleaned on the next write
    listed = {r.id for r in runs}
    on_disk = {p.name for p in (workspace_env / "runs").iterdir()}
    assert listed <= on_disk and len(on_disk - listed) <= 20  # at most one unlisted folder per kill
    assert ws.recover_registry()["runs"] == len(on_disk - listed)  # complete folders can be re-listed


def _nobody_can_run_python() -> bool:
    try:
        done = subprocess.run([sys.executable, "-c", "import ml.workspace"], cwd=ROOT, user=65534,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=60)
        return done.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def test_read_only_workspace_gives_a_clear_message_and_reading_still_works(tiny_result, small_dataset,
                                                                           workspace_env, tmp_path, monkeypatch):
    ds, files = small_dataset
    ws = get_workspace()
    run = ws.save_run("alice", tiny_result, {"target": "units", "level": "total", "freq": "D"}, "d" * 32, "x.csv")
    ws.save_dataset("alice", ds, files)
    reset_workspaces()
    if os.geteuid() == 0 and not _nobody_can_run_python():
        # root ignores permission bits and no unprivileged user can run this Python: make file creation in the
        # workspace fail the way a read-only folder does (EACCES) and check what the analyst gets.
        from ml.workspace import files as workspace_files

        def refuse(path, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(workspace_files, "open", refuse, raising=False)
        ws = get_workspace()
        for action in (lambda: ws.save_dataset("bob", ds, files), lambda: ws.rename_run("alice", run.id, "x"),
                       lambda: ws.save_run("alice", tiny_result, {}, "d" * 32, "x.csv")):
            with pytest.raises(DataError) as err:
                action()
            assert err.value.message_id == "workspace.error.read_only"
            assert str(workspace_env) in render_error(err.value, "en") and "写" in render_error(err.value, "zh")
        assert [r.id for r in ws.list_runs("alice")] == [run.id]  # the rest of the workspace still reads
        assert ws.open_run("alice", run.id).result.metrics == tiny_result.metrics
        assert len(ws.list_datasets("alice")) == 1
        return
    if os.geteuid() != 0:
        os.chmod(workspace_env, 0o555)
        try:
            with pytest.raises(DataError) as err:
                get_workspace().save_dataset("bob", ds, files)
            assert err.value.message_id == "workspace.error.read_only"
            assert [r.id for r in get_workspace().list_runs("alice")] == [run.id]
        finally:
            os.chmod(workspace_env, 0o755)
        return
    # As root, permission bits are ignored: run the check as user "nobody" on a folder it may only read.
    for path in [tmp_path, *tmp_path.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    for parent in tmp_path.parents:
        if not os.access(parent, os.X_OK):
            pytest.skip("the temporary folder is not reachable by an unprivileged user")
    check = textwrap.dedent(f"""
        import sys
        from ml.i18n import render_error
        from ml.i18n import render_error
from ml.schema import DataError
        from ml.workspace import get_workspace
        ws = get_workspace()
        try:
            print("runs", len(ws.list_runs("alice")), "datasets", len(ws.list_datasets("alice")))
        except DataError as err:
            print("listing", err.message_id)
        try:
            ws.rename_run("alice", "{run.id}", "new name")
        except DataError as err:
            print("error", err.message_id)
            print(render_error(err, "en"))
    """)
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, user=65534, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT),
                                            "SALESLENS_WORKSPACE": str(workspace_env)})
    out = done.stdout
    assert "error workspace.error.read_only" in out, done.stderr[-2000:]
    assert "cannot be written to" in out
    # listing needs SQLite's WAL index; in a read-only folder it either still reads or says so clearly
    assert "runs 1 datasets 1" in out or "listing workspace.error.database_read_only" in out, out
