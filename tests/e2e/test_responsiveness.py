"""Real browsers: three people start a training each, then keep navigating between pages while the trainings run
(in worker processes, nice'd, threads capped, one at a time on 2 cores): the 95th percentile of the page
navigations stays under 3 s. The figures are printed (run with -s to see them)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, _free_port, wait_healthy

pytestmark = pytest.mark.e2e
WAIT = 120_000  # ms, for the set-up steps (not measured)
ROUNDS = 6  # x 3 pages x 3 browsers = 54 navigations, as in issue 16
PAGES = (("Explore", "Explore"), ("Runs", "Runs"), ("Forecast", "Forecast"))
P95_LIMIT = 3.0  # seconds


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, browser):
    root = tmp_path_factory.mktemp("workspace")
    log = root.parent / "server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "components.server", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
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
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settled(page: Page, timeout: float = WAIT) -> None:
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=timeout)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def start_training(page: Page) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Forecast").click()
    expect(page.get_by_role("heading", name="Forecast", exact=True)).to_be_visible(timeout=WAIT)
    settled(page)
    page.get_by_label("Epochs", exact=True).fill("200")  # long enough to train through all the navigations
    page.get_by_label("Epochs", exact=True).press("Tab")
    settled(page)
    page.get_by_role("button", name="Train and compare").click()
    expect(page.get_by_text("Training ·")).to_be_visible(timeout=WAIT)


def navigate(page: Page, link: str, heading: str) -> float:
    """Seconds from the click on a sidebar link until the page's heading shows and its script run has ended."""
    started = time.monotonic()
    page.get_by_test_id("stSidebarNavLink").filter(has_text=link).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    return time.monotonic() - started


def test_three_browsers_training_at_once_keep_page_navigations_under_3_s(browser, server_url):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US") for _ in range(3)]
    try:
        pages = [c.new_page() for c in contexts]
        for p in pages:
            p.set_default_timeout(WAIT)
            p.goto(f"{server_url}/")
            expect(p.get_by_test_id("stSidebar").get_by_text("sample_sales.csv.gz")).to_be_visible(timeout=WAIT)
            start_training(p)
        times: list[float] = []
        for _ in range(ROUNDS):
            for link, heading in PAGES:
                for p in pages:
                    times.append(navigate(p, link, heading))
        still_training = sum(p.get_by_text("Training ·").count() > 0 for p in pages)
        times.sort()
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        print(f"\n{len(times)} navigations with 3 trainings queued/running: median {statistics.median(times):.2f} s, "
              f"p95 {p95:.2f} s, max {times[-1]:.2f} s; over 3 s: {sum(t > 3 for t in times)}; "
              f"browsers still training at the end: {still_training}")
        assert still_training >= 1, "the trainings ended before the navigations did: the load was not measured"
        assert p95 < P95_LIMIT, times
    finally:
        for c in contexts:
            c.close()
