"""Every page renders in a fixed number of queries, whatever the size of the data.

Each test renders a page over a small dataset, then over one many times larger, and asserts the very
same count both times: a query per row anywhere (an N+1) makes the second count grow and the test fail.
"""

import datetime
import itertools

import pytest
import time_machine
from django.urls import reverse

from cases.models import Case, Event, Filing, Participation, Party, Source, SourceCheck, Warrant
from cases.views import FILINGS_PER_PAGE
from tests.factories import (
    CaseFactory,
    CaseRelationFactory,
    CourtFactory,
    EventFactory,
    FilingFactory,
    ParticipationFactory,
    PartyFactory,
    PersonFactory,
    WarrantFactory,
)

pytestmark = pytest.mark.django_db

# The counts the pages take today. Lower is welcome (update the number); higher needs a reason.
HOME = 4  # recent events, new filings, upcoming events, courts with counts
CASE_LIST = 5  # court, party and year choices; the count; the page
# The case (court, parent) + 6 prefetches; history of case, filings, warrants: 2 each (the second only where a
# record has one before it, as here); last check; the documents' count and page; the documents the timeline draws.
CASE_PAGE = 17
DOCUMENT_PAGE = 2  # the filing with its case, court and source; the case's parties, for the citation
COURT_PAGE = 2  # the court; its cases
COURT_LIST = 1  # courts with their counts
PERSON_PAGE = 4  # the person (party); warrants; cases; the person's roles in them

