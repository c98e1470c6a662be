"""The tracker in a real browser: Playwright driving the system's Chromium.

Skips with a reason where no Chromium is installed, and never skips when CI is set.
"""

import os
import re
import shutil

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread; the ORM calls here happen outside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no Chromium is installed: .ci/run installs Debian's chromium")
        pytest.skip("no Chromium on this machine: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def site(transactional_db, live_server):
    call_command("seed_cases", verbosity=0)
    return live_server.url


def test_from_home_to_the_orders_of_south_africa_v_israel(page, site):
    page.goto(site + "/")
    assert page.locator("main").is_visible()
    page.get_by_role("link", name=re.compile(r"^Cases$")).first.click()

    page.get_by_label("Court").select_option("ICJ")
    page.get_by_role("button", name=re.compile("filter", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"court=ICJ"))
    rows = page.locator("main").get_by_role("link", name=re.compile(r"South Africa v\. Israel"))
    assert page.locator("main").get_by_text("Situation in the State of Palestine").count() == 0

    rows.first.click()
    page.wait_for_url(re.compile(r"/cases/south-africa-v-israel-gaza/"))
    assert "South Africa v. Israel" in page.locator("h1").inner_text()

    filings = page.locator("#filings")
    for day in ("26 January 2024", "28 March 2024", "24 May 2024"):
        row = filings.locator("tr, li").filter(has_text=day).filter(has_text=re.compile("Order", re.IGNORECASE))
        assert row.count() >= 1, day
        link = row.first.locator("a[href^='https://']").first
        href = link.get_attribute("href")
        assert re.match(r"https://(www\.)?icj-cij\.org/", href), href
    jan = filings.locator("a[href$='192-20240126-ord-01-00-en.pdf']")
    assert jan.count() >= 1
