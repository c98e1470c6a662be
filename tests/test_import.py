"""import_cases reads what export_cases writes: the round trip, all or nothing, idempotent, clear when it refuses."""

import copy
import datetime
import io
import json
import re

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connections, transaction

from cases.models import (
    Case,
    CaseRelation,
    Court,
    DiscoveredCase,
    Event,
    Filing,
    Participation,
    Party,
    Person,
    SeedRecord,
    Source,
    SourceCheck,
    Subscription,
    Warrant,
)
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

IMPORTED = (Court, Person, Party, Case, Participation, Filing, Event, Warrant, CaseRelation)
HISTORY = (Case.history.model, Filing.history.model, Warrant.history.model)
STAMP = re.compile(r'\n  "exported_at": "[^"]*",\n')


def export_text() -> str:
    out = io.StringIO()
    call_command("export_cases", stdout=out)
    return out.getvalue()


def export_to(path) -> str:
    call_command("export_cases", "--out", str(path), verbosity=0)
    return path.read_text(encoding="utf-8")


def run_import(*args, **options) -> str:
    out = io.StringIO()
    call_command("import_cases", *args, stdout=out, **options)
    return out.getvalue()


def write(path, document) -> str:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return str(path)


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in (*IMPORTED, *HISTORY)}


def wipe():
    """An empty database as far as cases go: every row the export reads, and what hangs off them."""
    for model in (Subscription, SourceCheck, Source, DiscoveredCase, Event, Warrant, Filing, Participation):
        model.objects.all().delete()
    CaseRelation.objects.all().delete()
    Case.objects.filter(parent__isnull=False).delete()
    for model in (Case, Party, Person, Court, SeedRecord, *HISTORY):
        model.objects.all().delete()
    assert not any(counts().values())


def assert_same_export(first: str, second: str):
    """Identical apart from exported_at: as parsed JSON, and byte for byte once that one line is left out."""
    before, after = json.loads(first), json.loads(second)
    assert before.pop("exported_at") and after.pop("exported_at")
    assert after == before
    assert STAMP.sub("\n", second) == STAMP.sub("\n", first)


@pytest.fixture(scope="module")
def seed_export(django_db_setup, django_db_blocker) -> str:
    """The seed's export, made once for the module in a transaction that is then rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_cases", verbosity=0)
        text = export_text()
        transaction.set_rollback(True)
    return text


@pytest.fixture
def exported(db, seed_export) -> dict:
    """The seed's export as parsed JSON, and an empty database."""
    assert not any(counts().values())
    return json.loads(seed_export)


@pytest.fixture
def imported(exported, tmp_path) -> str:
    """The seed's export imported into the empty database; its path."""
    path = write(tmp_path / "cases.json", exported)
    run_import(path)
    return path


# The round trip.


def test_seed_cases_round_trip_through_an_empty_database(seeded, tmp_path):
    path = tmp_path / "cases.json"
    first = export_to(path)
    assert len(json.loads(first)["cases"]) == 21
    wipe()

    output = run_import(str(path))

    assert_same_export(first, export_text())
    assert f"Imported 21 cases from {path}." in output
    assert "cases: 21 created, 0 updated, 0 unchanged" in output
    reason = f"imported from {path}"
    assert Case.history.filter(history_change_reason=reason, history_type="+").count() == 21
    assert Filing.history.filter(history_change_reason=reason).count() == Filing.objects.count() > 0
    assert Warrant.history.filter(history_change_reason=reason).count() == Warrant.objects.count() > 0
    # What the export does not carry comes from the seed where it can.
    icj = Court.objects.get(code="ICJ")
    assert (icj.name_en, icj.website) == ("International Court of Justice", "https://www.icj-cij.org/")
    assert Source.objects.filter(case__slug="south-africa-v-israel-gaza", adapter="icj").exists()
    # An old document is not news on the day of the import.
    dated = Filing.objects.exclude(date=None).first()
    assert dated.first_seen_at.date() == dated.date


def test_importing_the_same_file_twice_changes_nothing(imported):
    after_first = counts()

    output = run_import(imported)

    assert counts() == after_first
    tallies = output.splitlines()[1:]
    assert len(tallies) == 9 and all(": 0 created, 0 updated, " in line for line in tallies)
    assert "cases: 0 created, 0 updated, 21 unchanged" in output


