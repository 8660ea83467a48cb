"""Real browser, the door: a ``?ws=`` link never puts someone else's workspace id into a fresh browser's cookie until
the user agrees (and no workspace id reaches the server's log); with ``[auth]`` configured, sign-in against a small
OIDC provider started on loopback by the test: an allowed person gets in (into a workspace keyed by their identity)
and signs out, a person outside the allow-list is refused, and no page or data is reachable before sign-in."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from ml.access import owner_for_identity
from tests.e2e.conftest import ROOT, _free_port, screenshot, wait_healthy
from tests.e2e.oidc_provider import OIDCProvider, subject_for

pytestmark = pytest.mark.e2e
WAIT = 60_000
ALICE = "a1" * 16  # the link author's workspace id
SAMPLE = "sample_sales.csv.gz"


def _start(root: Path, log: Path, *extra: str, port: int | None = None) -> tuple[subprocess.Popen, str]:
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *extra],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "SALESLENS_WORKSPACE": str(root)},
        )
    return proc, url


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _context(browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.set_default_timeout(WAIT)
    return context


def _sidebar(page: Page):
    return page.get_by_test_id("stSidebar")


def _workspace_cookies(context: BrowserContext) -> list[str]:
    return [c["value"] for c in context.cookies() if c["name"] == "saleslens_ws"]


# ------------------------------------------------------------------------------------------------ ?ws= links
@pytest.fixture(scope="module")
def link_server(tmp_path_factory) -> Iterator[tuple[str, Path, Path]]:
    from ml.workspace import Workspace, WorkspaceSettings
    from tests.app.test_workspace_link import seed_linked_workspace

    root = tmp_path_factory.mktemp("workspace")
    ws = Workspace(WorkspaceSettings.from_env({"SALESLENS_WORKSPACE": str(root)}))
    seed_linked_workspace(ws, ALICE)  # Alice's workspace holds a dataset of her own
    ws.close()
    log = root.parent / "link_server.log"
    proc, url = _start(root, log)
    try:
        wait_healthy(url)
        yield url, root, log
    finally:
        _stop(proc)


def test_a_workspace_link_sets_no_cookie_until_the_user_agrees(browser, link_server):
    url, root, log = link_server
    seen_ids: set[str] = set()

    declining = _context(browser)
    try:
        page = declining.new_page()
        page.goto(f"{url}/?ws={ALICE}")
        expect(page.get_by_text("This link opens another workspace")).to_be_visible(timeout=WAIT)
        expect(page.get_by_text(re.compile(r"alice_shop\.csv"))).to_be_visible(timeout=WAIT)  # what the link would open
        expect(_sidebar(page).get_by_text(SAMPLE)).to_be_visible(timeout=WAIT)  # meanwhile: its own start, not Alice's data
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
        own = _workspace_cookies(declining)
        assert ALICE not in own and len(own) == 1  # this browser got an id of its own, not the link's
        seen_ids.update(own)
        screenshot(page, "workspace_link_offer")
        page.get_by_role("button", name="Keep my own workspace").click()
        expect(page.get_by_text("This link opens another workspace")).to_have_count(0, timeout=WAIT)
        expect(page).not_to_have_url(re.compile(r"[?&]ws="), timeout=WAIT)
        assert _workspace_cookies(declining) == own
        page.reload()  # the declined link is gone from the address bar: a reload asks nothing
        expect(_sidebar(page).get_by_text(SAMPLE)).to_be_visible(timeout=WAIT)
        expect(page.get_by_text("This link opens another workspace")).to_have_count(0, timeout=WAIT)
        assert _workspace_cookies(declining) == own
    finally:
        declining.close()

    agreeing = _context(browser)
    try:
        page = agreeing.new_page()
        page.goto(f"{url}/explore?ws={ALICE}")  # whatever page the link names, the question comes first
        expect(page.get_by_text("This link opens another workspace")).to_be_visible(timeout=WAIT)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
        assert ALICE not in _workspace_cookies(agreeing)
        seen_ids.update(_workspace_cookies(agreeing))
        page.get_by_role("button", name="Open the linked workspace").click()
        expect(_sidebar(page).get_by_text("alice_shop.csv")).to_be_visible(timeout=WAIT)
        expect(page).not_to_have_url(re.compile(r"[?&]ws="), timeout=WAIT)
        page.wait_for_function(f"document.cookie.includes('saleslens_ws={ALICE}')", timeout=WAIT)
        assert _workspace_cookies(agreeing) == [ALICE]
        cookie = next(c for c in agreeing.cookies() if c["name"] == "saleslens_ws")
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        page.reload()  # a new session of this browser: back in the workspace it chose
        expect(_sidebar(page).get_by_text("alice_shop.csv")).to_be_visible(timeout=WAIT)
    finally:
        agreeing.close()

    text = log.read_text(errors="replace")
    assert seen_ids and not any(i in text for i in (ALICE, *seen_ids)), "a workspace id reached the server's log"


# ------------------------------------------------------------------------------------------------ sign-in
@pytest.fixture(scope="module")
def door(tmp_path_factory) -> Iterator[tuple[str, OIDCProvider, Path]]:
    root = tmp_path_factory.mktemp("workspace")
    secrets_file = root.parent / "secrets.toml"
    log = root.parent / "auth_server.log"
    port = _free_port()
    with OIDCProvider() as provider:
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            f'client_id = "{provider.client_id}"\n'
            f'client_secret = "{provider.client_secret}"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n\n'
            "[saleslens]\n"
            'allowed_emails = ["boss@partner.example"]\n'
            'allowed_domains = ["shop.example"]\n'
        )
        proc, url = _start(root, log, "--secrets.files", str(secrets_file), port=port)
        try:
            wait_healthy(url)
            yield url, provider, root
        except Exception:
            print(log.read_text(errors="replace")[-5000:])
            raise
        finally:
            print(log.read_text(errors="replace")[-3000:])
            _stop(proc)


def _expect_nothing_inside(page: Page) -> None:
    """Only the door: no navigation to pages, no dataset, no page content."""
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0, timeout=WAIT)
    expect(page.get_by_text(SAMPLE)).to_have_count(0, timeout=WAIT)
    expect(page.get_by_text("Upload your sales exports")).to_have_count(0, timeout=WAIT)
    expect(page.get_by_test_id("stFileUploaderDropzoneInput")).to_have_count(0, timeout=WAIT)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0, timeout=WAIT)


def test_no_page_or_data_is_reachable_before_sign_in(browser, door):
    url, _, root = door
    context = _context(browser)
    try:
        page = context.new_page()
        # The first request to a fresh server straight to a page file's name is what Streamlit's multipage-v1
        # fallback would run without app.py: it meets the door all the same. Then the router's paths.
        for path in ("/data_page", "/explore", "/forecast", "/runs", "/runs_page", "/"):
            page.goto(f"{url}{path}")
            expect(page.get_by_role("heading", name="Sign in to SalesLens")).to_be_visible(timeout=WAIT)
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
            _expect_nothing_inside(page)
        screenshot(page, "access_sign_in")
        assert not (root / "sessions").exists() or not any((root / "sessions").iterdir())  # nothing was restored
    finally:
        context.close()


@contextlib.contextmanager
def _signed_in(browser, url: str, email: str) -> Iterator[tuple[BrowserContext, Page]]:
    """A fresh browser that signed in at the provider as ``email``."""
    context = _context(browser)
    try:
        page = context.new_page()
        page.goto(f"{url}/")
        page.get_by_role("button", name="Sign in").click()
        page.locator("#email").fill(email)  # the provider's own page
        page.locator("#continue").click()
        yield context, page
    finally:
        context.close()


def test_an_allowed_person_gets_in_to_their_own_workspace_and_signs_out(browser, door):
    url, provider, root = door
    with _signed_in(browser, url, "Ana@Shop.Example") as (context, page):  # allowed by domain, whatever the case
        expect(_sidebar(page).get_by_text("Signed in as Ana@Shop.Example")).to_be_visible(timeout=WAIT)
        expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=WAIT)
        expect(_sidebar(page).get_by_text(SAMPLE)).to_be_visible(timeout=WAIT)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Explore").click()
        expect(page.get_by_role("heading", name="Explore", exact=True)).to_be_visible(timeout=WAIT)
        screenshot(page, "access_signed_in")
        owner = owner_for_identity(provider.issuer, subject_for("Ana@Shop.Example"))
        assert (root / "sessions" / f"{owner}.json").is_file()  # her workspace is keyed by her identity
        assert _workspace_cookies(context) == []  # no browser id decides whose workspace this is

        _sidebar(page).get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in to SalesLens")).to_be_visible(timeout=WAIT)
        _expect_nothing_inside(page)
        page.goto(f"{url}/explore")
        expect(page.get_by_role("heading", name="Sign in to SalesLens")).to_be_visible(timeout=WAIT)
        _expect_nothing_inside(page)
    assert "Ana@Shop.Example" in provider.issued


def test_a_person_outside_the_allow_list_is_refused(browser, door):
    url, provider, root = door
    with _signed_in(browser, url, "eve@elsewhere.example") as (_, page):
        expect(page.get_by_role("heading", name="No access")).to_be_visible(timeout=WAIT)
        expect(page.get_by_text(re.compile("eve@elsewhere.example is not on this server's list"))).to_be_visible(timeout=WAIT)
        _expect_nothing_inside(page)
        screenshot(page, "access_refused")
        for path in ("/explore", "/runs", "/data_page"):
            page.goto(f"{url}{path}")
            expect(page.get_by_role("heading", name="No access")).to_be_visible(timeout=WAIT)
            _expect_nothing_inside(page)
        refused = owner_for_identity(provider.issuer, subject_for("eve@elsewhere.example"))
        assert not (root / "sessions" / f"{refused}.json").exists()
    assert "eve@elsewhere.example" in provider.issued  # she did sign in at the provider: SalesLens refused her
