"""A real shop's export in a real browser: the committed UCI excerpt (postage, manual lines, fees, write-off notes,
guest prices, quantity tiers, returns) read, explored and priced as an analyst sees it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

EXCERPT = Path(__file__).resolve().parents[1] / "fixtures" / "uci" / "uci_excerpt.csv.gz"
WAIT = 120_000


def settled(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def main(page: Page):
    return page.get_by_test_id("stMain")


def test_uci_excerpt_walkthrough(page: Page, warmed_app_url: str):
    page.set_default_timeout(WAIT)
    page.goto(f"{warmed_app_url}/")
    settled(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(EXCERPT))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("uci_excerpt.csv.gz")).to_be_visible(timeout=WAIT)
    settled(page)

    # The validation report lists the non-product lines with their codes and counts; the money is the shop's.
    expect(main(page).get_by_text(re.compile("Not a product: postage"))).to_be_visible()
    expect(main(page).get_by_text(re.compile(r"POST · POSTAGE: 250"))).to_be_visible()
    expect(main(page).get_by_text(re.compile(r"DOT · DOTCOM POSTAGE: 120"))).to_be_visible()
    expect(main(page).get_by_text(re.compile("Stock write-off notes"))).to_be_visible()
    expect(sidebar.get_by_text("Read from the data: GBP")).to_be_visible()
    screenshot(page, "walkthrough_data")

    # Explore: top sellers by name, no postage among them, pounds not dollars.
    sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Explore").click()
    settled(page)
    top = main(page).get_by_test_id("stPlotlyChart").filter(has_text="REGENCY CAKESTAND")
    expect(top.first).to_be_visible(timeout=WAIT)
    expect(main(page).get_by_text("POSTAGE")).to_have_count(0)
    expect(main(page).get_by_test_id("stMetric").filter(has_text="Revenue").first).to_contain_text("£")
    screenshot(page, "walkthrough_explore")

    # Pricing: the cakestand's current price is its list price (12.75), not a tier (10.95), a guest price (24.96)
    # or the last day's average; no headline figure is shown when every suggestion is held back.
    sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Pricing").click()
    settled(page)
    expect(main(page).get_by_text("Products estimated")).to_be_visible(timeout=WAIT)
    settled(page)
    revenue = main(page).get_by_test_id("stMetric").filter(has_text="Revenue change / 30 days")
    expect(revenue).to_be_visible()
    headline = revenue.inner_text()
    assert not re.search(r"\+\s*\d+(\.\d+)?%", headline), headline  # never a single percentage uplift
    expect(main(page).get_by_text(re.compile("suggestions are held back"))).to_be_visible()
    chooser = main(page).get_by_test_id("stSelectbox").filter(has=page.get_by_text("Product", exact=True))
    chooser.locator("input").click()
    page.keyboard.type("REGENCY CAKESTAND")
    page.get_by_role("option", name=re.compile("REGENCY CAKESTAND 3 TIER")).click()
    settled(page)
    expect(main(page).get_by_text(re.compile(r"Current price £12\.75"))).to_be_visible()
    expect(main(page).get_by_text("DOTCOM POSTAGE")).to_have_count(0)
    screenshot(page, "walkthrough_pricing")

    # Recommendations: fitted once, then a reload shows them from the workspace at once (no refit, no progress bar).
    sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Recommendations").click()
    settled(page)
    algorithms = main(page).get_by_test_id("stMultiSelect").filter(has_text="Algorithms to evaluate")
    algorithms.get_by_role("button", name="Clear all").click()  # no evaluation: the fit alone keeps the test short
    settled(page)
    k = main(page).get_by_label("Recommendations per customer (k)")
    k.fill("5")  # the excerpt has few products with registered buyers
    k.press("Enter")
    settled(page)
    main(page).get_by_role("button", name="Fit and evaluate").click()
    settled(page)
    screenshot(page, "walkthrough_recommend_fit")
    expect(main(page).get_by_text("Recommendations from")).to_be_visible(timeout=WAIT)
    settled(page)
    expect(main(page).get_by_text(re.compile("kept in the workspace"))).to_have_count(0)  # fitted just now
    page.reload()
    settled(page)
    expect(main(page).get_by_text(re.compile("kept in the workspace"))).to_be_visible(timeout=WAIT)
    expect(main(page).get_by_text("Recommendations from")).to_be_visible()
    expect(main(page).get_by_test_id("stProgress")).to_have_count(0)
    screenshot(page, "walkthrough_recommend_reload")