def test_importing_into_the_database_it_came_from_duplicates_nothing(seeded, tmp_path):
    path = tmp_path / "cases.json"
    first = export_to(path)
    before = counts()

    run_import(str(path))

    assert counts() == before
    assert_same_export(first, export_text())


@pytest.fixture
def edge_cases(db):
    """Nulls, unicode, a case with nothing in it, a situation with two cases, relations stored both ways, and
    entries that share every key the import matches on."""
    court = CourtFactory(code="XC")
    other = CourtFactory(code="AB")
    situation = CaseFactory(
        court=court,
        kind=Case.Kind.SITUATION,
        stage="investigation",
        reference="XC-01/24",
        slug="situation-in-ruritania",
        title_en="Situation in the Republic of Ruritania",
        title_fr="Situation en Ruritanie",
        source_note="Reported by the Prosecutor’s office",
    )
    first = CaseFactory(
        court=court,
        kind=Case.Kind.CASE,
        stage="trial",
        parent=situation,
        reference="XC-01/24-01/25",
        slug="prosecutor-v-doe",
        title_en="The Prosecutor v. Jöhn Doe",
    )
    second = CaseFactory(
        court=court,
        kind=Case.Kind.CASE,
        stage="warrant_issued",
        parent=situation,
        reference="XC-01/24-02/25",
        slug="prosecutor-v-roe",
        title_en="The Prosecutor v. Richard Roe",
        instituted_on=None,
    )
    empty = CaseFactory(
        court=other,
        reference="2",
        slug="cote-d-ivoire-v-burkina-faso",
        title_en="Côte d’Ivoire c. Burkina Faso — « essai » 中文 🚀",
        title_fr="Côte d’Ivoire c. Burkina Faso",
        short_title_en="",
        status=Case.Status.CONCLUDED,
        stage="",
        instituted_on=None,
        concluded_on=datetime.date(2020, 2, 29),
        status_changed_on=None,
        summary='Line one.\nLine two, with "quotes" and a tab\there.',
        official_url="",
    )
    later = CaseFactory(court=other, reference="10", slug="later-case", status_changed_on=datetime.date(2024, 5, 1))
    # Relations: one each way between two cases, stored twice; others in one direction only.
    CaseRelationFactory(from_case=empty, to_case=later)
    CaseRelationFactory(from_case=later, to_case=empty)
    CaseRelationFactory(from_case=first, to_case=second)
    CaseRelationFactory(from_case=empty, to_case=situation, kind=CaseRelation.Kind.SAME_EVENTS, note="ignored")

    state = PartyFactory(name="République de Ruritanie", slug="ruritania")
    ParticipationFactory(case=later, party=state, role=Participation.Role.APPLICANT, source_note="Ω")
    ParticipationFactory(
        case=later,
        party=state,
        role=Participation.Role.INTERVENER_ART_63,
        joined_on=datetime.date(2024, 3, 1),
        withdrawn_on=datetime.date(2024, 4, 1),
    )
    ParticipationFactory(case=situation, party=state, role=Participation.Role.REFERRING_STATE)
    doe = PartyFactory(name="Jöhn Doe", slug="john-doe", kind=Party.Kind.PERSON)
    ParticipationFactory(case=first, party=doe, role=Participation.Role.ACCUSED, source_url="")

    FilingFactory(case=later, url="https://court.example/files/a.pdf", reference="REF-1", title="Order")
    FilingFactory(case=later, url="", reference="REF-2", title="Order with a reference only", date=None)
    for language in ("en", "fr"):
        FilingFactory(case=later, url="", reference="", title="Same title, no URL", language=language)
    FilingFactory(case=first, url="https://court.example/files/ü.pdf", title="Décision", language="", kind="decision")

    EventFactory(case=later, date=datetime.date(2024, 6, 3), end_date=datetime.date(2024, 6, 5), kind="hearing")
    EventFactory(case=later, date=datetime.date(2024, 6, 1), precision="month", title="Twice", kind="other")
    EventFactory(case=later, date=datetime.date(2024, 6, 1), precision="month", title="Twice", kind="other")
    EventFactory(case=situation, date=datetime.date(2024, 1, 1), precision="year", title="Opened")

    roe = PersonFactory(name="Richard Roe", slug="richard-roe")
    WarrantFactory(case=second, person=roe, issued_on=None, under_seal=True, charges="", issued_by="")
    WarrantFactory(
        case=situation,
        person=roe,
        issued_on=datetime.date(2023, 3, 17),
        made_public_on=datetime.date(2023, 3, 18),
        status="executed",
        status_on=datetime.date(2025, 3, 12),
        charges="War crimes — “unlawful deportation”",
    )


