"""SalesLens in a real browser: the sample loads, every page opens without an exception, a messy upload is read,
a bad upload keeps the previous dataset, and the language follows the URL."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

MESSY_GBK = (
    "销售报表 2024年1月\n导出时间 2024-02-01\n\n"
    "日期;订单号;商品;销量;单价;客户;地区\n"
    "03/01/2024;A1;绿茶;2;12,50;C1;华东\n"
    "14/01/2024;A2;咖啡豆;1;1.234,00;C2;华北\n"
    "15/01/2024;A3;绿茶;-1;12,50;C1;华东\n"
    "坏日期;A4;绿茶;3;12,50;;华东\n"
    "合计;;;5;;;\n"
).encode("gb18030")


def wait_for_app(page: Page) -> None:
    """Wait until the script run finished (the running indicator is gone) and fail on any exception shown."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def sidebar(page: Page):
    return page.get_by_test_id("stSidebar")


def test_every_page_opens_on_the_sample_without_an_exception(page: Page, warmed_app_url: str):
    page.goto(f"{warmed_app_url}/")
    wait_for_app(page)
    expect(sidebar(page).get_by_text("sample_sales.csv.gz")).to_be_visible()
    links = page.get_by_test_id("stSidebarNavLink")
    count = links.count()
    assert count >= 2
    for i in range(count):
        link = links.nth(i)
        name = link.inner_text().strip()
        link.click()
        wait_for_app(page)
        expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
        slug = re.sub(r"\W+", "_", name).lower()
        screenshot(page, f"page_{i}_{slug}")


def test_a_deep_link_to_a_page_runs_the_whole_app(page: Page, warmed_app_url: str):
    page.goto(f"{warmed_app_url}/explore")
    wait_for_app(page)
    # The sidebar (drawn by app.py) is there: the page did not run on its own.
    expect(sidebar(page).get_by_text("sample_sales.csv.gz")).to_be_visible()


def test_messy_upload_is_read_and_a_bad_one_keeps_the_dataset(page: Page, warmed_app_url: str, tmp_path):
    messy = tmp_path / "月度销售.csv"
    messy.write_bytes(MESSY_GBK)
    page.goto(f"{warmed_app_url}/")
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(messy))
    wait_for_app(page)
    expect(sidebar(page).get_by_text("月度销售.csv")).to_be_visible()
    expect(page.get_by_text("Date could not be read")).to_be_visible()
    expect(page.get_by_text("DD/MM/YYYY").first).to_be_visible()
    screenshot(page, "data_messy_upload")

    image = tmp_path / "photo.csv"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(image))
    wait_for_app(page)
    expect(page.get_by_text("is not a text table")).to_be_visible()
    expect(sidebar(page).get_by_text("月度销售.csv")).to_be_visible()
    screenshot(page, "data_bad_upload")


def test_language_follows_the_url(page: Page, warmed_app_url: str):
    page.goto(f"{warmed_app_url}/?lang=zh")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="数据", exact=True)).to_be_visible()
    expect(sidebar(page).get_by_text("数据集")).to_be_visible()
    screenshot(page, "data_zh")


def test_training_survives_other_clicks_and_completes_once(page: Page, warmed_app_url: str):
    page.goto(f"{warmed_app_url}/forecast")
    wait_for_app(page)
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("6")
    epochs.press("Enter")
    page.get_by_role("button", name="Train and compare").click()
    expect(page.get_by_text("Training ·")).to_be_visible(timeout=60_000)
    # Click other widgets while it trains: change the currency, visit Explore, come back.
    sidebar(page).get_by_role("combobox", name="Currency").click()
    page.get_by_role("option", name="EUR").click()
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Explore").click()
    wait_for_app(page)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Forecast").click()
    expect(page.get_by_text("Accuracy on the held-out period")).to_be_visible(timeout=240_000)
    expect(page.get_by_text("Training ·")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^Run 1 · "))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Run 2 · "))).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "forecast_results")


def test_a_deep_link_as_a_fresh_servers_first_visit_opens_its_page(browser, tmp_path):
    """The server's very first script run used to be Streamlit's multipage-v1 fallback (pages/ beside app.py), so a
    deep link as the first visit after a start showed "Page not found" (server.declare_navigation_pages)."""
    from tests.e2e.conftest import start_server, stop_server, wait_healthy

    proc, url = start_server({"SALESLENS_WORKSPACE": str(tmp_path / "workspace"), "SALESLENS_PRELOAD_BACKEND": "0"})
    try:
        wait_healthy(url)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = context.new_page()
        page.goto(f"{url}/explore")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Explore", exact=True)).to_be_visible()
        page.wait_for_timeout(1000)  # the notice, when it came, arrived with the first run's messages
        expect(page.get_by_text("Page not found")).to_have_count(0)
        context.close()
    finally:
        stop_server(proc)
