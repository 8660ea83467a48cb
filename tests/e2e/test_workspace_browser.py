"""Real browser: train a small model, refresh the page, the run is still there (and another browser does not see
it). The server writes into a temporary workspace, never the repository's ./workspace."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, _free_port, screenshot, wait_healthy

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def workspace_url(tmp_path_factory, browser):
    root = tmp_path_factory.mktemp("workspace")
    log = root.parent / "server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:  # the server's log is kept (conftest's start_server pipes it away)
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "SALESLENS_WORKSPACE": str(root)},
        )
    try:
        wait_healthy(url)
        context = browser.new_context()
        warm = context.new_page()
        warm.goto(f"{url}/")  # first script run switches off the multipage-v1 fallback (see conftest)
        warm.get_by_test_id("stSidebar").get_by_text("Currency").wait_for(timeout=60_000)
        context.close()
        yield url
    except Exception:
        print(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        print(log.read_text(errors="replace")[-3000:])
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def settled(page: Page) -> None:
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_trained_run_survives_a_refresh_and_stays_private(page: Page, browser, workspace_url: str):
    page.goto(f"{workspace_url}/forecast")
    page.get_by_label("Epochs", exact=True).fill("2")
    page.get_by_label("Epochs", exact=True).press("Tab")
    page.get_by_role("button", name="Train and compare").click()
    expect(page.get_by_text("Accuracy on the held-out period")).to_be_visible(timeout=240_000)
    expect(page.get_by_text(re.compile("Saved in the workspace"))).to_be_visible()

    page.reload()  # a new Streamlit session: only the browser's cookie links it to the saved work
    expect(page.get_by_text("Accuracy on the held-out period")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("Saved in the workspace"))).to_be_visible()
    settled(page)
    screenshot(page, "workspace_after_refresh")

    page.get_by_test_id("stSidebarNavLink").filter(has_text="Runs").click()
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    expect(page.get_by_text("1 of 1 runs")).to_be_visible(timeout=30_000)
    settled(page)
    screenshot(page, "workspace_runs_page")

    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        stranger = other.new_page()
        stranger.goto(f"{workspace_url}/runs")
        expect(stranger.get_by_text("No runs yet")).to_be_visible(timeout=60_000)
    finally:
        other.close()
