"""Atom and RSS feeds, iCalendar calendars and the autodiscovery links: content, escaping, 404s and query counts.

Feeds are read back with feedparser and calendars with icalendar, as a reader or a calendar app would.
"""

import datetime
import html

import feedparser
import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from icalendar import Calendar

from cases.calendars import CALENDAR_KINDS
from cases.feeds import FEED_ITEMS, TAG_DATE
from cases.models import Event, Filing
from cases.templatetags.feed_tags import feed_links
from tests.factories import CaseFactory, CourtFactory, EventFactory, FilingFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'
FORMATS = ["atom", "rss"]
CONTENT_TYPES = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}

# Queries per response, whatever the size of the data.
CHANGES_FEED = 2  # filings; status changes
COURT_FEED = 3  # the court; its filings; its status changes
CASE_FEED = 3  # the case with its court; its filings; its status changes
CALENDAR = 1  # upcoming events with their cases and courts
CASE_CALENDAR = 2  # the case; its upcoming events


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def seen(hours):
    """A moment `hours` before NOW: when the tracker first saw something."""
    return NOW - datetime.timedelta(hours=hours)


def status_change(case, hours, **kwargs):
    event = EventFactory(case=case, kind=Event.Kind.STATUS_CHANGE, date=TODAY, **kwargs)
    Event.objects.filter(pk=event.pk).update(created_at=seen(hours))
    event.refresh_from_db()
    return event


def feed_url(fmt, scope="changes", arg=None):
    return reverse(f"cases:{scope}_feed_{fmt}", args=[arg] if arg else [])


def read_feed(client, url, fmt):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == ("atom10" if fmt == "atom" else "rss20")
    return parsed


def utc_tuple(moment):
    return moment.astimezone(datetime.UTC).timetuple()[:6]


@pytest.fixture
def world():
    """Two courts, three cases, filings and status changes seen at known moments, and events feeds leave out."""
    icj, icc = CourtFactory(code="ICJ", name_en="International Court of Justice"), CourtFactory(code="ICC")
    genocide = CaseFactory(court=icj, short_title_en="Genocide", slug="genocide", reference="192")
    climate = CaseFactory(court=icj, short_title_en="Climate", slug="climate")
    palestine = CaseFactory(court=icc, short_title_en="Palestine", slug="palestine", reference="ICC-01/18")
    order = FilingFactory(
        case=genocide,
        title="Order of 26 January 2024",
        kind=Filing.Kind.ORDER,
        date=datetime.date(2024, 1, 26),
        reference="192-20240126-ORD-01-00-EN",
        language="en",
        url="https://www.icj-cij.org/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf",
        first_seen_at=seen(5),
    )
    judgment = FilingFactory(
        case=climate, title="Advisory Opinion", kind=Filing.Kind.ADVISORY_OPINION, first_seen_at=seen(1)
    )
    warrant = FilingFactory(
        case=palestine, title="Warrant of arrest", kind=Filing.Kind.WARRANT_OF_ARREST, first_seen_at=seen(3)
    )
    change = status_change(
        genocide,
        hours=2,
        title="The court's page now gives: Pending, Oral proceedings",
        source_url="https://www.icj-cij.org/case/192",
    )
    # Not news for the feeds: only filings and status changes are.
    EventFactory(case=genocide, kind=Event.Kind.HEARING, date=TODAY, title="Public hearings")
    return {
        "icj": icj,
        "icc": icc,
        "genocide": genocide,
        "climate": climate,
        "palestine": palestine,
        "order": order,
        "judgment": judgment,
        "warrant": warrant,
        "change": change,
    }


# Feeds


