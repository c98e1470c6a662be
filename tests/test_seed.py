"""seed_cases: real cases, every fact sourced, safe to run again, never overwriting staff."""

import datetime
import textwrap

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, CaseRelation, Court, Event, Filing, Participation, Party, Person, Warrant
from cases.services import SeedError, seed_cases

MINI = """
[court]
code = "ICJ"
name_en = "International Court of Justice"

[[cases]]
slug = "mini"
kind = "contentious"
reference = "1"
title_en = "Mini case"
stage = "written_proceedings"
source = "https://court.example/case/1"
  [[cases.parties]]
  name = "Ruritania"
  role = "applicant"
  source = "https://court.example/case/1"
  [[cases.filings]]
  title = "Order of 1 May 2024"
  kind = "order"
  date = 2024-05-01
  url = "https://court.example/1-order.pdf"
  [[cases.events]]
  date = 2024-05-01
  kind = "order"
  title = "Order fixing time-limits"
  filing = "https://court.example/1-order.pdf"
  source = "https://court.example/case/1"
"""


def write(tmp_path, text):
    (tmp_path / "court.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def counts():
    return [
        m.objects.count() for m in (Court, Case, Party, Participation, Filing, Event, Warrant, Person, CaseRelation)
    ]


def test_a_second_run_duplicates_nothing(db, tmp_path):
    directory = write(tmp_path, MINI)
    first = seed_cases(directory=directory)
    before = counts()
    second = seed_cases(directory=directory)
    assert first.created == 6  # court, case, party, participation, filing, event
    assert second.created == 0 and second.updated == 0
    assert counts() == before
    assert Event.objects.get().filing == Filing.objects.get()


def test_a_staff_edit_survives_and_other_fields_still_follow_the_seed(db, tmp_path):
    directory = write(tmp_path, MINI)
    seed_cases(directory=directory)
    case = Case.objects.get(slug="mini")
    case.stage = "oral_proceedings"
    case.save()
    write(
        tmp_path,
        MINI.replace('title_en = "Mini case"', 'title_en = "Mini case, corrected"').replace(
            'stage = "written_proceedings"', 'stage = "deliberation"'
        ),
    )
    report = seed_cases(directory=directory)
    case.refresh_from_db()
    assert case.stage == "oral_proceedings"
    assert case.title_en == "Mini case, corrected"
    assert report.kept_staff_edits == ["cases.Case mini: stage"]
    # Still the staff's value after yet another run.
    seed_cases(directory=directory)
    case.refresh_from_db()
    assert case.stage == "oral_proceedings"


def test_a_record_staff_deleted_is_not_brought_back(db, tmp_path):
    directory = write(tmp_path, MINI)
    seed_cases(directory=directory)
    Event.objects.all().delete()
    report = seed_cases(directory=directory)
    assert not Event.objects.exists()
    assert report.skipped_deleted == ["cases.Event mini|2024-05-01|order|Order fixing time-limits"]


def test_a_record_staff_made_first_is_adopted_not_duplicated(db, tmp_path):
    directory = write(tmp_path, MINI)
    seed_cases(directory=directory)
    case = Case.objects.get()
    Filing.objects.all().delete()
    from cases.models import SeedRecord

    SeedRecord.objects.filter(model="cases.Filing").delete()
    Filing.objects.create(case=case, title="Typed by staff", url="https://court.example/1-order.pdf", kind="order")
    seed_cases(directory=directory)
    filing = Filing.objects.get()
    assert filing.title == "Typed by staff"
    assert filing.date == datetime.date(2024, 5, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('source = "https://court.example/case/1"\n  [[cases.parties]]', "  [[cases.parties]]"), "source URL"),
        (('stage = "written_proceedings"', 'stage = "trial"'), "stage"),
        (('kind = "order"\n  date', 'kind = "ruling"\n  date'), "kind"),
        (('filing = "https://court.example/1-order.pdf"', 'filing = "nope"'), "no filing nope"),
    ],
)
def test_a_wrong_seed_file_is_refused_with_a_clear_message_and_nothing_is_kept(db, tmp_path, change, message):
    directory = write(tmp_path, MINI.replace(*change))
    with pytest.raises(CommandError, match=message):
        call_command("seed_cases", dir=str(directory))
    assert Case.objects.count() == 0


def test_malformed_toml_names_the_file(db, tmp_path):
    (tmp_path / "broken.toml").write_text("[court\n", encoding="utf-8")
    with pytest.raises(SeedError, match="broken.toml"):
        seed_cases(directory=tmp_path)


