"""apply_snapshot: idempotent, never loses or duplicates a filing, respects staff, refuses suspect pages."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case, DiscoveredCase, Event, Filing, Source, SourceCheck
from cases.sources.base import CaseRef, EventRef, FilingRef, Snapshot
from tests.factories import CaseFactory, CourtFactory, FilingFactory, PersonFactory, WarrantFactory

BASE = "https://www.icj-cij.org/sites/default/files/case-related/192/"


def ref(n, kind="order", date=datetime.date(2024, 1, 26), **extra):
    return FilingRef(url=f"{BASE}192-{n}.pdf", title=f"Document {n}", date=date, kind=kind, language="en", **extra)


def snapshot(*filings, **extra):
    return Snapshot(adapter="icj", url="https://www.icj-cij.org/case/192", filings=tuple(filings), **extra)


@pytest.fixture
def source(db):
    case = CaseFactory(court__code="ICJ", reference="192", stage="provisional_measures")
    return Source.objects.create(case=case, adapter="icj", url="https://www.icj-cij.org/case/192")


def state():
    return (
        sorted(Filing.objects.values_list("url", "missing_since")),
        Event.objects.count(),
        sorted(Case.objects.values_list("status", "stage")),
    )


def test_new_filings_are_linked_to_the_case_with_events(source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        check = services.apply_snapshot(source=source, snapshot=snapshot(ref(1), ref(2, kind="judgment")))
    assert (check.outcome, check.new_filings) == ("changed", 2)
    filings = Filing.objects.filter(case=source.case)
    assert filings.count() == 2 and {f.source for f in filings} == {source}
    assert set(Event.objects.values_list("kind", flat=True)) == {"order", "judgment"}
    # Link checks, alerts and the cached pages' versions: each once the filings are committed.
    assert len(callbacks) == 3


def test_the_same_snapshot_twice_changes_nothing(source):
    page = snapshot(ref(1), ref(2), events=(EventRef(datetime.date(2026, 3, 12), "deadline", "Counter-Memorial"),))
    services.apply_snapshot(source=source, snapshot=page)
    before = state()
    check = services.apply_snapshot(source=source, snapshot=page)
    assert check.outcome == "unchanged" and check.new_filings == 0
    assert state() == before


def test_a_filing_no_longer_listed_is_marked_missing_never_deleted(source):
    services.apply_snapshot(source=source, snapshot=snapshot(ref(1), ref(2), ref(3)))
    with time_machine.travel(datetime.datetime(2026, 11, 25, 9, tzinfo=datetime.UTC)):
        check = services.apply_snapshot(source=source, snapshot=snapshot(ref(1), ref(2)))
    assert check.missing_filings == 1
    gone = Filing.objects.get(url=ref(3).url)
    assert gone.missing_since == datetime.date(2026, 11, 25)
    # Listed again: no longer missing, still one row.
    services.apply_snapshot(source=source, snapshot=snapshot(ref(1), ref(2), ref(3)))
    assert Filing.objects.get(url=ref(3).url).missing_since is None
    assert Filing.objects.count() == 3


def test_a_page_listing_far_fewer_filings_is_refused_as_suspect(source):
    services.apply_snapshot(source=source, snapshot=snapshot(*[ref(n) for n in range(10)]))
    before = state()
    check = services.apply_snapshot(source=source, snapshot=snapshot(ref(1), ref(99)))
    assert check.outcome == "suspect" and "lists 2 filings where 10 are stored" in check.error
    assert state() == before


def test_a_filing_entered_by_hand_is_adopted_not_duplicated(source):
    FilingFactory(case=source.case, url=ref(1).url, title="Typed by staff", date=None, reference="")
    services.apply_snapshot(source=source, snapshot=snapshot(ref(1, reference="192-20240126-ORD-01-00-EN")))
    filing = Filing.objects.get()
    assert filing.title == "Typed by staff"  # staff's title stays
    assert filing.reference == "192-20240126-ORD-01-00-EN"  # empty fields are filled
    assert filing.date == datetime.date(2024, 1, 26)


def test_the_stage_follows_the_source_with_an_event(source):
    with time_machine.travel(datetime.datetime(2026, 11, 25, 9, tzinfo=datetime.UTC)):
        check = services.apply_snapshot(source=source, snapshot=snapshot(stage="written_proceedings"))
    case = Case.objects.get()
    assert (case.stage, case.source_stage, case.status_changed_on) == (
        "written_proceedings",
        "written_proceedings",
        datetime.date(2026, 11, 25),
    )
    assert check.outcome == "changed" and check.stage_reported == "written_proceedings"
    assert Event.objects.filter(kind="status_change").count() == 1


def test_a_status_set_by_staff_is_not_overwritten_but_the_disagreement_is_kept(source):
    Case.objects.filter(pk=source.case_id).update(status_set_by_staff=True, stage="oral_proceedings")
    services.apply_snapshot(source=source, snapshot=snapshot(stage="deliberation"))
    case = Case.objects.get()
    assert (case.stage, case.source_stage) == ("oral_proceedings", "deliberation")
    assert not Event.objects.filter(kind="status_change").exists()


def test_a_stage_that_does_not_fit_the_kind_is_not_applied(source):
    check = services.apply_snapshot(source=source, snapshot=snapshot(stage="trial"))
    assert Case.objects.get().stage == "provisional_measures"
    assert any("does not fit" in warning for warning in check.warnings)


def test_every_run_records_a_source_check(source):
    services.apply_snapshot(source=source, snapshot=snapshot(ref(1), warnings=("odd name: x.pdf",)))
    check = SourceCheck.objects.get()
    assert (check.case, check.url, check.warnings) == (source.case, source.url, ["odd name: x.pdf"])
    source.refresh_from_db()
    assert source.last_outcome == "changed" and source.last_checked_at == check.checked_at


def test_a_failure_is_recorded_and_nothing_stored_changes(source):
    from cases.sources.base import Blocked, MalformedPage

    services.apply_snapshot(source=source, snapshot=snapshot(ref(1)))
    before = state()
    failed = services.record_failed_check(source=source, error=MalformedPage("no h4 heading"))
    blocked = services.record_failed_check(source=source, error=Blocked("HTTP 403 challenge"))
    assert (failed.outcome, blocked.outcome) == ("failed", "blocked")
    assert failed.error == "no h4 heading"
    assert state() == before


def test_feed_items_go_to_the_case_their_record_number_or_name_points_to(db):
    icc = CourtFactory(code="ICC")
    palestine = CaseFactory(court=icc, reference="ICC-01/18", kind="situation", stage="investigation")
    duterte = CaseFactory(court=icc, reference="ICC-01/21-01/25", kind="case", stage="trial", short_title_en="")
    WarrantFactory(case=duterte, person=PersonFactory(name="Rodrigo Roa Duterte"))
    feed = Source.objects.get(case=None, adapter="icc-rss")  # made by a data migration
    items = (
        FilingRef("https://www.icc-cpi.int/news/a", "Decision", None, "press_release", "en", "", "ICC-01/18"),
        FilingRef("https://www.icc-cpi.int/news/b", "Duterte case: hearing", None, "press_release", "en"),
        FilingRef("https://www.icc-cpi.int/news/c", "Unrelated news", None, "press_release", "en"),
    )
    check = services.apply_snapshot(source=feed, snapshot=Snapshot("icc-rss", feed.url, filings=items))
    assert list(palestine.filings.values_list("url", flat=True)) == ["https://www.icc-cpi.int/news/a"]
    assert list(duterte.filings.values_list("url", flat=True)) == ["https://www.icc-cpi.int/news/b"]
    assert check.new_filings == 2 and any("Unrelated news" in w for w in check.warnings)
    # Read again: nothing new.
    assert services.apply_snapshot(source=feed, snapshot=Snapshot("icc-rss", feed.url, filings=items)).new_filings == 0


def test_a_listed_case_we_do_not_track_is_queued_for_staff_not_published(db):
    icj = CourtFactory(code="ICJ")
    CaseFactory(court=icj, reference="192")
    listing = Source.objects.get(case=None, adapter="icj-pending")
    cases = (
        CaseRef("https://www.icj-cij.org/case/192", "192", "South Africa v. Israel"),
        CaseRef("https://www.icj-cij.org/case/999", "999", "A new case"),
    )
    services.apply_snapshot(source=listing, snapshot=Snapshot("icj-pending", listing.url, cases=cases))
    services.apply_snapshot(source=listing, snapshot=Snapshot("icj-pending", listing.url, cases=cases))
    discovered = DiscoveredCase.objects.get()
    assert (discovered.reference, discovered.decision, discovered.court) == ("999", "new", icj)
    assert Case.objects.count() == 1


def test_an_unchanged_page_costs_at_most_three_queries(source):
    from cases.sources.http import Page

    page = Page(
        url=source.url, status=304, text="", content_type="text/html", etag='"x"', last_modified="", elapsed_ms=5
    )
    with CaptureQueriesContext(connection) as queries:
        check = services.record_unchanged_check(source=source, page=page)
    assert check.outcome == "unchanged"
    assert len(queries) <= 3


def test_spellings_of_one_address_are_one_filing(source):
    spellings = [
        "https://www.icj-cij.org/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf",
        "http://icj-cij.org/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf?download=1",
        "https://WWW.ICJ-CIJ.ORG/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf#page=2",
    ]
    for url in spellings:
        page = snapshot(FilingRef(url=url, title="Order", date=None, kind="order"))
        services.apply_snapshot(source=source, snapshot=page)
    assert list(Filing.objects.values_list("url", flat=True)) == [spellings[0]]


def test_control_characters_from_a_page_never_reach_the_database(source):
    dirty = FilingRef(
        url=f"{BASE}x.pdf", title="Order\x00 of\x0b 26\tJanuary", date=None, kind="order", reference="1\x002"
    )
    services.apply_snapshot(source=source, snapshot=snapshot(dirty))
    filing = Filing.objects.get()
    assert (filing.title, filing.reference) == ("Order of 26 January", "1 2")
