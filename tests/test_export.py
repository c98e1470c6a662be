"""The bulk export: its exact shape, its order, its options, and a query count that does not grow."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cases import export
from cases.models import Case, Event, Participation, Party, Warrant
from cases.services import read_seed_files
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

CASE_KEYS = {
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
    "parties",
    "filings",
    "events",
    "warrants",
    "related",
}
PARTY_KEYS = {"name", "kind", "role", "joined_on", "withdrawn_on", "source_url", "source_note"}
FILING_KEYS = {"date", "title", "kind", "language", "reference", "url", "source_url", "source_note"}
EVENT_KEYS = {"date", "precision", "end_date", "kind", "title", "source_url", "source_note"}
WARRANT_KEYS = {
    "person",
    "person_slug",
    "issued_on",
    "made_public_on",
    "under_seal",
    "issued_by",
    "charges",
    "status",
    "status_on",
    "source_url",
    "source_note",
}
CASE_DATES = ("status_changed_on", "instituted_on", "concluded_on")
LIST_DATES = {
    "parties": ("joined_on", "withdrawn_on"),
    "filings": ("date",),
    "events": ("date", "end_date"),
    "warrants": ("issued_on", "made_public_on", "status_on"),
}


def run_export(*args):
    out = io.StringIO()
    call_command("export_cases", *args, stdout=out)
    return json.loads(out.getvalue())


def assert_schema(case):
    """Every key in place, and every date ISO 8601 or null."""
    assert set(case) == CASE_KEYS
    for name, keys in (("parties", PARTY_KEYS), ("filings", FILING_KEYS), ("events", EVENT_KEYS)):
        assert all(set(item) == keys for item in case[name]), name
    assert all(set(item) == WARRANT_KEYS for item in case["warrants"])
    for key in CASE_DATES:
        assert case[key] is None or datetime.date.fromisoformat(case[key])
    for name, keys in LIST_DATES.items():
        for item in case[name]:
            for key in keys:
                assert item[key] is None or datetime.date.fromisoformat(item[key]), (name, key, item[key])
    assert case["related"] == sorted(set(case["related"]))


@pytest.fixture
def icc_case(db):
    """An ICC case in a situation, with parties, filings, events, warrants and links both ways."""
    icc = CourtFactory(code="ICC", name_en="International Criminal Court")
    situation = CaseFactory(
        court=icc,
        kind=Case.Kind.SITUATION,
        stage="investigation",
        reference="ICC-01/30",
        slug="situation-in-ruritania",
    )
    case = CaseFactory(
        court=icc,
        kind=Case.Kind.CASE,
        parent=situation,
        reference="ICC-01/30-01/31",
        slug="prosecutor-v-doe",
        title_en="The Prosecutor v. John Doe",
        title_fr="Le Procureur c. John Doe",
        short_title_en="Doe",
        short_title_fr="Doe",
        status=Case.Status.PENDING,
        stage="warrant_issued",
        status_changed_on=datetime.date(2031, 3, 7),
        instituted_on=datetime.date(2031, 3, 7),
        concluded_on=None,
        summary="Charged with war crimes.",
        official_url="https://www.icc-cpi.int/ruritania/doe",
        source_url="https://www.icc-cpi.int/ruritania/doe",
    )
    doe = PersonFactory(name="John Doe", slug="john-doe")
    roe = PersonFactory(name="Richard Roe", slug="richard-roe")
    prosecutor = PartyFactory(name="Office of the Prosecutor", slug="otp", kind=Party.Kind.ORGANISATION)
    suspect = PartyFactory(name="John Doe", slug="john-doe", kind=Party.Kind.PERSON, person=doe)
    ivory_coast = PartyFactory(name="Côte d'Ivoire", slug="cote-d-ivoire")
    ParticipationFactory(
        case=case,
        party=ivory_coast,
        role=Participation.Role.PARTICIPANT,
        joined_on=datetime.date(2031, 6, 1),
        withdrawn_on=datetime.date(2031, 9, 1),
        source_url="https://www.icc-cpi.int/ruritania/doe/participants",
        source_note="Press release ICC-CPI-20310601",
    )
    ParticipationFactory(case=case, party=suspect, role=Participation.Role.SUSPECT, source_url="")
    ParticipationFactory(case=case, party=prosecutor, role=Participation.Role.PROSECUTOR, source_url="")
    # Created out of order: the export sorts by date (undated first), then title.
    FilingFactory(
        case=case, title="Decision B", kind="decision", date=datetime.date(2031, 4, 1), url="https://icc.example/b.pdf"
    )
    FilingFactory(
        case=case,
        title="Undated note",
        kind="other",
        date=None,
        language="",
        url="",
        source_url="https://icc.example/notes",
        source_note="reported by a newspaper",
    )
    FilingFactory(
        case=case,
        title="Decision A",
        kind="decision",
        date=datetime.date(2031, 4, 1),
        language="fr",
        reference="ICC-01/30-01/31-12",
        url="https://icc.example/a.pdf",
    )
    FilingFactory(
        case=case,
        title="Warrant of arrest for John Doe",
        kind="warrant_of_arrest",
        date=datetime.date(2031, 3, 7),
        reference="ICC-01/30-01/31-1",
        url="https://icc.example/warrant.pdf",
    )
    EventFactory(
        case=case,
        date=datetime.date(2031, 5, 1),
        precision=Event.Precision.MONTH,
        kind=Event.Kind.ARREST,
        title="Arrested",
        source_url="https://icc.example/arrest",
    )
    EventFactory(
        case=case,
        date=datetime.date(2031, 3, 7),
        end_date=datetime.date(2031, 3, 8),
        kind=Event.Kind.WARRANT,
        title="Warrant issued",
        source_url="https://icc.example/warrant",
    )
    WarrantFactory(
        case=case,
        person=roe,
        issued_on=datetime.date(2031, 8, 1),
        status=Warrant.Status.OUTSTANDING,
        source_url="https://icc.example/roe",
    )
    WarrantFactory(
        case=case,
        person=doe,
        issued_on=datetime.date(2031, 3, 7),
        made_public_on=datetime.date(2031, 3, 10),
        under_seal=True,
        issued_by="Pre-Trial Chamber I",
        charges="War crimes",
        status=Warrant.Status.EXECUTED,
        status_on=datetime.date(2031, 5, 1),
        source_url="https://icc.example/doe",
    )
    # Related both ways, and once in both directions, which must appear once.
    later = CaseFactory(court=icc, kind=Case.Kind.CASE, parent=situation, reference="ICC-01/30-01/32", slug="zeta")
    earlier = CaseFactory(court=icc, kind=Case.Kind.CASE, reference="ICC-01/29-01/30", slug="alpha")
    CaseRelationFactory(from_case=case, to_case=later)
    CaseRelationFactory(from_case=later, to_case=case)
    CaseRelationFactory(from_case=earlier, to_case=case)
    return case


def test_a_case_in_full(icc_case, time_machine):
    time_machine.move_to(datetime.datetime(2031, 10, 1, 12, 0, 0, 250, tzinfo=datetime.UTC), tick=False)

    document = run_export()

    assert list(document) == ["schema_version", "exported_at", "cases"]
    assert document["schema_version"] == 1
    assert document["exported_at"] == "2031-10-01T12:00:00+00:00"
    case = next(case for case in document["cases"] if case["slug"] == "prosecutor-v-doe")
    assert_schema(case)
    assert case == {
        "court": "ICC",
        "reference": "ICC-01/30-01/31",
        "slug": "prosecutor-v-doe",
        "page": "/cases/prosecutor-v-doe/",
        "kind": "case",
        "parent": "situation-in-ruritania",
        "title": "The Prosecutor v. John Doe",
        "title_fr": "Le Procureur c. John Doe",
        "short_title": "Doe",
        "short_title_fr": "Doe",
        "status": "pending",
        "stage": "warrant_issued",
        "status_changed_on": "2031-03-07",
        "instituted_on": "2031-03-07",
        "concluded_on": None,
        "summary": "Charged with war crimes.",
        "official_url": "https://www.icc-cpi.int/ruritania/doe",
        "source_url": "https://www.icc-cpi.int/ruritania/doe",
        "source_note": "",
        "parties": [
            {
                "name": "John Doe",
                "kind": "person",
                "role": "suspect",
                "joined_on": None,
                "withdrawn_on": None,
                "source_url": "",
                "source_note": "",
            },
            {
                "name": "Office of the Prosecutor",
                "kind": "organisation",
                "role": "prosecutor",
                "joined_on": None,
                "withdrawn_on": None,
                "source_url": "",
                "source_note": "",
            },
            {
                "name": "Côte d'Ivoire",
                "kind": "state",
                "role": "participant",
                "joined_on": "2031-06-01",
                "withdrawn_on": "2031-09-01",
                "source_url": "https://www.icc-cpi.int/ruritania/doe/participants",
                "source_note": "Press release ICC-CPI-20310601",
            },
        ],
        "filings": [
            {
                "date": None,
                "title": "Undated note",
                "kind": "other",
                "language": "",
                "reference": "",
                "url": "",
                "source_url": "https://icc.example/notes",
                "source_note": "reported by a newspaper",
            },
            {
                "date": "2031-03-07",
                "title": "Warrant of arrest for John Doe",
                "kind": "warrant_of_arrest",
                "language": "en",
                "reference": "ICC-01/30-01/31-1",
                "url": "https://icc.example/warrant.pdf",
                "source_url": "",
                "source_note": "",
            },
            {
                "date": "2031-04-01",
                "title": "Decision A",
                "kind": "decision",
                "language": "fr",
                "reference": "ICC-01/30-01/31-12",
                "url": "https://icc.example/a.pdf",
                "source_url": "",
                "source_note": "",
            },
            {
                "date": "2031-04-01",
                "title": "Decision B",
                "kind": "decision",
                "language": "en",
                "reference": "",
                "url": "https://icc.example/b.pdf",
                "source_url": "",
                "source_note": "",
            },
        ],
        "events": [
            {
                "date": "2031-03-07",
                "precision": "day",
                "end_date": "2031-03-08",
                "kind": "warrant",
                "title": "Warrant issued",
                "source_url": "https://icc.example/warrant",
                "source_note": "",
            },
            {
                "date": "2031-05-01",
                "precision": "month",
                "end_date": None,
                "kind": "arrest",
                "title": "Arrested",
                "source_url": "https://icc.example/arrest",
                "source_note": "",
            },
        ],
        "warrants": [
            {
                "person": "John Doe",
                "person_slug": "john-doe",
                "issued_on": "2031-03-07",
                "made_public_on": "2031-03-10",
                "under_seal": True,
                "issued_by": "Pre-Trial Chamber I",
                "charges": "War crimes",
                "status": "executed",
                "status_on": "2031-05-01",
                "source_url": "https://icc.example/doe",
                "source_note": "",
            },
            {
                "person": "Richard Roe",
                "person_slug": "richard-roe",
                "issued_on": "2031-08-01",
                "made_public_on": None,
                "under_seal": False,
                "issued_by": "",
                "charges": "",
                "status": "outstanding",
                "status_on": None,
                "source_url": "https://icc.example/roe",
                "source_note": "",
            },
        ],
        "related": ["alpha", "zeta"],
    }
    situation = next(case for case in document["cases"] if case["slug"] == "situation-in-ruritania")
    assert_schema(situation)
    assert situation["parent"] is None
    assert situation["related"] == situation["parties"] == situation["filings"] == []


def test_page_is_the_case_url(icc_case):
    case = next(case for case in run_export()["cases"] if case["slug"] == icc_case.slug)
    assert case["page"] == icc_case.get_absolute_url() == "/cases/prosecutor-v-doe/"


def test_cases_sorted_by_court_then_reference_then_slug(db):
    icj, icc = CourtFactory(code="ICJ"), CourtFactory(code="ICC")
    for court, reference, slug in [
        (icj, "192", "gaza"),
        (icj, "", "b-no-reference"),
        (icc, "ICC-02/05", "darfur"),
        (icj, "2", "corfu"),
        (icj, "", "a-no-reference"),
        (icc, "ICC-01/18", "palestine"),
    ]:
        CaseFactory(court=court, reference=reference, slug=slug)

    slugs = [case["slug"] for case in run_export()["cases"]]

    # General List numbers in numeric order: No. 2 before No. 192.
    assert slugs == ["palestine", "darfur", "a-no-reference", "b-no-reference", "corfu", "gaza"]


def test_output_is_utf8_json_indented_and_identical_run_to_run(icc_case, time_machine):
    time_machine.move_to(datetime.datetime(2031, 10, 1, tzinfo=datetime.UTC), tick=False)
    first, second = io.StringIO(), io.StringIO()
    call_command("export_cases", stdout=first)
    call_command("export_cases", stdout=second)

    text = first.getvalue()
    assert text == second.getvalue()
    assert "Côte d'Ivoire" in text and "\\u00f4" not in text
    assert text.startswith('{\n  "schema_version": 1,\n')
    assert text.endswith("}\n")


def test_court_filter(icc_case):
    CaseFactory(court=CourtFactory(code="ICJ"), slug="gaza")

    assert {case["court"] for case in run_export()["cases"]} == {"ICC", "ICJ"}
    icc_only = run_export("--court", "ICC")["cases"]
    assert {case["court"] for case in icc_only} == {"ICC"}
    assert "prosecutor-v-doe" in {case["slug"] for case in icc_only}
    # Codes are matched as typed in a URL or a shell: case does not matter.
    assert [case["slug"] for case in run_export("--court", "icj")["cases"]] == ["gaza"]


def test_court_with_no_cases_exports_an_empty_list(db):
    CourtFactory(code="ECHR")
    assert run_export("--court", "ECHR")["cases"] == []


def test_unknown_court_is_a_one_line_error(db):
    CourtFactory(code="ICJ")
    CourtFactory(code="ICC")
    out = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("export_cases", "--court", "XYZ", stdout=out)

    assert str(error.value) == "unknown court 'XYZ' (known: ICC, ICJ)"
    assert error.value.returncode == 1
    assert out.getvalue() == ""


def test_out_writes_the_file(icc_case, tmp_path, time_machine):
    time_machine.move_to(datetime.datetime(2031, 10, 1, tzinfo=datetime.UTC), tick=False)
    target = tmp_path / "cases.json"
    target.write_text("old export", encoding="utf-8")
    out = io.StringIO()

    call_command("export_cases", "--out", str(target), stdout=out)

    assert out.getvalue() == f"Exported 4 cases to {target}.\n"
    assert json.loads(target.read_text(encoding="utf-8")) == run_export()
    assert "Côte d'Ivoire" in target.read_bytes().decode("utf-8")
    assert list(tmp_path.iterdir()) == [target]


def test_out_leaves_the_old_file_whole_when_the_write_fails(icc_case, tmp_path, monkeypatch):
    target = tmp_path / "cases.json"
    target.write_text("old export", encoding="utf-8")

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", disk_full)
    with pytest.raises(CommandError, match="cannot write .*cases.json: No space left on device"):
        call_command("export_cases", "--out", str(target), stdout=io.StringIO())

    assert target.read_text(encoding="utf-8") == "old export"
    assert list(tmp_path.iterdir()) == [target]


def test_out_creates_nothing_when_the_export_fails(icc_case, tmp_path, monkeypatch):
    def broken(case):
        raise RuntimeError("boom")

    monkeypatch.setattr(export, "serialize_case", broken)
    with pytest.raises(RuntimeError):
        call_command("export_cases", "--out", str(tmp_path / "cases.json"), stdout=io.StringIO())

    assert list(tmp_path.iterdir()) == []


def test_out_into_a_missing_folder_is_a_one_line_error(db, tmp_path):
    with pytest.raises(CommandError, match=r"^cannot write .*: No such file or directory$"):
        call_command("export_cases", "--out", str(tmp_path / "missing" / "cases.json"), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def _add_cases(court, count, situation):
    """Cases with every kind of related record, so that a per-case query would show."""
    for _ in range(count):
        case = CaseFactory(court=court, parent=situation)
        ParticipationFactory(case=case, role=Participation.Role.APPLICANT)
        ParticipationFactory(case=case, role=Participation.Role.RESPONDENT, joined_on=datetime.date(2024, 2, 1))
        FilingFactory.create_batch(2, case=case)
        EventFactory.create_batch(2, case=case)
        WarrantFactory(case=case)
        CaseRelationFactory(from_case=case, to_case=situation)
        CaseRelationFactory(from_case=situation, to_case=case)


@pytest.mark.parametrize("court", [None, "ICJ"])
def test_query_count_does_not_grow_with_the_number_of_cases(db, django_assert_num_queries, court):
    icj = CourtFactory(code="ICJ")
    situation = CaseFactory(court=icj, kind=Case.Kind.SITUATION, stage="investigation")
    args = ["--court", court] if court else []
    _add_cases(icj, 2, situation)
    with CaptureQueriesContext(connection) as with_two:
        assert len(run_export(*args)["cases"]) == 3
    assert len(with_two) <= 10

    _add_cases(icj, 18, situation)
    with django_assert_num_queries(len(with_two)):
        document = run_export(*args)

    assert len(document["cases"]) == 21
    for case in document["cases"]:
        assert_schema(case)


def test_export_holds_every_seeded_case(seeded):
    in_seed_files = {entry["slug"] for _, data in read_seed_files() for entry in data.get("cases", [])}

    cases = {case["slug"]: case for case in run_export()["cases"]}

    assert set(cases) == in_seed_files == set(Case.objects.values_list("slug", flat=True))
    for case in cases.values():
        assert_schema(case)
    gaza = cases["south-africa-v-israel-gaza"]
    assert gaza["court"] == "ICJ"
    assert gaza["reference"] == "192"
    assert gaza["page"] == "/cases/south-africa-v-israel-gaza/"
    assert any(filing["date"] == "2024-01-26" and filing["kind"] == "order" for filing in gaza["filings"])


def test_keys_come_in_the_documented_order(icc_case):
    """The JSON text lists keys in the order README documents them, so two exports diff line by line."""
    text = export.dumps(export.export_cases())
    doe = next(case for case in json.loads(text)["cases"] if case["slug"] == "prosecutor-v-doe")

    assert list(doe) == [
        *("court", "reference", "slug", "page", "kind", "parent", "title", "title_fr", "short_title"),
        *("short_title_fr", "status", "stage", "status_changed_on", "instituted_on", "concluded_on", "summary"),
        *("official_url", "source_url", "source_note", "parties", "filings", "events", "warrants", "related"),
    ]
    assert list(doe["parties"][0]) == ["name", "kind", "role", "joined_on", "withdrawn_on", "source_url", "source_note"]
    assert list(doe["filings"][0]) == [
        *("date", "title", "kind", "language", "reference", "url", "source_url", "source_note"),
    ]
    assert list(doe["events"][0]) == ["date", "precision", "end_date", "kind", "title", "source_url", "source_note"]
    assert list(doe["warrants"][0]) == [
        *("person", "person_slug", "issued_on", "made_public_on", "under_seal", "issued_by", "charges"),
        *("status", "status_on", "source_url", "source_note"),
    ]


def test_the_record_ignores_the_language_of_the_request(icc_case):
    """The record's titles are the English ones (with the French beside them), whatever language is active."""
    case = Case.objects.for_page().get(slug="prosecutor-v-doe")
    with translation.override("fr"):
        record = export.serialize_case(case)

    assert (record["title"], record["title_fr"]) == ("The Prosecutor v. John Doe", "Le Procureur c. John Doe")
