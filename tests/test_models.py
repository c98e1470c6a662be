"""Rules the records keep whoever writes them: the admin, the seed or a task."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.models import Case, Event
from tests.factories import CaseFactory, EventFactory, FilingFactory, ParticipationFactory


@pytest.mark.parametrize(
    ("kind", "stage", "fits"),
    [
        ("contentious", "provisional_measures", True),
        ("contentious", "trial", False),
        ("advisory", "opinion_delivered", True),
        ("advisory", "judgment_delivered", False),
        ("situation", "investigation", True),
        ("case", "confirmation_of_charges", True),
        ("case", "written_proceedings", False),
    ],
)
def test_the_stage_must_fit_the_kind_of_proceedings(db, kind, stage, fits):
    case = CaseFactory.build(kind=kind, stage=stage, court=CaseFactory().court)
    if fits:
        case.full_clean()
    else:
        with pytest.raises(ValidationError, match="stage"):
            case.full_clean()


def test_a_pending_case_has_no_conclusion_date(db):
    case = CaseFactory.build(court=CaseFactory().court, status="concluded", concluded_on=None)
    case.full_clean()  # concluded on a day nobody has confirmed yet
    case.status, case.concluded_on = "pending", datetime.date(2024, 1, 2)
    with pytest.raises(ValidationError, match="concluded_on"):
        case.full_clean()


def test_one_official_url_is_one_filing_in_a_case(db):
    filing = FilingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        FilingFactory(case=filing.case, url=filing.url)
    FilingFactory(url=filing.url)  # the same document may belong to another case
    FilingFactory(case=filing.case, url="")
    FilingFactory(case=filing.case, url="")  # unknown URLs do not clash


def test_withdrawal_cannot_precede_filing(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipationFactory(joined_on=datetime.date(2024, 5, 1), withdrawn_on=datetime.date(2024, 4, 1))


@time_machine.travel(datetime.datetime(2024, 1, 12, 12, tzinfo=datetime.UTC))
def test_a_hearing_under_way_is_still_upcoming(db):
    ongoing = EventFactory(kind="hearing", date=datetime.date(2024, 1, 11), end_date=datetime.date(2024, 1, 12))
    past = EventFactory(kind="hearing", date=datetime.date(2024, 1, 10))
    future = EventFactory(kind="deadline", date=datetime.date(2024, 3, 1))
    assert ongoing.is_upcoming and future.is_upcoming and not past.is_upcoming
    assert list(Event.objects.upcoming()) == [ongoing, future]


def test_general_list_numbers_read_as_the_icj_writes_them(db):
    icj = CaseFactory(court__code="ICJ", reference="192")
    icc = CaseFactory(court__code="ICC", reference="ICC-01/18")
    assert str(icj.display_reference) == "General List No. 192"
    assert icc.display_reference == "ICC-01/18"


def test_history_is_kept_for_cases_filings_and_warrants(db):
    case = CaseFactory()
    case.stage = "oral_proceedings"
    case.save()
    assert [h.stage for h in case.history.order_by("history_date")] == ["written_proceedings", "oral_proceedings"]
    assert Case.history.model._meta.get_field("stage")
    assert FilingFactory(case=case).history.count() == 1


def test_a_choice_label_costs_one_translation_not_one_per_choice():
    """get_FOO_display() looks one label up (Django's own hashes every lazy label: a gettext per choice)."""
    from unittest import mock

    from django.utils import translation

    from cases.models import Filing

    filing = Filing(kind=Filing.Kind.ORDER, language="fr")
    with (
        translation.override("fr"),
        mock.patch.object(translation._trans, "gettext", wraps=translation._trans.gettext) as gettext,
    ):
        assert filing.get_kind_display() == "Ordonnance"
        assert filing.get_language_display() == "Français"
    assert gettext.call_count == 2
    assert Filing(kind="not-a-kind").get_kind_display() == "not-a-kind"
