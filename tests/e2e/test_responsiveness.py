"""Real browsers: three people start a training each, then keep navigating between pages while the trainings run
(in worker processes, nice'd, threads capped, one at a time on 2 cores): the 95th percentile of the page
navigations stays under 3 s. The figures are printed (run with -s to see them).

The same navigations are first timed with nothing training. When the machine cannot serve even those within 3 s
at the 95th percentile (a machine shared with other heavy work: 18-25 s were measured on such a machine, with or
without SalesLens' trainings), the test is skipped (before training) with the figures as its reason rather than
pass or fail on noise; on a machine of its own (CI) the 3 s bound holds as stated in issue 16.
"""

from __future__ import annotations

import statistics
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import start_server, stop_server, wait_healthy, warm_up

pytestmark = pytest.mark.e2e
WAIT = 120_000  # ms, for the set-up steps (not measured)
ROUNDS = 6  # x 3 pages x 3 browsers = 54 navigations, as in issue 16
PAGES = (("Explore", "Explore"), ("Runs", "Runs"), ("Forecast", "Forecast"))
P95_LIMIT = 3.0  # seconds
IDLE_ROUNDS = 2


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, browser):
    root = tmp_path_factory.mktemp("workspace")
    proc, url = start_server({"SALESLENS_WORKSPACE": str(root)}, log=root.parent / "server.log")
    try:
        wait_healthy(url)
        warm_up(browser, url)
        yield url
    finally:
        stop_server(proc, grace=20)  # its workers end with it (their pipe closes)


def settled(page: Page, timeout: float = WAIT) -> None:
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=timeout)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def start_training(page: Page) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Forecast").click()
    expect(page.get_by_role("heading", name="Forecast", exact=True)).to_be_visible(timeout=WAIT)
    settled(page)
    for label, value in (("Epochs", "300"), ("Early-stopping patience", "0")):  # trains through every navigation
        page.get_by_label(label, exact=True).fill(value)
        page.get_by_label(label, exact=True).press("Tab")
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


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def summary(times: list[float]) -> str:
    return (f"{len(times)} navigations: median {statistics.median(times):.2f} s, p95 {p95(times):.2f} s, "
            f"max {max(times):.2f} s, over 3 s: {sum(t > 3 for t in times)}")


def test_three_browsers_training_at_once_keep_page_navigations_under_3_s(browser, server_url):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US") for _ in range(3)]
    try:
        pages = [c.new_page() for c in contexts]
        for p in pages:
            p.set_default_timeout(WAIT)
            p.goto(f"{server_url}/")
            expect(p.get_by_test_id("stSidebar").get_by_text("sample_sales.csv.gz")).to_be_visible(timeout=WAIT)
        # The same navigations with nothing training: what the machine gives when idle (a shared machine is slow
        # for reasons of its own; this tells them apart).
        idle = [navigate(p, link, heading) for _ in range(IDLE_ROUNDS) for link, heading in PAGES for p in pages]
        if p95(idle) >= P95_LIMIT:
            pytest.skip(f"this machine is too busy to measure responsiveness: idle {summary(idle)}")
        for p in pages:
            start_training(p)
        times: list[float] = []
        for _ in range(ROUNDS):
            for link, heading in PAGES:
                for p in pages:
                    times.append(navigate(p, link, heading))
        still_training = sum(p.get_by_text("Training ·").count() > 0 for p in pages)
        print(f"\nidle: {summary(idle)}\nwith 3 trainings: {summary(times)}; "
              f"browsers still training at the end: {still_training}")
        assert still_training >= 1, "the trainings ended before the navigations did: the load was not measured"
        assert p95(times) < P95_LIMIT, sorted(times)
    finally:
        for c in contexts:
            c.close()
