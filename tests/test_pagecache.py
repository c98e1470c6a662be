"""Whole public pages from the cache (cases/pagecache.py): served with no query, stale as soon as a record they
show changes, 304 for a reader who has them, and never shared when they are personal."""

import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import pagecache
from cases.models import Filing
from tests.factories import CaseFactory, CourtFactory, FilingFactory, ParticipationFactory, PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    case = CaseFactory(court=CourtFactory(code="ICJ"), short_title_en="Cached v. Fresh")
    FilingFactory(case=case, title="Order of the first day")
    return case


PUBLIC = [
    lambda case: reverse("cases:home"),
    lambda case: reverse("cases:case_list") + "?court=icj",
    lambda case: case.get_absolute_url(),
    lambda case: case.filings.first().get_absolute_url(),
    lambda case: reverse("cases:case_feed_atom", args=[case.slug]),
    lambda case: reverse("cases:search") + "?q=order",
    lambda case: reverse("cases:court", args=["icj"]),
    lambda case: "/api/cases/",
    lambda case: f"/api/cases/{case.slug}/",
]


@pytest.mark.parametrize("address", PUBLIC)
def test_a_second_reader_gets_the_same_page_with_no_query(client, django_assert_num_queries, case, address):
    url = address(case)
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["ETag"] == first["ETag"]
    assert b"csrfmiddlewaretoken" not in second.content