_serial = itertools.count()
ROLES = [Participation.Role.APPLICANT, Participation.Role.INTERVENER_ART_63, Participation.Role.SUSPECT]


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """What is counted is rendering; tests/test_pagecache.py shows a cached page takes no query at all."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)):
        yield


def grow(case, person, size):
    """Give `case` `size` of everything the pages show, with history: filings, events, parties, warrants..."""
    court = case.court
    for i in range(size):
        n = next(_serial)
        party_kind = [Party.Kind.STATE, Party.Kind.ORGANISATION, Party.Kind.PERSON][i % 3]
        party = PartyFactory(kind=party_kind, person=PersonFactory() if party_kind == Party.Kind.PERSON else None)
        ParticipationFactory(
            case=case,
            party=party,
            role=ROLES[i % 3],
            joined_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
        )
        filing = FilingFactory(case=case, kind=Filing.Kind.ORDER, reference=f"REF-{n}")
        filing.title += " (corrected)"
        filing.save()  # a "~" history record
        EventFactory(case=case, filing=filing, kind=Event.Kind.ORDER)
        EventFactory(
            case=case, kind=Event.Kind.HEARING, date=datetime.date(2025, 9, 1), end_date=datetime.date(2025, 9, 3)
        )
        EventFactory(case=case, kind=Event.Kind.OTHER, date=datetime.date(2020, 1, 1), precision=Event.Precision.YEAR)
        warrant = WarrantFactory(case=case, person=PersonFactory(), filing=filing)
        warrant.status = Warrant.Status.EXECUTED
        warrant.save()
        WarrantFactory(case=case, person=person)  # the person page's warrants
        child = CaseFactory(court=court, parent=case, kind=Case.Kind.CASE, stage="trial")
        ParticipationFactory(case=child, party=person_party(person))
        CaseRelationFactory(from_case=case, to_case=CaseFactory(court=CourtFactory()))
        CaseRelationFactory(from_case=CaseFactory(court=court), to_case=case)
        FilingFactory(case=case).delete()  # a "-" history record
        FilingFactory(case=case, missing_since=datetime.date(2025, 5, 1))  # no longer listed at the source
        source, _ = Source.objects.get_or_create(
            case=case, url="https://court.example/case", defaults={"adapter": "icj"}
        )
        SourceCheck.objects.create(source=source, case=case, url=source.url, outcome="changed", new_filings=1)
        # Elsewhere: other courts' cases with their own filings and events.
        other = CaseFactory(court=CourtFactory(), instituted_on=datetime.date(2000 + i % 25, 1, 1))
        FilingFactory(case=other)
        EventFactory(case=other, date=datetime.date(2026, 1, 1))
    case.stage = "oral_proceedings"
    case.save()


def person_party(person):
    return Party.objects.get(person=person)


@pytest.fixture
def world():
    court = CourtFactory(code="ICJ")
    situation = CaseFactory(court=court, kind=Case.Kind.SITUATION, stage="investigation")
    case = CaseFactory(court=court, parent=situation, summary="A summary.")
    person = PersonFactory(slug="the-person")
    PartyFactory(kind=Party.Kind.PERSON, person=person, name=person.name, slug="the-person-party")
    grow(case, person, 2)

    def more():
        grow(case, person, 30)

    return {"court": court, "case": case, "person": person, "more": more}


def assert_fixed(client, django_assert_num_queries, world, url, expected, **query):
    with django_assert_num_queries(expected):
        small = client.get(url, query)
    assert small.status_code == 200
    world["more"]()
    with django_assert_num_queries(expected):
        large = client.get(url, query)
    assert large.status_code == 200
    assert len(large.content) > len(small.content)  # the larger dataset did reach the page


def test_home(client, django_assert_num_queries, world):
    # Home shows at most ten of each list: its size grows with the number of courts only.
    with django_assert_num_queries(HOME):
        small = client.get(reverse("cases:home"))
    world["more"]()
    with django_assert_num_queries(HOME):
        large = client.get(reverse("cases:home"))
    assert small.status_code == large.status_code == 200
    assert large.content.count(b'class="court-card"') > small.content.count(b'class="court-card"')


def test_case_list(client, django_assert_num_queries, world):
    assert_fixed(client, django_assert_num_queries, world, reverse("cases:case_list"), CASE_LIST)


@pytest.mark.parametrize(
    ("query", "extra"),
    [
        ({"court": "icj", "sort": "updated"}, 0),
        # A person is not among the listed parties: one more query finds them.
        ({"party": "the-person-party", "status": "pending", "sort": "title"}, 1),
        ({"kind": "case", "sort": "oldest", "page": "2"}, 0),
        ({"year": "banana"}, 0),
    ],
)
def test_case_list_with_filters(client, django_assert_num_queries, world, query, extra):
    with django_assert_num_queries(CASE_LIST + extra):
        assert client.get(reverse("cases:case_list"), query).status_code == 200
    world["more"]()
    with django_assert_num_queries(CASE_LIST + extra):
        assert client.get(reverse("cases:case_list"), query).status_code == 200


def test_case_page(client, django_assert_num_queries, world):
    assert_fixed(client, django_assert_num_queries, world, world["case"].get_absolute_url(), CASE_PAGE)


def test_case_page_leaves_the_text_of_documents_its_events_and_warrants_link_to(client):
    case = CaseFactory()
    filing = FilingFactory(case=case, text="extracted " * 1000)
    EventFactory(case=case, filing=filing)
    WarrantFactory(case=case, filing=filing)
    loaded = client.get(case.get_absolute_url()).context["case"]
    linked = [loaded.events.all()[0].filing, loaded.warrants.all()[0].filing]
    assert [f.get_deferred_fields() for f in linked] == [{"text"}, {"text"}]
    assert [f.title for f in linked] == [filing.title, filing.title]


def test_case_page_chart_and_citations_take_no_query_of_their_own(client, django_assert_num_queries, world):
    """The timeline chart and the case's "Cite this" box come from what the page has loaded anyway; the documents
    are listed a page at a time, each linking to its own page with its citation."""
    world["more"]()
    case = world["case"]
    with django_assert_num_queries(CASE_PAGE):
        html = client.get(case.get_absolute_url()).content.decode()
    filings = case.filings.count()
    assert filings > FILINGS_PER_PAGE
    assert 'class="tl__svg" role="img"' in html
    assert html.count('<g class="tl__item') >= case.events.count()
    assert html.count('class="small filing-cite"') == FILINGS_PER_PAGE
    assert html.count('class="Z3988"') == 1
    assert '<meta name="citation_title"' in html
    with django_assert_num_queries(CASE_PAGE):
        second = client.get(case.get_absolute_url(), {"page": "2"}).content.decode()
    assert second.count('class="small filing-cite"') == min(filings - FILINGS_PER_PAGE, FILINGS_PER_PAGE)


def test_document_page(client, django_assert_num_queries, world):
    filing = world["case"].filings.first()
    with django_assert_num_queries(DOCUMENT_PAGE):
        assert client.get(filing.get_absolute_url()).status_code == 200


def test_court_page(client, django_assert_num_queries, world):
    assert_fixed(client, django_assert_num_queries, world, world["court"].get_absolute_url(), COURT_PAGE)


def test_person_page(client, django_assert_num_queries, world):
    assert_fixed(client, django_assert_num_queries, world, world["person"].get_absolute_url(), PERSON_PAGE)


def test_court_list(client, django_assert_num_queries, world):
    assert_fixed(client, django_assert_num_queries, world, reverse("cases:court_list"), COURT_LIST)