def test_generated_edge_cases_round_trip(edge_cases, tmp_path):
    path = tmp_path / "edge.json"
    first = export_to(path)
    document = json.loads(first)
    by_slug = {case["slug"]: case for case in document["cases"]}
    assert by_slug["cote-d-ivoire-v-burkina-faso"]["filings"] == []
    assert by_slug["prosecutor-v-roe"]["parent"] == "situation-in-ruritania"
    assert by_slug["later-case"]["related"] == ["cote-d-ivoire-v-burkina-faso"]
    wipe()

    output = run_import(str(path))

    assert_same_export(first, export_text())
    # Stored twice, one way and the other, it comes back as one relation.
    assert "relations: 3 created" in output
    assert CaseRelation.objects.count() == 3
    assert Case.objects.get(slug="prosecutor-v-doe").parent.slug == "situation-in-ruritania"
    assert Court.objects.get(code="XC").name_en == "XC"  # a court the seed does not know: its code as its name
    assert Party.objects.get(name="République de Ruritanie").slug == "republique-de-ruritanie"

    before = counts()
    assert "0 created, 0 updated" in run_import(str(path))
    assert counts() == before


def test_relations_and_parents_reach_cases_already_in_the_database(edge_cases, tmp_path):
    document = json.loads(export_text())
    only_children = [case for case in document["cases"] if case["slug"] in ("prosecutor-v-doe", "later-case")]
    Case.objects.filter(slug="prosecutor-v-doe").delete()

    run_import(write(tmp_path / "part.json", {**document, "cases": only_children}))

    doe = Case.objects.get(slug="prosecutor-v-doe")
    assert doe.parent.slug == "situation-in-ruritania"
    assert set(doe.relations_from.values_list("to_case__slug", flat=True)) == {"prosecutor-v-roe"}


def test_a_new_party_gets_a_free_slug(db, tmp_path):
    PartyFactory(name="Someone else", slug="ruritania")
    case = CaseFactory(slug="c")
    ParticipationFactory(case=case, party=PartyFactory(name="Ruritania", slug="x"))
    document = json.loads(export_text())
    Participation.objects.all().delete()
    Party.objects.filter(name="Ruritania").delete()

    run_import(write(tmp_path / "f.json", document))

    assert Party.objects.get(name="Ruritania").slug == "ruritania-2"


# Existing records.


def test_an_existing_record_takes_the_files_values_unless_skip_existing(imported, tmp_path):
    document = json.loads(export_text())
    case = document["cases"][0]
    case["title"] = "A corrected title"
    case["filings"][0]["title"] = "A corrected filing title"
    path = write(tmp_path / "changed.json", document)

    kept = run_import(path, "--skip-existing")
    assert "cases: 0 created, 0 updated, 20 unchanged, 1 existing left as they are" in kept
    assert Case.objects.get(slug=case["slug"]).title_en != "A corrected title"

    updated = run_import(path)
    assert "cases: 0 created, 1 updated, 20 unchanged" in updated
    assert "filings: 0 created, 1 updated" in updated
    stored = Case.objects.get(slug=case["slug"])
    assert stored.title_en == "A corrected title"
    assert stored.history.first().history_change_reason == f"imported from {path}"
    assert stored.filings.filter(title="A corrected filing title").count() == 1
    assert json.loads(export_text())["cases"] == document["cases"]