@pytest.mark.parametrize("address", PUBLIC)
def test_a_reader_who_has_the_page_gets_304_without_a_body(client, django_assert_num_queries, case, address):
    url = address(case)
    first = client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_new_document_shows_at_once_on_its_case_and_in_the_lists(client, case):
    page, home = client.get(case.get_absolute_url()), client.get(reverse("cases:home"))
    FilingFactory(case=case, title="Judgment on the merits")
    fresh_page, fresh_home = client.get(case.get_absolute_url()), client.get(reverse("cases:home"))
    assert b"Judgment on the merits" in fresh_page.content
    assert b"Judgment on the merits" in fresh_home.content
    assert fresh_page["ETag"] != page["ETag"]
    assert client.get(case.get_absolute_url(), HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 200
    assert home["ETag"] != fresh_home["ETag"]


def test_an_edit_to_a_party_reaches_the_cached_case_page(client, case):
    party = PartyFactory(name="Republic of Before")
    ParticipationFactory(case=case, party=party)
    assert b"Republic of Before" in client.get(case.get_absolute_url()).content
    party.name = "Republic of After"
    party.save()
    assert b"Republic of After" in client.get(case.get_absolute_url()).content


def test_a_change_to_another_case_keeps_this_case_page(client, django_assert_num_queries, case):
    client.get(case.get_absolute_url())
    FilingFactory(case=CaseFactory(), title="Elsewhere")
    with django_assert_num_queries(0):
        assert client.get(case.get_absolute_url()).status_code == 200


def test_a_bulk_update_is_seen_once_the_service_bumps_the_version(client, case):
    client.get(case.get_absolute_url())
    Filing.objects.filter(case=case).update(title="Renamed in bulk")  # no signal
    assert b"Renamed in bulk" not in client.get(case.get_absolute_url()).content
    pagecache.bump_case(case.slug)
    assert b"Renamed in bulk" in client.get(case.get_absolute_url()).content


def test_an_old_slug_stops_serving_the_cached_page_and_redirects(client, case):
    old = case.get_absolute_url()
    assert client.get(old).status_code == 200
    case.slug = "cached-v-fresh-renamed"
    case.save()
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == case.get_absolute_url()


def test_each_language_has_its_own_copy(client, case):
    english = client.get(case.get_absolute_url())
    client.cookies["django_language"] = "fr"
    french = client.get(case.get_absolute_url())
    assert english.content != french.content
    assert b'lang="fr"' in french.content
    assert french["ETag"] != english["ETag"]
    del client.cookies["django_language"]
    assert client.get(case.get_absolute_url()).content == english.content


def test_staff_always_get_a_fresh_page_and_never_fill_the_cache(client, case):
    staff = get_user_model().objects.create_user("editor", password="x", is_staff=True)
    client.force_login(staff)
    client.get(case.get_absolute_url())
    with CaptureQueriesContext(connection) as staff_visit:
        response = client.get(case.get_absolute_url())
    assert staff_visit.captured_queries
    assert "ETag" not in response
    client.logout()
    # The staff visits stored nothing: the first anonymous reader renders the page.
    with CaptureQueriesContext(connection) as first_reader:
        assert client.get(case.get_absolute_url())["ETag"]
    assert first_reader.captured_queries


def test_a_page_that_sets_a_cookie_is_not_stored():
    def view(request):
        from django.http import HttpResponse

        response = HttpResponse("personal")
        response.set_cookie("who", "you")
        return response

    request = mock.Mock(method="GET", COOKIES={}, META={}, headers={})
    request.get_host.return_value = "testserver"
    request.get_full_path.return_value = "/x/"
    pagecache.serve(request, pagecache.SITE, lambda: view(request))
    calls = []
    pagecache.serve(request, pagecache.SITE, lambda: calls.append(1) or view(request))
    assert calls == [1]


def test_pages_still_render_when_the_cache_is_down(client, case):
    with mock.patch.object(cache, "get_many", side_effect=ConnectionError("cache down")):
        response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    with mock.patch.object(cache, "set_many", side_effect=ConnectionError("cache down")):
        FilingFactory(case=case, title="Saved while the cache is down")  # the save itself succeeds
    assert Filing.objects.filter(title="Saved while the cache is down").exists()


def test_no_page_cache_when_turned_off(client, settings, case):
    settings.PAGE_CACHE_SECONDS = 0
    client.get(case.get_absolute_url())
    response = client.get(case.get_absolute_url())
    assert "ETag" not in response
    assert response.status_code == 200


def test_the_api_keeps_its_formats_apart(client, case):
    json = client.get("/api/cases/", HTTP_ACCEPT="application/json")
    browsable = client.get("/api/cases/", HTTP_ACCEPT="text/html")
    assert json["Content-Type"].startswith("application/json")
    assert browsable["Content-Type"].startswith("text/html")
    assert client.get("/api/cases/", HTTP_ACCEPT="application/json").content == json.content


def test_a_link_check_makes_the_pages_of_its_case_stale(case, django_capture_on_commit_callbacks):
    from cases.services import record_link_failure
    from cases.sources.base import SourceError

    filing = case.filings.get()
    before = cache.get(pagecache.case_version_key(case.slug))
    site_before = cache.get(pagecache.SITE)
    with django_capture_on_commit_callbacks(execute=True):
        record_link_failure(filing=Filing.objects.get(pk=filing.pk), error=SourceError("gone"))
    assert cache.get(pagecache.case_version_key(case.slug)) != before
    assert cache.get(pagecache.SITE) == site_before  # no listing shows a link's state


def test_extracted_text_makes_search_pages_stale(case, settings, tmp_path, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services import extract_filing_text
    from tests.test_search import tiny_pdf

    settings.MEDIA_ROOT = tmp_path
    filing = case.filings.get()
    filing.document = SimpleUploadedFile("copy.pdf", tiny_pdf("Reasonable grounds."), content_type="application/pdf")
    filing.save()
    site_before = cache.get(pagecache.SITE)
    with django_capture_on_commit_callbacks(execute=True):
        extract_filing_text(filing=filing)
    assert cache.get(pagecache.SITE) != site_before


def test_a_copy_in_the_process_serves_while_current_and_never_once_stale(client, django_assert_num_queries, case):
    url = case.get_absolute_url()
    first = client.get(url)
    pagecache_keys = [key for key in pagecache._local if key.startswith("page:")]
    assert pagecache_keys
    for key in pagecache_keys:
        cache.delete(key)  # the shared copy is gone: the one here answers
    with django_assert_num_queries(0):
        assert client.get(url).content == first.content
    FilingFactory(case=case, title="Filed after the copy was made")
    assert b"Filed after the copy was made" in client.get(url).content


def test_the_copies_in_the_process_are_bounded(client, case):
    for n in range(pagecache.LOCAL_PAGES + 20):
        client.get(reverse("cases:case_list"), {"page": n})
    assert len(pagecache._local) == pagecache.LOCAL_PAGES


def test_a_clock_that_stands_still_still_makes_new_versions(client, case):
    import datetime

    import time_machine

    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        client.get(case.get_absolute_url())
        FilingFactory(case=case, title="Filed while the clock stood still")
        assert b"Filed while the clock stood still" in client.get(case.get_absolute_url()).content


def changed_in_another_process(case, title):
    """What a refresh in the worker does, as this process sees it: rows and the shared version change, no signal
    reaches here."""
    Filing.objects.filter(case=case).update(title=title)
    cache.set(pagecache.case_version_key(case.slug), pagecache._now(), timeout=None)


def test_a_version_read_is_trusted_for_a_while_and_then_asked_again(client, settings, case):
    settings.PAGE_VERSION_TRUST_SECONDS = 0.3
    url = case.get_absolute_url()
    client.get(url)
    with mock.patch.object(pagecache.cache, "get_many", wraps=pagecache.cache.get_many) as get_many:
        assert b"Order of the first day" in client.get(url).content
        assert get_many.call_count == 0  # the copy here and the version read a moment ago
        changed_in_another_process(case, "Renamed by the worker")
        assert b"Order of the first day" in client.get(url).content
        time.sleep(0.35)
        assert b"Renamed by the worker" in client.get(url).content
        assert get_many.call_count == 1


def test_with_no_trust_every_request_asks_for_the_version(client, settings, case):
    settings.PAGE_VERSION_TRUST_SECONDS = 0
    url = case.get_absolute_url()
    client.get(url)
    changed_in_another_process(case, "Renamed by the worker")
    assert b"Renamed by the worker" in client.get(url).content


def test_a_change_made_in_this_process_shows_at_once_whatever_the_trust(client, settings, case):
    settings.PAGE_VERSION_TRUST_SECONDS = 600
    client.get(reverse("cases:home"))
    client.get(case.get_absolute_url())
    FilingFactory(case=case, title="Filed here")
    assert b"Filed here" in client.get(case.get_absolute_url()).content


def test_a_cache_that_goes_down_while_a_version_is_trusted_still_leaves_the_page(client, settings, case):
    settings.PAGE_VERSION_TRUST_SECONDS = 600
    url = case.get_absolute_url()
    client.get(url)
    # A newer version read for another of the case's pages: the copy here is stale, and the cache has gone.
    pagecache._trust_version(pagecache.case_version_key(case.slug), pagecache._now())
    down = ConnectionError("cache down")
    with mock.patch.object(cache, "get", side_effect=down), mock.patch.object(cache, "set", side_effect=down):
        response = client.get(url)
    assert response.status_code == 200
    assert b"Order of the first day" in response.content