# The real seed.


def test_the_real_seed_has_fifteen_cases_across_three_courts(seeded):
    assert Case.objects.count() >= 15
    assert Court.objects.filter(cases__isnull=False).distinct().count() >= 3
    for slug in (
        "south-africa-v-israel-gaza",
        "legal-consequences-opt",
        "obligations-of-israel-un-opt",
        "nicaragua-v-germany",
        "gambia-v-myanmar",
        "ukraine-v-russia-genocide",
        "situation-palestine",
        "situation-ukraine",
        "prosecutor-v-duterte",
    ):
        assert Case.objects.filter(slug=slug).exists(), slug


def test_every_seeded_fact_carries_its_source(seeded):
    assert not Case.objects.filter(source_url="").exists()
    assert not Participation.objects.filter(source_url="").exists()
    assert not Event.objects.filter(source_url="").exists()
    assert not Warrant.objects.filter(source_url="").exists()
    assert not Filing.objects.filter(url="", source_url="").exists()
    assert not Person.objects.filter(source_url="").exists()


def test_the_real_seed_runs_twice_without_change(seeded):
    before = counts()
    report = seed_cases()
    assert (report.created, report.updated) == (0, 0)
    assert counts() == before


def test_south_africa_v_israel(seeded):
    case = Case.objects.get(slug="south-africa-v-israel-gaza")
    assert (case.court.code, case.reference, case.kind) == ("ICJ", "192", "contentious")
    assert case.instituted_on == datetime.date(2023, 12, 29)
    orders = set(case.filings.filter(kind="order").values_list("date", flat=True))
    for day in (datetime.date(2024, 1, 26), datetime.date(2024, 3, 28), datetime.date(2024, 5, 24)):
        assert day in orders
    assert case.filings.get(date=datetime.date(2024, 1, 26), kind="order").url.endswith(
        "/192/192-20240126-ord-01-00-en.pdf"
    )
    roles = {(p.party.name, p.role) for p in case.participations.select_related("party")}
    assert {("South Africa", "applicant"), ("Israel", "respondent")} <= roles
    nicaragua = case.participations.get(party__name="Nicaragua", role="intervener_art_62")
    assert nicaragua.joined_on == datetime.date(2024, 1, 23)
    assert nicaragua.withdrawn_on is not None
    assert case.events.filter(kind="deadline", date=datetime.date(2026, 3, 12)).exists()
    assert case.events.filter(kind="hearing", date=datetime.date(2024, 1, 11)).exists()


def test_palestine_warrants(seeded):
    situation = Case.objects.get(slug="situation-palestine")
    assert (situation.court.code, situation.reference, situation.kind) == ("ICC", "ICC-01/18", "situation")
    warrants = {w.person.slug: w for w in situation.warrants.select_related("person")}
    assert {"benjamin-netanyahu", "yoav-gallant", "mohammed-diab-ibrahim-al-masri"} <= set(warrants)
    assert "Deif" in warrants["mohammed-diab-ibrahim-al-masri"].person.description
    deif = warrants["mohammed-diab-ibrahim-al-masri"]
    assert deif.status == "terminated" and deif.status_on == datetime.date(2025, 2, 26)
    assert warrants["benjamin-netanyahu"].status == "outstanding"
    for name, warrant in warrants.items():
        assert warrant.issued_on == datetime.date(2024, 11, 21), name


def test_ukraine_and_duterte(seeded):
    ukraine = Case.objects.get(slug="situation-ukraine")
    names = " ".join(ukraine.warrants.values_list("person__name", flat=True))
    assert "Putin" in names and "Lvova-Belova" in names
    assert set(ukraine.warrants.filter(person__name__contains="Putin").values_list("issued_on", flat=True)) == {
        datetime.date(2023, 3, 17)
    }
    duterte = Case.objects.get(slug="prosecutor-v-duterte")
    assert (duterte.reference, duterte.parent.slug) == ("ICC-01/21-01/25", "situation-philippines")
    warrant = duterte.warrants.get()
    assert warrant.issued_on == datetime.date(2025, 3, 7)
    assert warrant.status == "executed"
    assert duterte.events.filter(kind="hearing", date=datetime.date(2026, 2, 23)).exists()


def test_seeded_decisions_carry_their_chamber_for_citations(seeded):
    from cases.citations import filing_citation

    decision = Filing.objects.get(reference="ICC-01/18-374")
    assert decision.chamber == "Pre-Trial Chamber I"
    assert "ICC-01/18-374, PTC I (21 November 2024)" in filing_citation(decision, "oscola")
