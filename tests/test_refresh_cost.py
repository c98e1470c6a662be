"""What a refresh costs, read from a local stand-in for the court's site: an unchanged page (a 304) is one
request and at most three queries, and every refresh makes the cached pages it affects stale."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services, tasks
from cases.models import Filing, Source, SourceCheck
from cases.pagecache import SITE, case_version_key
from cases.sources.base import FilingRef, Snapshot
from tests.factories import CaseFactory, CourtFactory

PAGES = Path(__file__).parent / "pages" / "icj"
ICJ = "https://www.icj-cij.org"
ETAG = '"orders-v1"'


def court_page():
    """The sample orders page as the court serves it, its links absolute."""
    html = (PAGES / "case-192-orders.html").read_text(encoding="utf-8")
    return html.replace('href="/sites/', f'href="{ICJ}/sites/').encode()


@pytest.fixture
def orders(server):
    """The orders page, answering 304 to a request that sends back its ETag."""

    def handle(handler):
        if handler.headers.get("If-None-Match") == ETAG:
            handler.reply(304, b"", content_type="", headers=[("ETag", ETAG)])
        else:
            handler.reply(200, court_page(), headers=[("ETag", ETAG)])

    server.routes["/case/192/orders"] = handle
    return server


@pytest.fixture
def gaza(db, orders):
    case = CaseFactory(court=CourtFactory(code="ICJ"), reference="192", stage="provisional_measures")
    Source.objects.create(case=case, adapter="icj", url=orders.url("/case/192/orders"))
    return case


def versions(slug):
    return cache.get(case_version_key(slug)), cache.get(SITE)


def test_an_unchanged_case_costs_one_request_and_at_most_three_queries(gaza, orders):
    assert tasks.refresh_case(gaza.pk) == ["changed"]
    assert Filing.objects.filter(case=gaza).count() >= 5
    orders.requests.clear()

    with CaptureQueriesContext(connection) as queries:
        assert tasks.refresh_case(gaza.pk) == ["unchanged"]

    assert len(orders.requests) == 1
    assert orders.requests[0].headers["If-None-Match"] == ETAG
    assert len(queries) <= 3, "\n".join(query["sql"] for query in queries)
    check = SourceCheck.objects.latest("id")
    assert (check.outcome, check.http_status, check.case_id) == ("unchanged", 304, gaza.pk)


def test_a_case_with_no_enabled_source_costs_one_query_and_no_request(gaza, orders):
    Source.objects.filter(case=gaza).update(enabled=False)
    with CaptureQueriesContext(connection) as queries:
        assert tasks.refresh_case(gaza.pk) == []
    assert len(queries) == 1 and not orders.requests
    assert tasks.refresh_case(999_999) == []


def test_a_change_makes_the_case_and_every_listing_stale(gaza, django_capture_on_commit_callbacks):
    before = versions(gaza.slug)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.refresh_case(gaza.pk) == ["changed"]
    after = versions(gaza.slug)
    assert after[0] is not None and after[0] != before[0]
    assert after[1] is not None and after[1] != before[1]


def test_an_unchanged_page_makes_only_the_case_stale(gaza, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_case(gaza.pk)
    case_before, site_before = versions(gaza.slug)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.refresh_case(gaza.pk) == ["unchanged"]
    case_after, site_after = versions(gaza.slug)
    assert case_after != case_before and site_after == site_before


def test_a_failed_check_makes_only_the_case_stale(gaza, orders, django_capture_on_commit_callbacks):
    orders.routes["/case/192/orders"] = lambda handler: handler.reply(200, b"{}", content_type="application/json")
    _, site_before = versions(gaza.slug)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.refresh_case(gaza.pk) == ["failed"]
    case_after, site_after = versions(gaza.slug)
    assert case_after is not None and site_after == site_before


def test_the_pages_go_stale_again_once_the_refresh_has_committed(gaza, django_capture_on_commit_callbacks):
    # A page rendered while the refresh's transaction was open shows the old records: the version it was
    # stored under must not be the last one.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.refresh_case(gaza.pk)
    during = versions(gaza.slug)
    for callback in callbacks:
        callback()
    after = versions(gaza.slug)
    assert after[0] != during[0] and after[1] != during[1]


def test_a_listing_makes_the_cases_its_items_went_to_stale(db, django_capture_on_commit_callbacks):
    case = CaseFactory(court=CourtFactory(code="ICC"), reference="ICC-01/18", kind="situation", stage="investigation")
    other = CaseFactory(court=CourtFactory(code="ICC"), reference="ICC-02/05", kind="situation", stage="investigation")
    feed = Source.objects.get(case=None, adapter="icc-rss")  # made by a data migration
    item = FilingRef("https://www.icc-cpi.int/news/a", "Decision", None, "press_release", "en", "", "ICC-01/18")
    before, other_before = versions(case.slug), versions(other.slug)
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_snapshot(source=feed, snapshot=Snapshot("icc-rss", feed.url, filings=(item,)))
    after = versions(case.slug)
    assert after[0] != before[0] and after[1] != before[1]
    assert versions(other.slug)[0] == other_before[0]

    # Read again, nothing new: no page changes.
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_snapshot(source=feed, snapshot=Snapshot("icc-rss", feed.url, filings=(item,)))
    assert versions(case.slug) == after
