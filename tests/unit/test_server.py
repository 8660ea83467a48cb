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
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(workspace / "none.toml"))
    assert server.main(["--server.port", "8600"]) == 0
    assert seen["argv"] == ["streamlit", "run", str(server.APP), "--server.port", "8600",
                            "--server.address", "127.0.0.1"]


def test_it_listens_on_loopback_unless_told_otherwise_or_sign_in_is_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    plain, signed = tmp_path / "plain.toml", tmp_path / "signed.toml"
    plain.write_text('[saleslens]\nallowed_domains = ["shop.example"]\n')
    signed.write_text('[auth]\nclient_id = "x"\n')
    assert server.address_args(["--secrets.files", str(plain)]) == ["--server.address", "127.0.0.1"]
    assert server.address_args([f"--secrets.files={signed}"]) == ["--server.address", "0.0.0.0"]
    assert server.address_args(["--server.address", "10.0.0.5", "--secrets.files", str(plain)]) == []
    monkeypatch.setenv("STREAMLIT_SERVER_ADDRESS", "0.0.0.0")
    assert server.address_args(["--secrets.files", str(plain)]) == []
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS")
    monkeypatch.chdir(tmp_path)  # no secrets anywhere it looks (a home folder may have some: point it away)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("STREAMLIT_SECRETS_FILES", raising=False)
    assert server.address_args([]) == ["--server.address", "127.0.0.1"]
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_id = "x"\n')
    assert server.address_args([]) == ["--server.address", "0.0.0.0"]


def test_the_default_config_listens_on_loopback_only():
    import tomllib

    config = tomllib.loads((server.APP.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


def test_warm_up_leaves_keras_and_tensorflow_unimported(workspace):
    code = ("import sys; from components import server; server.warm_up(); "
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=server.APP.parent, env={"SALESLENS_WORKSPACE": str(workspace), "PATH": "/usr/bin"})
    assert out.stdout.strip().splitlines()[-1] == "[]"
