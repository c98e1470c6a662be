"""The read-only JSON API: shapes, filters, cursor pages, the schema and docs, throttling, and fixed query counts."""

import datetime
import itertools
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema

from cases import export
from cases.models import Case, Event, Filing, Participation, Party, Warrant
from cases.ratelimit import AnonRateLimit
from tests import test_export
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

# The export's own fixture: one ICC case with every kind of record, and links both ways.
icc_case = test_export.icc_case

CASE_SUMMARY_KEYS = [
    "court",
    "reference",
    "slug",
    "page",
    "kind",
    "parent",
    "title",
    "title_fr",
    "short_title",
    "short_title_fr",
    "status",
    "stage",
    "status_changed_on",
    "instituted_on",
    "concluded_on",
    "summary",
    "official_url",
    "source_url",
    "source_note",
    "last_activity",
    "url",
]
COURT_KEYS = ["code", "name", "name_fr", "website", "page", "num_cases", "num_pending", "url"]
FILING_KEYS = ["id", "case", "court", *sorted(test_export.FILING_KEYS), "missing_since", "first_seen_at"]
EVENT_KEYS = ["id", "case", "court", *sorted(test_export.EVENT_KEYS), "filing", "created_at"]
WARRANT_KEYS = ["id", "case", "court", *sorted(test_export.WARRANT_KEYS), "filing"]
PERSON_KEYS = ["slug", "name", "description", "page", "source_url", "source_note", "url"]


CLIENT_ADDRESSES = ("127.0.0.1", "192.0.2.7")


