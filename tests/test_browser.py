"""The tracker in a real browser: Playwright driving the system's Chromium.

Skips with a reason where no Chromium is installed, and never skips when CI is set.
"""

import os
import re
import shutil

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

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


def test_search_for_genocide_gaza_finds_south_africa_v_israel(page, site):
    page.goto(site + "/")
    page.get_by_role("searchbox", name=re.compile("Search", re.IGNORECASE)).fill("genocide Gaza")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=genocide"))
    first = page.locator("main").get_by_role("link", name=re.compile(r"South Africa v\. Israel")).first
    assert first.is_visible()
    first.click()
    page.wait_for_url(re.compile(r"/cases/south-africa-v-israel-gaza/"))


@pytest.fixture
def eager_tasks(settings):
    from tracker.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_follow_a_case_and_confirm_through_the_emailed_link(page, site, settings, mailoutbox, eager_tasks):
    from cases.models import Subscription

    settings.SITE_URL = site
    page.goto(site + "/cases/south-africa-v-israel-gaza/")
    follow = page.locator("#follow")
    follow.get_by_label("Email address").fill("reader@example.org")
    follow.get_by_label("Daily digest").check()
    follow.get_by_role("button", name="Follow").click()
    assert page.get_by_text(re.compile("confirm", re.IGNORECASE)).first.is_visible()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["reader@example.org"]
    link = re.search(rf"{re.escape(site)}/\S+", mailoutbox[0].body).group(0)
    assert not Subscription.objects.get(email="reader@example.org").is_active

    page.goto(link)
    page.get_by_role("button", name=re.compile("send me alerts", re.IGNORECASE)).click()
    page.get_by_role("heading", name="Alerts confirmed").wait_for()
    subscription = Subscription.objects.get(email="reader@example.org")
    assert subscription.is_active and subscription.frequency == "daily"


def test_copy_a_citation(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page = context.new_page()
    try:
        page.goto(site + "/cases/south-africa-v-israel-gaza/")
        box = page.locator("#cite")
        oscola = box.locator(".cite__copy").first
        oscola.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(
            "Application of the Convention on the Prevention and Punishment of the Crime of Genocide"
        )
        assert "(South Africa v Israel)" in copied
        # A locator, not wait_for_function: the page's CSP forbids the eval that one needs.
        expect(page.locator("#copy-status")).to_have_text("Copied")
    finally:
        context.close()


def test_switch_to_french(page, site):
    page.goto(site + "/cases/south-africa-v-israel-gaza/")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url(re.compile(r"/cases/south-africa-v-israel-gaza/"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Afrique du Sud c. Israël" in page.locator("h1").inner_text()
    assert page.get_by_role("link", name="Affaires").first.is_visible()


def test_markup_from_a_court_page_is_shown_as_text_and_never_runs(browser, site):
    """A filing titled with an injection, as a hostile or broken court page could give it: text, no dialog."""
    from cases.models import Case, Filing

    payload = "<img src=x onerror=alert(1)>"
    # The CSP would stop the script anyway: turned off here, so that what is shown is the escaping alone.
    page = browser.new_context(bypass_csp=True).new_page()
    case = Case.objects.get(slug="south-africa-v-israel-gaza")
    filing = Filing.objects.create(
        case=case, title=payload, kind=Filing.Kind.OTHER, url="https://www.icj-cij.org/case/192/injected"
    )
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    for address in (case.get_absolute_url(), filing.get_absolute_url(), "/search/?q=onerror"):
        page.goto(site + address)
        page.wait_for_load_state("load")
        assert page.locator("main").get_by_text(payload).count() >= 1, address
        assert page.locator("main img[src='x']").count() == 0, address
    assert dialogs == []
    page.context.close()
