"""The warm launcher (``python -m components.server``): parses the sample into the workspace cache before the server
listens, then hands the same options to ``streamlit run app.py``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from components import server
from ml.workspace import reset_workspaces


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "ws"))
    reset_workspaces()
    yield tmp_path / "ws"
    reset_workspaces()


def test_warm_up_caches_the_parsed_sample(workspace):
    from components.datasets import sample_dataset

    sample_dataset.clear()  # as in a fresh server process (other tests may have loaded the sample already)
    seconds = server.warm_up()
    entries = list((workspace / "cache").iterdir())
    assert seconds > 0 and len(entries) == 1 and entries[0].name.startswith("sample-")
    assert (entries[0] / "data.parquet").stat().st_size > 100_000
    assert not (workspace / "registry.db").exists()


def test_main_runs_streamlit_on_the_app_with_the_given_options(workspace, monkeypatch):
    from streamlit.web import cli

    seen = {}
    monkeypatch.setattr(cli, "main", lambda: seen.setdefault("argv", list(sys.argv)) and 0)
    monkeypatch.setattr(sys, "argv", ["components.server"])
    assert server.main(["--server.port", "8600"]) == 0
    assert seen["argv"] == ["streamlit", "run", str(server.APP), "--server.port", "8600"]


def test_warm_up_leaves_keras_and_tensorflow_unimported(workspace):
    code = ("import sys; from components import server; server.warm_up(); "
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=server.APP.parent, env={"SALESLENS_WORKSPACE": str(workspace), "PATH": "/usr/bin"})
    assert out.stdout.strip().splitlines()[-1] == "[]"