@pytest.mark.parametrize("fmt", FORMATS)
def test_changes_feed_lists_filings_and_status_changes_newest_first(client, world, fmt):
    parsed = read_feed(client, feed_url(fmt), fmt)

    assert parsed.feed.title == "Proceedings tracker: all changes"
    assert parsed.feed.link == "http://testserver/"
    assert [e.title for e in parsed.entries] == [
        "Climate: Advisory Opinion",
        "Genocide: The court's page now gives: Pending, Oral proceedings",
        "Palestine: Warrant of arrest",
        "Genocide: Order of 26 January 2024",
    ]
    assert [e.published_parsed[:6] for e in parsed.entries] == [
        utc_tuple(seen(1)),
        utc_tuple(seen(2)),
        utc_tuple(seen(3)),
        utc_tuple(seen(5)),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_filing_links_to_the_official_document_with_a_stable_id(client, world, fmt):
    order = world["order"]
    entry = read_feed(client, feed_url(fmt), fmt).entries[-1]

    assert entry.link == order.url
    assert entry.id == f"tag:testserver,{TAG_DATE}:filing:{order.pk}"
    if fmt == "rss":
        assert entry.guidislink is False
    summary = html.unescape(entry.summary)
    assert "Order. Dated 26 January 2024." in summary
    assert "(ICJ, General List No. 192)" in summary
    assert "Reference: 192-20240126-ORD-01-00-EN." in summary
    assert "Language: English." in summary
    assert {tag.term for tag in entry.tags} == {"Order", "ICJ"}
    # The same filing has the same id however often the feed is read.
    assert read_feed(client, feed_url(fmt), fmt).entries[-1].id == entry.id


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_status_change_links_to_the_case_page(client, world, fmt):
    change = world["change"]
    entry = read_feed(client, feed_url(fmt), fmt).entries[1]

    assert entry.link == "http://testserver/cases/genocide/"
    assert entry.id == f"tag:testserver,{TAG_DATE}:event:{change.pk}"
    assert "Source: https://www.icj-cij.org/case/192" in html.unescape(entry.summary)
    assert {tag.term for tag in entry.tags} == {"Status change", "ICJ"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_filing_without_a_url_links_to_its_case(client, world, fmt):
    FilingFactory(case=world["palestine"], title="Sealed document", url="", source_url="", first_seen_at=NOW)

    entry = read_feed(client, feed_url(fmt), fmt).entries[0]

    assert entry.title == "Palestine: Sealed document"
    assert entry.link == "http://testserver/cases/palestine/"


@pytest.mark.parametrize("fmt", FORMATS)
def test_court_feed_lists_only_that_courts_cases(client, world, fmt):
    parsed = read_feed(client, feed_url(fmt, "court", "icj"), fmt)

    assert parsed.feed.title == "ICJ: new filings and status changes"
    assert parsed.feed.link == "http://testserver/courts/icj/"
    assert [e.title for e in parsed.entries] == [
        "Climate: Advisory Opinion",
        "Genocide: The court's page now gives: Pending, Oral proceedings",
        "Genocide: Order of 26 January 2024",
    ]
    icc = read_feed(client, feed_url(fmt, "court", "icc"), fmt)
    assert [e.title for e in icc.entries] == ["Palestine: Warrant of arrest"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_case_feed_lists_only_that_case(client, world, fmt):
    parsed = read_feed(client, feed_url(fmt, "case", "genocide"), fmt)

    assert parsed.feed.title == "Genocide: filings and status changes"
    assert parsed.feed.link == "http://testserver/cases/genocide/"
    # One case: its name need not start every title.
    assert [e.title for e in parsed.entries] == [
        "The court's page now gives: Pending, Oral proceedings",
        "Order of 26 January 2024",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_case_with_nothing_yet_has_a_valid_empty_feed(client, fmt):
    CaseFactory(slug="quiet")

    assert read_feed(client, feed_url(fmt, "case", "quiet"), fmt).entries == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_feeds_hold_the_latest_fifty(client, fmt):
    case = CaseFactory(short_title_en="Busy")
    for hours in range(FEED_ITEMS):
        FilingFactory(case=case, title=f"Filing {hours}", first_seen_at=seen(hours + 10))
    for hours in range(5):
        status_change(case, hours=hours + 100, title=f"Old change {hours}")
    FilingFactory(case=case, title="Newest", first_seen_at=seen(0))

    parsed = read_feed(client, feed_url(fmt), fmt)

    assert len(parsed.entries) == FEED_ITEMS
    assert parsed.entries[0].title == "Busy: Newest"
    assert parsed.entries[-1].title == f"Busy: Filing {FEED_ITEMS - 2}"
    assert not any("Old change" in e.title for e in parsed.entries)


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_titles_stay_text(client, fmt):
    case = CaseFactory(short_title_en=HOSTILE, title_en=HOSTILE, slug="hostile")
    FilingFactory(case=case, title=HOSTILE, reference=HOSTILE, first_seen_at=seen(2))
    status_change(case, hours=1, title=HOSTILE)

    response = client.get(feed_url(fmt, "case", "hostile"))

    assert b"<script" not in response.content
    assert b"<b>" not in response.content
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0
    assert parsed.feed.title == f"{HOSTILE}: filings and status changes"
    assert [e.title for e in parsed.entries] == [HOSTILE, HOSTILE]
    for entry in parsed.entries:
        assert entry.title_detail.type == "text/plain"
        # The description is HTML that shows the markup as characters, never as elements.
        assert "<script" not in entry.summary
        assert "<b>" not in entry.summary
        assert HOSTILE in html.unescape(entry.summary)


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_from_a_source_do_not_break_the_feed(client, fmt):
    case = CaseFactory(short_title_en="Ctl", slug="ctl")
    FilingFactory(case=case, title="Order\x0b of\x1f today")  # NUL never reaches the database: see apply_snapshot

    parsed = read_feed(client, feed_url(fmt, "case", "ctl"), fmt)

    assert parsed.entries[0].title == "Order of today"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_case_or_court_is_404(client, fmt):
    CourtFactory(code="ICJ")

    assert client.get(feed_url(fmt, "case", "no-such-case")).status_code == 404
    assert client.get(feed_url(fmt, "court", "nope")).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_under_an_old_slug_or_an_uppercase_code_redirects_for_good(client, fmt):
    case = CaseFactory(slug="old-name", court=CourtFactory(code="ICJ"))
    case.slug = "new-name"
    case.save()

    response = client.get(feed_url(fmt, "case", "old-name"))
    assert response.status_code == 301
    assert response["Location"] == feed_url(fmt, "case", "new-name")

    response = client.get(feed_url(fmt, "court", "ICJ"))
    assert response.status_code == 301
    assert response["Location"] == feed_url(fmt, "court", "icj")


def _grow(world, size):
    for i in range(size):
        for case in (world["genocide"], world["palestine"]):
            FilingFactory(case=case, first_seen_at=seen(10 + i))
            status_change(case, hours=10 + i)


@pytest.mark.parametrize("fmt", FORMATS)
def test_feeds_take_a_fixed_number_of_queries(client, world, fmt, django_assert_num_queries, settings):
    settings.PAGE_CACHE_SECONDS = 0  # counted is the rendering, not the page cache (tests/test_pagecache.py)
    urls = [
        (feed_url(fmt), CHANGES_FEED),
        (feed_url(fmt, "court", "icj"), COURT_FEED),
        (feed_url(fmt, "case", "genocide"), CASE_FEED),
    ]
    for size in (1, 30):
        _grow(world, size)
        for url, count in urls:
            with django_assert_num_queries(count):
                assert client.get(url).status_code == 200


# Calendars


@pytest.fixture
def agenda():
    """Upcoming, under way, past and imprecise events in two cases, with TODAY = 2 June 2025."""
    icj = CourtFactory(code="ICJ")
    genocide = CaseFactory(court=icj, short_title_en="Genocide", slug="genocide")
    climate = CaseFactory(court=icj, short_title_en="Climate", slug="climate")
    day = datetime.timedelta(days=1)
    events = {
        "under_way": EventFactory(
            case=genocide,
            kind=Event.Kind.HEARING,
            date=TODAY - 2 * day,
            end_date=TODAY + day,
            title="Public hearings",
            source_url="https://www.icj-cij.org/press/hearings",
        ),
        "today": EventFactory(case=climate, kind=Event.Kind.OPINION, date=TODAY, title="Delivery of the Opinion"),
        "deadline": EventFactory(
            case=genocide, kind=Event.Kind.DEADLINE, date=TODAY + 30 * day, title="Time-limit for the Rejoinder"
        ),
        "judgment": EventFactory(case=climate, kind=Event.Kind.JUDGMENT, date=TODAY + 40 * day, title="Judgment"),
        "order": EventFactory(case=genocide, kind=Event.Kind.ORDER, date=TODAY + 5 * day, title="Order"),
    }
    # Left out: over, known only to the month or year, or not something one goes to or waits for.
    EventFactory(case=genocide, kind=Event.Kind.HEARING, date=TODAY - 10 * day, end_date=TODAY - day)
    EventFactory(case=genocide, kind=Event.Kind.JUDGMENT, date=TODAY - day)
    EventFactory(case=genocide, kind=Event.Kind.JUDGMENT, date=TODAY + 60 * day, precision=Event.Precision.MONTH)
    EventFactory(case=climate, kind=Event.Kind.OPINION, date=datetime.date(2026, 1, 1), precision=Event.Precision.YEAR)
    EventFactory(case=genocide, kind=Event.Kind.FILED, date=TODAY + day)
    EventFactory(case=genocide, kind=Event.Kind.STATUS_CHANGE, date=TODAY + day)
    return {"genocide": genocide, "climate": climate, **events}


def read_calendar(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return calendar, {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_calendar_lists_upcoming_day_precise_events(client, agenda):
    calendar, events = read_calendar(client, reverse("cases:calendar"))

    assert str(calendar["X-WR-CALNAME"]) == "Proceedings tracker: upcoming hearings and deliveries"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-PUBLISHED-TTL"]) == str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT6H"
    expected = ["under_way", "today", "order", "deadline", "judgment"]
    assert list(events) == [f"event-{agenda[name].pk}@testserver" for name in expected]
    assert {str(e["CATEGORIES"].cats[0]) for e in events.values()} <= {
        label for value, label in Event.Kind.choices if value in CALENDAR_KINDS
    }


def test_calendar_events_are_all_day_with_an_exclusive_end(client, agenda):
    _, events = read_calendar(client, reverse("cases:calendar"))
    under_way = events[f"event-{agenda['under_way'].pk}@testserver"]
    deadline = events[f"event-{agenda['deadline'].pk}@testserver"]

    # A hearing from 31 May to 3 June occupies those four days: it ends, exclusively, on 4 June.
    assert under_way.decoded("DTSTART") == datetime.date(2025, 5, 31)
    assert under_way.decoded("DTEND") == datetime.date(2025, 6, 4)
    assert not isinstance(under_way.decoded("DTSTART"), datetime.datetime)
    assert deadline.decoded("DTSTART") == datetime.date(2025, 7, 2)
    assert deadline.decoded("DTEND") == datetime.date(2025, 7, 3)
    assert str(under_way["SUMMARY"]) == "Genocide: Public hearings"
    assert str(under_way["URL"]) == "http://testserver/cases/genocide/"
    assert "https://www.icj-cij.org/press/hearings" in str(under_way["DESCRIPTION"])
    assert under_way.decoded("DTSTAMP") == NOW


def test_calendar_writes_dates_as_dates(client, agenda):
    content = client.get(reverse("cases:calendar")).content.decode()

    assert "DTSTART;VALUE=DATE:20250531\r\n" in content
    assert "DTEND;VALUE=DATE:20250604\r\n" in content


def test_case_calendar_lists_only_that_case(client, agenda):
    calendar, events = read_calendar(client, reverse("cases:case_calendar", args=["genocide"]))

    assert str(calendar["X-WR-CALNAME"]) == "Genocide: upcoming hearings and deliveries"
    assert list(events) == [f"event-{agenda[name].pk}@testserver" for name in ("under_way", "order", "deadline")]


def test_the_next_day_the_finished_hearing_is_gone(client, agenda):
    with time_machine.travel(NOW + datetime.timedelta(days=2), tick=False):
        _, events = read_calendar(client, reverse("cases:calendar"))

    assert f"event-{agenda['under_way'].pk}@testserver" not in events
    assert f"event-{agenda['today'].pk}@testserver" not in events
    assert f"event-{agenda['order'].pk}@testserver" in events


def test_calendar_escapes_nothing_away(client):
    case = CaseFactory(short_title_en=HOSTILE, slug="hostile")
    EventFactory(case=case, kind=Event.Kind.HEARING, date=TODAY, title="Hearing; on, jurisdiction\nday 1")

    calendar, events = read_calendar(client, reverse("cases:case_calendar", args=["hostile"]))

    (event,) = events.values()
    assert str(event["SUMMARY"]) == f"{HOSTILE}: Hearing; on, jurisdiction\nday 1"
    assert str(calendar["X-WR-CALNAME"]).startswith(HOSTILE)


def test_unknown_case_calendar_is_404_and_an_old_slug_redirects(client):
    assert client.get(reverse("cases:case_calendar", args=["no-such-case"])).status_code == 404
    case = CaseFactory(slug="old-name")
    case.slug = "new-name"
    case.save()

    response = client.get(reverse("cases:case_calendar", args=["old-name"]))

    assert response.status_code == 301
    assert response["Location"] == reverse("cases:case_calendar", args=["new-name"])


def test_calendars_take_a_fixed_number_of_queries(client, agenda, django_assert_num_queries, settings):
    settings.PAGE_CACHE_SECONDS = 0  # counted is the rendering, not the page cache (tests/test_pagecache.py)
    for size in (1, 30):
        for i in range(size):
            for case in (agenda["genocide"], agenda["climate"]):
                EventFactory(case=case, kind=Event.Kind.HEARING, date=TODAY + datetime.timedelta(days=i))
        with django_assert_num_queries(CALENDAR):
            assert client.get(reverse("cases:calendar")).status_code == 200
        with django_assert_num_queries(CASE_CALENDAR):
            assert client.get(reverse("cases:case_calendar", args=["genocide"])).status_code == 200


# Autodiscovery


def render_links(obj):
    return Template("{% load feed_tags %}{% feed_links obj %}").render(Context({"obj": obj}))


def test_home_links_to_all_changes_and_the_calendar():
    output = render_links(None)

    assert output.splitlines() == [
        '<link rel="alternate" type="application/atom+xml" title="All changes (Atom)" href="/feeds/changes.atom">',
        '<link rel="alternate" type="application/rss+xml" title="All changes (RSS)" href="/feeds/changes.rss">',
        '<link rel="alternate" type="text/calendar" title="Upcoming hearings and deliveries" href="/calendar.ics">',
    ]


def test_court_page_links_to_its_feeds():
    court = CourtFactory(code="ICJ")

    assert [link["href"] for link in feed_links(court)] == ["/courts/icj/feed.atom", "/courts/icj/feed.rss"]
    assert 'title="ICJ: new filings and status changes (Atom)"' in render_links(court)


def test_case_page_links_to_its_feeds_and_calendar_escaped():
    case = CaseFactory(slug="hostile", short_title_en=HOSTILE)

    links = feed_links(case)
    output = render_links(case)

    assert [(link["type"], link["href"]) for link in links] == [
        ("application/atom+xml", "/cases/hostile/feed.atom"),
        ("application/rss+xml", "/cases/hostile/feed.rss"),
        ("text/calendar", "/cases/hostile/calendar.ics"),
    ]
    assert all(link["rel"] == "alternate" for link in links)
    assert "<script" not in output
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in output


def test_every_advertised_link_answers(client):
    court = CourtFactory(code="ICJ")
    case = CaseFactory(court=court, slug="genocide")

    for obj in (None, court, case):
        for link in feed_links(obj):
            response = client.get(link["href"])
            assert response.status_code == 200
            assert response["Content-Type"].startswith(link["type"])


def test_pages_announce_their_feeds_in_the_head(client):
    case = CaseFactory()
    home = client.get("/").content.decode()
    assert 'type="application/atom+xml"' in home and "/feeds/changes.atom" in home
    page = client.get(case.get_absolute_url()).content.decode()
    head = page.split("</head>")[0]
    assert f"/cases/{case.slug}/feed.atom" in head and f"/cases/{case.slug}/calendar.ics" in head
    court = client.get(case.court.get_absolute_url()).content.decode().split("</head>")[0]
    assert f"/courts/{case.court.code.lower()}/feed.atom" in court
