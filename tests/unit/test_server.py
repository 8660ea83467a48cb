"""The warm launcher (``python -m server``): parses the sample into the workspace cache before the server
listens, then hands the same options to ``streamlit run app.py``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import server
from ml.workspace import reset_workspaces


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESLENS_WORKSPACE", str(tmp_path / "ws"))
    reset_workspaces()
    yield tmp_path / "ws"
    reset_workspaces()


def test_warm_up_caches_the_parsed_sample(workspace):
    from components.common.datasets import sample_dataset

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
    monkeypatch.setattr(sys, "argv", ["server"])
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(workspace / "none.toml"))
    monkeypatch.setenv("SALESLENS_PRELOAD_BACKEND", "0")
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


@pytest.mark.parametrize("backend", ["auto", "tensorflow", "jax"])
def test_warm_up_leaves_keras_and_tensorflow_unimported(workspace, backend):
    code = ("import sys; import server; server.warm_up(); "
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'jaxlib', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=server.APP.parent, env={"SALESLENS_WORKSPACE": str(workspace), "PATH": "/usr/bin",
                                                     "SALESLENS_BACKEND": backend})
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_launcher_finds_the_port_streamlit_will_use(monkeypatch):
    monkeypatch.delenv("STREAMLIT_SERVER_PORT", raising=False)
    assert server.server_port(["--server.port", "8600"]) == 8600
    assert server.server_port(["--server.headless", "true", "--server.port=8611"]) == 8611
    assert server.server_port([]) == 8501
    monkeypatch.setenv("STREAMLIT_SERVER_PORT", "8622")
    assert server.server_port(["--server.port", "nonsense"]) == 8501 and server.server_port([]) == 8622


@pytest.mark.slow
def test_once_the_server_answers_the_training_backend_is_imported_in_the_background(workspace):
    """A stand-in health endpoint answers; the preload thread then fixes the backend and warms it in a throwaway
    process: the server itself never imports Keras (trainings run in worker processes)."""
    code = (
        "import http.server, sys, threading, time\n"
        "import server\n"
        "class Health(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200 if self.path == '/_stcore/health' else 404); self.end_headers()\n"
        "    def log_message(self, *args): pass\n"
        "httpd = http.server.HTTPServer(('127.0.0.1', 0), Health)\n"
        "threading.Thread(target=httpd.serve_forever, daemon=True).start()\n"
        "before = 'keras' in sys.modules\n"
        "thread = threading.Thread(target=server._preload_when_healthy, args=(httpd.server_port, 30))\n"
        "thread.start(); thread.join()\n"
        "from ml.keras_runtime import loaded_backend\n"
        "print(before, loaded_backend(), 'tensorflow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=server.APP.parent, env={"SALESLENS_WORKSPACE": str(workspace), "PATH": "/usr/bin",
                                                     "SALESLENS_BACKEND": "jax"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False None False"
    assert "jax backend warmed" in out.stderr
