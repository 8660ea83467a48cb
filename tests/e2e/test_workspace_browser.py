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
WAIT = 90_000  # ms; two trainings share two cores, so the pages answer slowly (but answer)


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
        warm.get_by_test_id("stSidebar").get_by_text("Currency", exact=True).wait_for(timeout=60_000)
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
    expect(page.get_by_text("1 of 1 runs")).to_be_visible(timeout=WAIT)
    settled(page)
    screenshot(page, "workspace_runs_page")

    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        stranger = other.new_page()
        stranger.goto(f"{workspace_url}/runs")
        expect(stranger.get_by_text("No runs yet")).to_be_visible(timeout=60_000)
    finally:
        other.close()


def test_two_users_train_at_once_on_their_own_data_without_freezing(browser, workspace_url: str, tmp_path):
    from data.generate import generate

    frame, _ = generate(seed=11, start="2024-01-01", end="2024-08-31", n_customers=60, n_products=6, volume=0.3)
    other_file = tmp_path / "second_shop.csv"
    frame.to_csv(other_file, index=False)

    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US") for _ in range(2)]
    try:
        alice, bob = (c.new_page() for c in contexts)
        for p in (alice, bob):
            p.set_default_timeout(WAIT)

        def start_training(p: Page) -> None:
            p.get_by_test_id("stSidebarNavLink").filter(has_text="Forecast").click()
            expect(p.get_by_role("heading", name="Forecast", exact=True)).to_be_visible(timeout=WAIT)
            settled(p)
            p.get_by_label("Epochs", exact=True).fill("3")
            p.get_by_label("Epochs", exact=True).press("Tab")
            settled(p)  # a click during the rerun the new value starts can be lost
            p.get_by_role("button", name="Train and compare").click()
            expect(p.get_by_text("Training ·").or_(p.get_by_text("Accuracy on the held-out period"))).to_be_visible(timeout=WAIT)

        alice.goto(f"{workspace_url}/")
        expect(alice.get_by_test_id("stSidebar").get_by_text("sample_sales.csv.gz")).to_be_visible(timeout=WAIT)
        start_training(alice)

        # While Alice trains, Bob uploads his own export and starts his own training: his page answers.
        bob.goto(f"{workspace_url}/")
        bob.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(other_file))
        expect(bob.get_by_test_id("stSidebar").get_by_text("second_shop.csv")).to_be_visible(timeout=WAIT)
        start_training(bob)
        expect(alice.get_by_text("Training ·").or_(alice.get_by_text("Accuracy on the held-out period"))).to_be_visible(timeout=WAIT)
        alice.get_by_test_id("stSidebarNavLink").filter(has_text="Explore").click()  # Alice's page answers too
        expect(alice.get_by_role("heading", name="Explore", exact=True)).to_be_visible(timeout=WAIT)
        alice.get_by_test_id("stSidebarNavLink").filter(has_text="Forecast").click()

        for p in (alice, bob):
            expect(p.get_by_text("Accuracy on the held-out period")).to_be_visible(timeout=300_000)
            expect(p.get_by_test_id("stException")).to_have_count(0, timeout=WAIT)
        expect(alice.get_by_test_id("stSidebar").get_by_text("sample_sales.csv.gz")).to_be_visible(timeout=WAIT)
        expect(alice.get_by_test_id("stSidebar").get_by_text("second_shop.csv")).to_have_count(0, timeout=WAIT)
        expect(bob.get_by_test_id("stSidebar").get_by_text("second_shop.csv")).to_be_visible(timeout=WAIT)

        # Each sees only their own run (a shared deployment would list both).
        for p in (alice, bob):
            p.get_by_test_id("stSidebarNavLink").filter(has_text="Runs").click()
            expect(p.get_by_text("1 of 1 runs")).to_be_visible(timeout=WAIT)
        screenshot(bob, "workspace_second_user_runs")
    finally:
        for c in contexts:
            c.close()