def get(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, (url, params, response.content[:500])
    return response.json() if response["Content-Type"].startswith("application/json") else response


def results(client, url, params=None):
    return get(client, url, params)["results"]


# The shape of each endpoint.


def test_root_lists_every_endpoint(client):
    assert set(get(client, "/api/")) == {"courts", "cases", "filings", "events", "warrants", "persons"}


def test_case_detail_is_the_export_record(client, icc_case):
    """The same serializer: the detail is the export's record for that case, key for key and in order."""
    records = {record["slug"]: record for record in json.loads(export.dumps(export.export_cases()))["cases"]}

    for slug, record in records.items():
        detail = get(client, f"/api/cases/{slug}/")
        assert detail == record
        assert list(detail) == list(record)
        test_export.assert_schema(detail)
    assert records["prosecutor-v-doe"]["related"] == ["alpha", "zeta"]


def test_case_list_is_the_record_without_its_lists(client, icc_case):
    rows = {row["slug"]: row for row in results(client, "/api/cases/")}

    assert set(rows) == {"prosecutor-v-doe", "situation-in-ruritania", "alpha", "zeta"}
    row = rows["prosecutor-v-doe"]
    assert list(row) == CASE_SUMMARY_KEYS
    assert row["url"] == "http://testserver/api/cases/prosecutor-v-doe/"
    assert row["parent"] == "situation-in-ruritania"
    record = get(client, row["url"])
    assert {key: row[key] for key in CASE_SUMMARY_KEYS[:-2]} == {key: record[key] for key in CASE_SUMMARY_KEYS[:-2]}
    assert datetime.datetime.fromisoformat(row["last_activity"])


def test_courts(client):
    icj = CourtFactory(code="ICJ", name_en="International Court of Justice", name_fr="Cour internationale de Justice")
    CaseFactory.create_batch(2, court=icj)
    CaseFactory(court=icj, status=Case.Status.CONCLUDED)
    CourtFactory(code="ICC")

    rows = results(client, "/api/courts/")

    assert [row["code"] for row in rows] == ["ICC", "ICJ"]
    assert rows[1] == {
        "code": "ICJ",
        "name": "International Court of Justice",
        "name_fr": "Cour internationale de Justice",
        "website": "https://court.example/",
        "page": "/courts/icj/",
        "num_cases": 3,
        "num_pending": 2,
        "url": "http://testserver/api/courts/ICJ/",
    }
    assert list(rows[0]) == COURT_KEYS
    # Codes are matched as typed, as on the court pages.
    assert get(client, "/api/courts/icj/") == get(client, "/api/courts/ICJ/") == rows[1]


def test_filings_events_warrants_and_persons(client, icc_case):
    filings = results(client, "/api/filings/")
    events = results(client, "/api/events/")
    warrants = results(client, "/api/warrants/")
    persons = results(client, "/api/persons/")

    assert len(filings) == 4 and len(events) == 2 and len(warrants) == 2
    for name, rows, keys in (("filings", filings, FILING_KEYS), ("events", events, EVENT_KEYS)):
        for row in rows:
            assert sorted(row) == sorted(keys), name
            assert (row["case"], row["court"]) == ("prosecutor-v-doe", "ICC")
            assert get(client, f"/api/{name}/{row['id']}/") == row
    for row in warrants:
        assert sorted(row) == sorted(WARRANT_KEYS)
        assert get(client, f"/api/warrants/{row['id']}/") == row

    # On its own, a filing is its record in the case plus what says where it belongs.
    record = get(client, "/api/cases/prosecutor-v-doe/")
    decision_a = next(row for row in filings if row["title"] == "Decision A")
    assert {key: decision_a[key] for key in test_export.FILING_KEYS} == next(
        item for item in record["filings"] if item["title"] == "Decision A"
    )
    doe = next(row for row in warrants if row["person_slug"] == "john-doe")
    assert {key: doe[key] for key in test_export.WARRANT_KEYS} == record["warrants"][0]

    assert [row["slug"] for row in persons] == ["john-doe", "richard-roe"]
    assert list(persons[0]) == PERSON_KEYS
    assert persons[0]["page"] == "/persons/john-doe/"
    person = get(client, "/api/persons/john-doe/")
    assert list(person) == [*PERSON_KEYS, "warrants"]
    assert [warrant["id"] for warrant in person["warrants"]] == [doe["id"]]
    assert person["warrants"][0] == doe


@pytest.mark.parametrize(
    "url",
    [
        "/api/cases/no-such-case/",
        "/api/courts/XYZ/",
        "/api/persons/nobody/",
        "/api/filings/999999/",
        "/api/events/999999/",
        "/api/warrants/999999/",
        "/api/nothing/",
    ],
)
def test_unknown_records_are_404(client, url):
    assert client.get(url).status_code == 404


def test_a_former_slug_redirects_to_the_case(client):
    case = CaseFactory(slug="old-name")
    case.slug = "new-name"
    case.save()

    response = client.get("/api/cases/old-name/")

    assert response.status_code == 301
    assert response["Location"] == "/api/cases/new-name/"
    assert get(client, response["Location"])["slug"] == "new-name"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_write_methods_are_refused(client, method, icc_case):
    filing = icc_case.filings.first()
    for url in [
        "/api/cases/",
        "/api/cases/prosecutor-v-doe/",
        "/api/courts/ICC/",
        f"/api/filings/{filing.pk}/",
        "/api/events/",
        "/api/warrants/",
        "/api/persons/john-doe/",
    ]:
        response = getattr(client, method)(url, data="{}", content_type="application/json")
        assert response.status_code == 405, (method, url)
    assert Case.objects.filter(slug="prosecutor-v-doe").exists()


# Filters.


@pytest.fixture
def records(db):
    """Two courts, five cases, and filings, events and warrants that differ in every filtered field."""
    icj, icc = CourtFactory(code="ICJ"), CourtFactory(code="ICC")
    gaza = CaseFactory(court=icj, slug="gaza", instituted_on=datetime.date(2023, 12, 29))
    ukraine = CaseFactory(
        court=icj,
        slug="ukraine",
        status=Case.Status.CONCLUDED,
        stage="judgment_delivered",
        instituted_on=datetime.date(2022, 2, 26),
    )
    CaseFactory(
        court=icj,
        slug="climate",
        kind=Case.Kind.ADVISORY,
        status=Case.Status.CONCLUDED,
        stage="opinion_delivered",
        instituted_on=datetime.date(2023, 3, 29),
    )
    palestine = CaseFactory(
        court=icc,
        slug="palestine",
        kind=Case.Kind.SITUATION,
        stage="investigation",
        instituted_on=datetime.date(2021, 3, 3),
    )
    accused = CaseFactory(
        court=icc,
        slug="prosecutor-v-x",
        kind=Case.Kind.CASE,
        parent=palestine,
        stage="warrant_issued",
        instituted_on=datetime.date(2024, 11, 21),
    )
    ParticipationFactory(case=gaza, party=PartyFactory(slug="south-africa"), role=Participation.Role.APPLICANT)

    FilingFactory(case=gaza, title="Order EN", kind=Filing.Kind.ORDER, language="en", date=datetime.date(2024, 1, 26))
    FilingFactory(case=gaza, title="Order FR", kind=Filing.Kind.ORDER, language="fr", date=datetime.date(2024, 1, 26))
    FilingFactory(case=ukraine, title="Judgment", kind=Filing.Kind.JUDGMENT, date=datetime.date(2024, 1, 31))
    FilingFactory(case=accused, title="Warrant", kind=Filing.Kind.WARRANT_OF_ARREST, date=datetime.date(2024, 11, 21))

    EventFactory(case=gaza, title="Hearing", kind=Event.Kind.HEARING, date=datetime.date(2024, 1, 11))
    EventFactory(case=ukraine, title="Judgment day", kind=Event.Kind.JUDGMENT, date=datetime.date(2024, 1, 31))
    EventFactory(case=accused, title="Warrants issued", kind=Event.Kind.WARRANT, date=datetime.date(2024, 11, 21))

    issued = datetime.date(2024, 11, 21)
    WarrantFactory(case=accused, person=PersonFactory(slug="person-a"), issued_on=issued)
    WarrantFactory(
        case=accused, person=PersonFactory(slug="person-b"), issued_on=issued, status=Warrant.Status.EXECUTED
    )
    WarrantFactory(
        case=palestine,
        person=PersonFactory(slug="person-c"),
        issued_on=datetime.date(2023, 1, 1),
        status=Warrant.Status.WITHDRAWN,
    )


IDENTIFIER = {"cases": "slug", "filings": "title", "events": "title", "warrants": "person_slug"}


@pytest.mark.parametrize(
    ("endpoint", "params", "expected"),
    [
        ("cases", {}, {"gaza", "ukraine", "climate", "palestine", "prosecutor-v-x"}),
        ("cases", {"court": "ICC"}, {"palestine", "prosecutor-v-x"}),
        ("cases", {"court": "icc"}, {"palestine", "prosecutor-v-x"}),
        ("cases", {"status": "concluded"}, {"ukraine", "climate"}),
        ("cases", {"kind": "advisory"}, {"climate"}),
        ("cases", {"stage": "warrant_issued"}, {"prosecutor-v-x"}),
        ("cases", {"parent": "palestine"}, {"prosecutor-v-x"}),
        ("cases", {"party": "south-africa"}, {"gaza"}),
        ("cases", {"instituted_after": "2023-03-29"}, {"gaza", "climate", "prosecutor-v-x"}),
        ("cases", {"instituted_before": "2022-02-26"}, {"ukraine", "palestine"}),
        ("cases", {"court": "ICJ", "status": "pending"}, {"gaza"}),
        ("filings", {"case": "gaza"}, {"Order EN", "Order FR"}),
        ("filings", {"court": "ICC"}, {"Warrant"}),
        ("filings", {"kind": "judgment"}, {"Judgment"}),
        ("filings", {"language": "fr"}, {"Order FR"}),
        ("filings", {"date_after": "2024-01-31"}, {"Judgment", "Warrant"}),
        ("filings", {"date_before": "2024-01-26"}, {"Order EN", "Order FR"}),
        ("events", {"case": "ukraine"}, {"Judgment day"}),
        ("events", {"court": "icj"}, {"Hearing", "Judgment day"}),
        ("events", {"kind": "hearing"}, {"Hearing"}),
        ("events", {"date_after": "2024-01-31"}, {"Judgment day", "Warrants issued"}),
        ("events", {"date_before": "2024-01-11"}, {"Hearing"}),
        ("warrants", {"case": "prosecutor-v-x"}, {"person-a", "person-b"}),
        ("warrants", {"court": "ICC"}, {"person-a", "person-b", "person-c"}),
        ("warrants", {"status": "executed"}, {"person-b"}),
        ("warrants", {"person": "person-c"}, {"person-c"}),
        ("warrants", {"issued_after": "2024-01-01"}, {"person-a", "person-b"}),
        ("warrants", {"issued_before": "2024-01-01"}, {"person-c"}),
    ],
)
def test_filters(client, records, endpoint, params, expected):
    rows = results(client, f"/api/{endpoint}/", params)
    assert {row[IDENTIFIER[endpoint]] for row in rows} == expected


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("cases", {"status": "open"}),
        ("cases", {"instituted_after": "last year"}),
        ("cases", {"updated_since": "yesterday"}),
        ("filings", {"kind": "memo"}),
        ("events", {"date_before": "2024-13-01"}),
        ("warrants", {"status": "lost"}),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_it(client, records, endpoint, params):
    response = client.get(f"/api/{endpoint}/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


BEFORE = datetime.datetime(2031, 1, 1, 9, 0, tzinfo=datetime.UTC)
SINCE = datetime.datetime(2031, 2, 1, 9, 0, tzinfo=datetime.UTC)


def updated_since(client, endpoint, key):
    for value in (SINCE.isoformat(), "2031-02-01T09:00:00Z", "2031-02-01T09:00:00"):
        rows = results(client, f"/api/{endpoint}/", {"updated_since": value})
        yield {row[key] for row in rows}


def test_updated_since_on_cases_counts_edits_and_new_filings(client, time_machine):
    time_machine.move_to(BEFORE, tick=False)
    CaseFactory(slug="untouched")
    edited = CaseFactory(slug="edited")
    with_new_filing = CaseFactory(slug="with-new-filing")
    FilingFactory(case=with_new_filing)

    time_machine.move_to(SINCE, tick=False)
    edited.summary = "Corrected."
    edited.save()
    FilingFactory(case=with_new_filing)

    assert list(updated_since(client, "cases", "slug")) == [{"edited", "with-new-filing"}] * 3
    rows = {row["slug"]: row for row in results(client, "/api/cases/")}
    assert rows["with-new-filing"]["last_activity"] == "2031-02-01T09:00:00Z"
    assert rows["untouched"]["last_activity"] == "2031-01-01T09:00:00Z"


def test_updated_since_on_filings_counts_new_and_changed_filings(client, time_machine):
    time_machine.move_to(BEFORE, tick=False)
    FilingFactory(title="untouched")
    corrected = FilingFactory(title="to correct")
    missing = FilingFactory(title="missing")
    checked = FilingFactory(title="link checked")

    time_machine.move_to(SINCE, tick=False)
    corrected.title = "corrected"
    corrected.save()
    missing.missing_since = SINCE.date()
    missing.save()
    FilingFactory(title="new")
    # The link checker writes without history: not news.
    Filing.objects.filter(pk=checked.pk).update(link_status=Filing.LinkStatus.OK)

    assert list(updated_since(client, "filings", "title")) == [{"corrected", "missing", "new"}] * 3


def test_updated_since_on_events_and_warrants(client, time_machine):
    time_machine.move_to(BEFORE, tick=False)
    EventFactory(title="old")
    WarrantFactory(person=PersonFactory(slug="untouched"))
    executed = WarrantFactory(person=PersonFactory(slug="executed"))

    time_machine.move_to(SINCE, tick=False)
    EventFactory(title="new")
    executed.status = Warrant.Status.EXECUTED
    executed.save()
    WarrantFactory(person=PersonFactory(slug="new"))

    assert list(updated_since(client, "events", "title")) == [{"new"}] * 3
    assert list(updated_since(client, "warrants", "person_slug")) == [{"executed", "new"}] * 3


# Cursor pages.

MAKERS = {
    "cases": (lambda n: CaseFactory.create_batch(n), "slug"),
    "courts": (lambda n: CourtFactory.create_batch(n), "code"),
    "filings": (lambda n: FilingFactory.create_batch(n), "id"),
    "events": (lambda n: EventFactory.create_batch(n), "id"),
    "warrants": (lambda n: WarrantFactory.create_batch(n), "id"),
    "persons": (lambda n: PersonFactory.create_batch(n), "slug"),
}


@pytest.mark.parametrize("endpoint", list(MAKERS))
def test_cursor_pages_cover_every_row_once(client, endpoint):
    make, key = MAKERS[endpoint]
    make(7)
    everything = [row[key] for row in results(client, f"/api/{endpoint}/")]
    assert len(everything) == len(set(everything)) >= 7

    seen, url, pages = [], f"/api/{endpoint}/?page_size=3", 0
    while url:
        page = get(client, url)
        assert len(page["results"]) <= 3
        seen += [row[key] for row in page["results"]]
        url, pages = page["next"], pages + 1
        if pages == 1:
            # Rows added while a client pages through neither repeat a row nor make it miss one.
            make(2)

    assert len(seen) == len(set(seen))
    if endpoint in ("courts", "persons"):
        # Ordered by code or slug: a row added mid-way may fall in a page not read yet, never twice.
        assert [key for key in seen if key in everything] == everything
    else:
        assert seen == everything
        assert pages == 3


def test_a_cursor_page_links_back(client):
    CaseFactory.create_batch(5)
    first = get(client, "/api/cases/", {"page_size": 2})
    second = get(client, first["next"])

    assert first["previous"] is None
    assert get(client, second["previous"])["results"] == first["results"]
    assert client.get("/api/cases/", {"cursor": "not-a-cursor"}).status_code == 404


def test_page_size_is_capped(client):
    CourtFactory.create_batch(3)
    assert len(results(client, "/api/courts/", {"page_size": 2})) == 2
    assert len(results(client, "/api/courts/", {"page_size": 100000})) == 3


# The schema and the docs page.


def test_schema_is_valid_openapi_listing_every_endpoint(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for name, lookup in [
        ("courts", "code"),
        ("cases", "slug"),
        ("filings", "id"),
        ("events", "id"),
        ("warrants", "id"),
        ("persons", "slug"),
    ]:
        assert set(schema["paths"][f"/api/{name}/"]) == {"get"}
        assert set(schema["paths"][f"/api/{name}/{{{lookup}}}/"]) == {"get"}
    case_list = schema["paths"]["/api/cases/"]["get"]
    assert {"court", "status", "kind", "stage", "instituted_after", "updated_since", "cursor"} <= {
        parameter["name"] for parameter in case_list["parameters"]
    }
    record = schema["components"]["schemas"]["CaseRecord"]["properties"]
    assert set(record) == test_export.CASE_KEYS


def test_docs_page_lists_endpoints_and_loads_nothing_from_elsewhere(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    for path in ["/api/cases/", "/api/cases/{slug}/", "/api/filings/", "/api/persons/{slug}/", "/api/courts/{code}/"]:
        assert f"<code>GET {path}</code>" in html
    assert "updated_since" in html and "instituted_after" in html and "date_before" in html
    # Scripts, styles, images and fonts come from this site only: no CDN.
    external = re.findall(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", html, re.I)
    assert external == []
    assert "@import" not in html and "url(http" not in html


# Throttling.


def test_anonymous_clients_are_throttled(client, settings, monkeypatch):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
    # DRF reads the rates into the class when it is imported; this applies the new setting as a restart would.
    monkeypatch.setattr(AnonRateLimit, "THROTTLE_RATES", settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])

    statuses = [client.get("/api/courts/").status_code for _ in range(3)]
    throttled = client.get("/api/cases/")

    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    # Another client is not held back by the first.
    assert client.get("/api/courts/", REMOTE_ADDR=CLIENT_ADDRESSES[1]).status_code == 200


# A fixed number of queries, however many rows.

_serial = itertools.count()


class World:
    """Records that every endpoint shows, grown `size` at a time, all hanging off the same few records."""

    def __init__(self):
        self.court = CourtFactory(code="ICC")
        self.situation = CaseFactory(
            court=self.court, slug="situation", kind=Case.Kind.SITUATION, stage="investigation"
        )
        self.person = PersonFactory(slug="wanted")
        self.party = PartyFactory(slug="wanted", kind=Party.Kind.PERSON, person=self.person)
        self.filing = self.event = self.warrant = None

    def grow(self, size):
        for _ in range(size):
            n = next(_serial)
            case = CaseFactory(court=self.court, parent=self.situation, kind=Case.Kind.CASE, stage="trial")
            person = PersonFactory()
            ParticipationFactory(
                case=self.situation, party=PartyFactory(kind=Party.Kind.PERSON, person=person), role="suspect"
            )
            ParticipationFactory(case=case, role=Participation.Role.REFERRING_STATE)
            ParticipationFactory(case=case, party=self.party, role=Participation.Role.ACCUSED)
            self.filing = FilingFactory(case=self.situation, title=f"Decision {n}")
            FilingFactory(case=case)
            self.event = EventFactory(case=self.situation, filing=self.filing)
            self.warrant = WarrantFactory(case=self.situation, person=person, filing=self.filing)
            WarrantFactory(case=case, person=self.person, filing=self.filing)
            CaseRelationFactory(from_case=case, to_case=self.situation)
            CaseRelationFactory(from_case=self.situation, to_case=case)
            CourtFactory()

    def urls(self):
        return {
            "courts": "/api/courts/",
            "court": "/api/courts/icc/",
            "cases": "/api/cases/",
            "cases filtered": "/api/cases/?court=ICC&status=pending&updated_since=2000-01-01T00:00:00Z&party=wanted",
            "case": "/api/cases/situation/",
            "filings": "/api/filings/?updated_since=2000-01-01T00:00:00Z",
            "filing": f"/api/filings/{self.filing.pk}/",
            "events": "/api/events/",
            "event": f"/api/events/{self.event.pk}/",
            "warrants": "/api/warrants/?updated_since=2000-01-01T00:00:00Z",
            "warrant": f"/api/warrants/{self.warrant.pk}/",
            "persons": "/api/persons/",
            "person": "/api/persons/wanted/",
        }


# The counts today. Lower is welcome (update the number); higher needs a reason.
QUERIES = {
    "courts": 1,  # courts with their counts
    "court": 1,
    "cases": 1,  # cases with court and parent, and their last activity
    "cases filtered": 1,
    "case": 8,  # the case (court, parent) and its 7 lists, as the export loads it
    "filings": 1,  # filings with case and court
    "filing": 1,
    "events": 1,
    "event": 1,
    "warrants": 1,  # warrants with case, court and person
    "warrant": 1,
    "persons": 1,
    "person": 2,  # the person; their warrants with case and court
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_count_does_not_grow(client, django_assert_num_queries, name):
    world = World()
    world.grow(3)
    with CaptureQueriesContext(connection) as small:
        get(client, world.urls()[name])

    world.grow(27)
    with django_assert_num_queries(len(small)):
        get(client, world.urls()[name])

    assert len(small) == QUERIES[name]
