"""Real-browser fixtures: a SalesLens server on a free loopback port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SALESLENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 60.0) -> float:
    """Poll /_stcore/health until it answers ok; returns the moment it did (time.monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    return time.monotonic()
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"SalesLens did not become healthy at {url} within {timeout:.0f}s")


def start_server(env: dict[str, str] | None = None, warm: bool = True, log: Path | None = None
                 ) -> tuple[subprocess.Popen, str]:
    """The app as ``make run`` starts it (``python -m server``: warmed up, then ``streamlit run``);
    ``warm=False`` runs plain ``streamlit run app.py``; ``log``: a file for its output (else a pipe)."""
    port = _free_port()
    launcher = ["-m", "server"] if warm else ["-m", "streamlit", "run", str(ROOT / "app.py")]
    cmd = [
        sys.executable, *launcher,
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    out = open(log, "wb") if log is not None else subprocess.PIPE  # the server keeps its own copy of the file
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    if log is not None:
        out.close()
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> Iterator[str]:
    # A workspace of its own: the tests' datasets and runs never land in the repository's ./workspace.
    proc, url = start_server({"SALESLENS_WORKSPACE": str(tmp_path_factory.mktemp("workspace"))})
    try:
        wait_healthy(url)
        yield url
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen, grace: float = 10.0) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def warmed_app_url(app_url, browser) -> str:
    """Streamlit 1.67 decides on a server's first script run whether pages/ means multipage-v1; ``python -m server``
    settles that before the first visit (server.declare_navigation_pages, its own browser test), a plain ``streamlit
    run`` does not (README, "Known limitations"). Open the root once before the tests that deep-link, so they test
    their page and not the launcher."""
    warm_up(browser, app_url)
    return app_url


def warm_up(browser, url: str) -> None:
    """Open the root once, so that the server's first script run is not a deep link (see warmed_app_url)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/")
    # "Currency" is drawn by app.py after st.navigation() ran, i.e. once the v1 fallback is switched off.
    page.get_by_test_id("stSidebar").get_by_text("Currency", exact=True).wait_for(timeout=60_000)
    context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