def test_skip_existing_still_adds_what_is_missing(imported, tmp_path):
    path = tmp_path / "again.json"
    export_to(path)
    slug = "south-africa-v-israel-gaza"
    Filing.objects.filter(case__slug=slug).order_by("pk").first().delete()
    Case.objects.filter(slug="klimaseniorinnen-v-switzerland").delete()

    output = run_import(str(path), "--skip-existing")

    assert "cases: 1 created" in output and "filings: 2 created" in output
    assert json.loads(export_text())["cases"] == json.loads(path.read_text())["cases"]


def test_nothing_the_file_does_not_mention_is_deleted(imported, tmp_path):
    document = json.loads(export_text())
    document["cases"] = document["cases"][:1]
    document["cases"][0]["filings"] = []
    before = counts()

    run_import(write(tmp_path / "one.json", document))

    assert counts() == before


def test_dry_run_writes_nothing(exported, tmp_path):
    output = run_import(write(tmp_path / "cases.json", exported), "--dry-run")

    assert "nothing was written" in output and "cases: 21 created" in output
    assert not any(counts().values())


def test_reads_stdin(seed_export, db):
    text = seed_export

    output = run_import("-", stdin=io.StringIO(text))

    assert "Imported 21 cases from stdin." in output
    assert_same_export(text, export_text())


# Refusals: one line, nothing imported.


def refused(path, **options) -> str:
    with pytest.raises(CommandError) as error:
        run_import(str(path), **options)
    message = str(error.value)
    assert "\n" not in message
    assert message.endswith("(nothing was imported)")
    return message


def test_a_bad_value_half_way_imports_nothing_and_exits_with_one_line(exported, tmp_path, capsys, monkeypatch):
    case = exported["cases"][15]
    case["filings"][1]["date"] = "2024-02-30"
    path = write(tmp_path / "bad.json", exported)
    # What `manage.py import_cases bad.json` does, in this process (whose database connection must stay open).
    monkeypatch.setattr(connections, "close_all", lambda: None)

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "import_cases", path]).execute()

    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"CommandError: case {case['slug']}, filing #2 (")
    assert "): date: '2024-02-30' is not a date (expected YYYY-MM-DD) (nothing was imported)" in err
    assert not any(counts().values())


def test_a_problem_only_the_database_can_see_rolls_everything_back(exported, tmp_path):
    # Checked last, after every case and its contents were written.
    exported["cases"][-1]["related"].append("no-such-case")

    message = refused(write(tmp_path / "bad.json", exported))

    assert message.startswith(f"case {exported['cases'][-1]['slug']}: related: no case 'no-such-case'")
    assert not any(counts().values())


def test_an_unknown_parent_rolls_everything_back(exported, tmp_path):
    exported["cases"][-1]["parent"] = "no-such-situation"

    message = refused(write(tmp_path / "bad.json", exported))

    assert "parent: no case 'no-such-situation' in the file or the database" in message
    assert not any(counts().values())


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (2, "schema_version 2 is not supported (this version reads 1)"),
        ("1", 'schema_version "1" is not supported'),
        (None, "schema_version null is not supported"),
    ],
)
def test_an_unknown_schema_version_is_refused(exported, tmp_path, version, expected):
    exported["schema_version"] = version

    assert expected in refused(write(tmp_path / "v.json", exported))
    assert not any(counts().values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"cases": []}', "not an export_cases file (no schema_version)"),
        ("[1, 2]", "not an export_cases file (the top level is not a JSON object)"),
        ('{"schema_version": 1, "cases": {}}', "cases: expected a list"),
        ('{"schema_version": 1, "cases": [', "not valid JSON: Expecting value (line 1, column 33)"),
        ("", "not valid JSON"),
    ],
)
def test_what_is_not_an_export_is_refused(db, tmp_path, text, expected):
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")

    assert expected in refused(path)


def test_a_missing_file_is_one_line(db, tmp_path):
    with pytest.raises(CommandError, match=r"^cannot read .*missing\.json: No such file or directory$"):
        run_import(str(tmp_path / "missing.json"))


def _case(document, slug):
    return next(case for case in document["cases"] if case["slug"] == slug)


