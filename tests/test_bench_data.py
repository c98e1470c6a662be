"""generate_bench_data: the requested counts, the same data for a seed, fast, and a reset that deletes only its own."""

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.management.commands.generate_bench_data import reset_bench_data
from cases.models import Case, Event, Filing, Participation, Party, Person, Warrant
from tests.factories import CourtFactory, FilingFactory, ParticipationFactory, WarrantFactory

pytestmark = pytest.mark.django_db


def generate(**options):
    options = {"cases": 3, "filings_per_case": 4, "largest_case_filings": 10, "seed": 7, "verbosity": 0, **options}
    call_command("generate_bench_data", **options)


def bench_cases():
    return Case.objects.filter(slug__startswith="bench-")


def titles():
    cases = list(bench_cases().order_by("slug").values_list("slug", "title_en"))
    filings = list(Filing.objects.filter(case__in=bench_cases()).order_by("case__slug", "url").values_list("title"))
    return cases, filings


def test_makes_the_requested_counts_quickly():
    started = time.monotonic()
    generate()
    assert time.monotonic() - started < 10

    cases = bench_cases()
    assert cases.count() == 3
    largest = cases.order_by("slug").first()
    assert largest.filings.count() == 10
    assert Filing.objects.filter(case__in=cases).count() == 10 + 2 * 4
    # The first cases take the first shapes: a contentious case, a situation and a case in it.
    assert set(cases.values_list("kind", flat=True)) == {"contentious", "situation", "case"}
    icc_case = cases.get(kind="case")
    assert icc_case.parent.kind == "situation"
    assert icc_case.title_en.startswith("The Prosecutor v. ")
    assert Warrant.objects.filter(case=icc_case).count() == 1
    assert Participation.objects.filter(case__in=cases).exists()
    assert Event.objects.filter(case__in=cases).exists()
    filing = largest.filings.first()
    assert len(filing.text.split()) > 80
    assert filing.url.startswith("https://documents.bench.invalid/")
    # Bulk rows write no history, and no bench case is ever refreshed from a source.
    assert not Case.history.filter(slug__startswith="bench-").exists()
    assert not Filing.history.exists()
    assert not cases.filter(refresh_enabled=True).exists()


def test_every_kind_of_case_at_a_few_more_cases():
    generate(cases=7, filings_per_case=1, largest_case_filings=1)
    assert set(bench_cases().values_list("kind", flat=True)) == {"contentious", "advisory", "situation", "case"}
    assert set(bench_cases().values_list("court__code", flat=True)) == {"ICJ", "ICC", "ECHR", "ITLOS", "IACtHR"}


def test_the_same_seed_makes_the_same_data():
    generate()
    first = titles()
    generate(reset=True)
    assert titles() == first
    generate(reset=True, seed=8)
    assert titles() != first


def test_refuses_to_run_into_bench_data_without_reset():
    generate()
    with pytest.raises(CommandError, match="--reset"):
        generate()
    assert bench_cases().count() == 3


def test_reset_deletes_only_bench_rows():
    court = CourtFactory(code="ICJ")
    own = FilingFactory(case__court=court, case__slug="a-real-case").case
    ParticipationFactory(case=own)
    warrant = WarrantFactory()
    generate()

    generate(reset=True, cases=2)
    assert bench_cases().count() == 2

    reset_bench_data()
    assert not bench_cases().exists()
    assert not Party.objects.filter(slug__startswith="bench-").exists()
    assert not Person.objects.filter(slug__startswith="bench-").exists()
    assert Case.objects.filter(pk=own.pk).exists()
    assert own.filings.count() == 1
    assert own.participations.count() == 1
    assert Warrant.objects.filter(pk=warrant.pk).exists()
    assert Case.objects.count() == 2  # the factory-made case and the warrant's situation