GAZA = "south-africa-v-israel-gaza"
DUTERTE = "prosecutor-v-duterte"
BAD_VALUES = [
    (lambda d: _case(d, GAZA).update(kind="tribunal"), f"case {GAZA}: kind: Value 'tribunal' is not a valid choice."),
    (
        lambda d: _case(d, GAZA).update(stage="trial"),
        f"case {GAZA}: stage: This stage does not fit a Contentious case.",
    ),
    (lambda d: _case(d, GAZA).update(summary=None), f"case {GAZA}: summary: expected a string, got null"),
    (lambda d: _case(d, GAZA).update(title=""), f"case {GAZA}: title: This field cannot be blank."),
    (lambda d: _case(d, GAZA).pop("title"), f"case {GAZA}: title: missing"),
    (lambda d: _case(d, GAZA).update(slug="not a slug"), "case not a slug: slug: Enter a valid “slug”"),
    (lambda d: _case(d, GAZA).update(court=""), f"case {GAZA}: court: expected a court code"),
    (lambda d: _case(d, GAZA).update(instituted_on=20231229), f"case {GAZA}: instituted_on: expected an ISO 8601 date"),
    (
        lambda d: _case(d, GAZA).update(status="concluded", concluded_on="2001-01-01"),
        f"case {GAZA}: concluded_on: 2001-01-01 is before instituted_on 2023-12-29",
    ),
    (lambda d: _case(d, GAZA).update(parent=GAZA), f"case {GAZA}: parent: a case cannot be its own situation"),
    (lambda d: _case(d, GAZA).update(related=[GAZA]), f"case {GAZA}: related: a case cannot be related to itself"),
    (lambda d: d["cases"].append(copy.deepcopy(_case(d, GAZA))), f"case {GAZA}: slug: appears twice in the file"),
    (
        lambda d: _case(d, GAZA)["filings"][0].update(url="javascript:alert(1)"),
        f"case {GAZA}, filing #1 (javascript:alert(1)): url: Enter a valid URL.",
    ),
    (
        lambda d: _case(d, GAZA)["filings"][0].update(title="x" * 501),
        f"case {GAZA}, filing #1 (",
    ),
    (
        lambda d: _case(d, GAZA)["filings"].append(dict(_case(d, GAZA)["filings"][1])),
        f"case {GAZA}, filing #16 (https://icj-cij.org/fr/node/203424): url: appears twice in this case",
    ),
    (lambda d: _case(d, GAZA)["filings"][0].update(title="a\x00b"), "title: contains a NUL character"),
    (lambda d: _case(d, GAZA)["parties"][0].update(role="judge"), "role: Value 'judge' is not a valid choice."),
    (
        lambda d: _case(d, "nicaragua-v-germany")["parties"].append(
            {**_case(d, GAZA)["parties"][0], "kind": "person", "role": "participant"}
        ),
        "kind: 'person', but case south-africa-v-israel-gaza, party ",
    ),
    (lambda d: _case(d, GAZA)["events"][0].update(date=None), "date: This field cannot be null."),
    (lambda d: _case(d, GAZA)["events"][0].update(end_date="1999-01-01"), "end_date: 1999-01-01 is before date"),
    (
        lambda d: _case(d, DUTERTE)["warrants"][0].update(under_seal="no"),
        f"case {DUTERTE}, warrant for rodrigo-roa-duterte: under_seal: expected true or false, got a string",
    ),
    (
        lambda d: _case(d, "situation-philippines")["warrants"].append(
            {**_case(d, DUTERTE)["warrants"][0], "person": "Someone Else"}
        ),
        f"case {DUTERTE}, warrant for rodrigo-roa-duterte: person: 'Rodrigo Roa Duterte', but case "
        "situation-philippines, warrant for rodrigo-roa-duterte names 'Someone Else'",
    ),
    (lambda d: _case(d, DUTERTE).update(parent=DUTERTE.replace("prosecutor-v", "x")), "parent: no case"),
    (
        lambda d: _case(d, "situation-philippines").update(parent=DUTERTE),
        "parent: the situations form a loop (",
    ),
]


@pytest.mark.parametrize(("spoil", "expected"), BAD_VALUES)
def test_a_bad_value_is_named_with_its_record_and_key(exported, tmp_path, spoil, expected):
    spoil(exported)

    message = refused(write(tmp_path / "bad.json", exported))

    assert expected in message
    assert not any(counts().values())
