"""The benchmark harness's own parts: the refresh benchmark's pages, server, figures and clean-up, and
the report's medians and goals (bench/refresh.py, bench/run.py)."""

import datetime
import re

import httpx
import pytest

from bench import refresh
from bench import run as bench_run
from cases.models import Event, Filing, Source, SourceCheck
from cases.sources.base import get_adapter
from tests.factories import CaseFactory, FilingFactory


def test_a_case_page_lists_one_new_order_on_an_icj_host():
    snapshot = get_adapter("icj").parse(refresh.case_page(17, "A v. B").decode(), "http://127.0.0.1:1/case/17/orders")
    (filing,) = snapshot.filings
    assert filing.url == refresh.document_url(17) and filing.url.startswith(refresh.DOCUMENT_URL)
    assert (filing.kind, filing.date, filing.reference) == (
        "order",
        datetime.date(2025, 10, 20),
        "017-20251020-ORD-01-00-EN",
    )
    assert snapshot.title == "A v. B" and not snapshot.warnings


@pytest.mark.parametrize("shape", list(refresh.PAGE_SHAPES))
def test_the_large_pages_are_about_500_kb_of_distinct_documents(shape):
    page = refresh.large_case_page(shape=shape)
    assert 490_000 <= len(page.encode()) <= 510_000
    documents = re.findall(r'href="((?:https://www\.icj-cij\.org)?/sites/default/files/case-related/[^"]+)"', page)
    assert len(documents) == len(set(documents)) > 1000
    snapshot = get_adapter("icj").parse(page, refresh.PARSE_URL)
    assert len(snapshot.filings) == len(documents)
    assert not snapshot.warnings


def test_the_parse_timing_reports_a_median():
    timing = refresh.time_parse(refresh.large_case_page(20_000), runs=3)
    assert timing["runs"] == 3 and timing["filings"] > 10
    assert timing["min_ms"] <= timing["median_ms"] <= timing["max_ms"]


def test_the_court_server_answers_304_to_its_own_etag_and_counts():
    server = refresh.CourtServer({1: "A v. B"})
    import threading

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        first = httpx.get(f"{server.base}/case/1/orders")
        assert first.status_code == 200 and refresh.document_url(1).encode() in first.content
        again = httpx.get(f"{server.base}/case/1/orders", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""
        assert httpx.get(f"{server.base}/case/2/orders").status_code == 404
        assert server.take_counts() == {200: 1, 304: 1, 404: 1}
        assert server.take_counts() == {}
    finally:
        server.shutdown()
        server.server_close()


def test_a_pass_summary():
    records = [
        {"task": "cases.tasks.refresh_case", "started": 10.0, "ended": 10.5, "queries": 3, "state": "SUCCESS"},
        {"task": "cases.tasks.refresh_case", "started": 10.5, "ended": 11.0, "queries": 3, "state": "SUCCESS"},
        {"task": "cases.tasks.check_filing", "started": 11.0, "ended": 12.0, "queries": 9, "state": "SUCCESS"},
    ]
    summary = refresh.summarise_pass(records, cases=2, requests={304: 2}, outcomes={"unchanged": 2})
    assert summary["cases_per_second"] == 2.0 and summary["ms_per_case"] == 500.0
    assert (summary["requests_per_case"], summary["queries_per_case"], summary["queries_per_case_max"]) == (1, 3, 3)
    assert summary["responses"] == {"304": 2} and summary["task_states"] == {"SUCCESS": 2}


def test_clean_up_deletes_what_a_run_made_and_nothing_else(db):
    sources_before = set(Source.objects.all())  # the listings a data migration makes
    case = CaseFactory(slug="bench-000001-a")
    other = CaseFactory(slug="real-case")
    kept = [
        FilingFactory(case=case, url="https://documents.bench.invalid/x.pdf"),
        FilingFactory(case=other, url=refresh.document_url(1)),
    ]
    made = FilingFactory(case=case, url=refresh.document_url(1))
    Event.objects.create(case=case, date=datetime.date(2025, 10, 20), kind="order", title="Order", filing=made)
    source = Source.objects.create(case=case, adapter="icj", url="http://127.0.0.1:8/case/1/orders")
    SourceCheck.objects.create(source=source, case=case, url=source.url, outcome="changed")
    real_source = Source.objects.create(case=other, adapter="icj", url="https://www.icj-cij.org/case/1")

    assert refresh.clean_up() > 0
    assert set(Filing.objects.all()) == set(kept)
    assert not Event.objects.filter(case=case).exists() and not SourceCheck.objects.exists()
    assert set(Source.objects.all()) == sources_before | {real_source}
    assert not Filing.history.filter(url=refresh.document_url(1), case_id=case.pk).exists()


def test_the_harness_excludes_leftovers_from_the_dataset_count():
    assert bench_run.REFRESH_DOCUMENTS == refresh.DOCUMENT_URL


def test_medians_over_runs_and_ratios_within_each_run():
    runs = bench_run.with_ratios(
        {
            "bare": [{"rps": 1000.0, "requests": 10}, {"rps": 2000.0, "requests": 20}, {"rps": 1500.0, "requests": 1}],
            "home": [
                {"rps": 600.0, "p50_ms": 5.0, "requests": 6, "errors": {"timeout": 1}},
                {"rps": 1000.0, "p50_ms": 7.0, "requests": 10, "errors": {"timeout": 2}},
                {"rps": 1200.0, "p50_ms": 6.0, "requests": 12, "errors": {}},
            ],
        }
    )
    assert [run["ratio"] for run in runs["home"]] == [0.6, 0.5, 0.8]
    row = bench_run.median_row("/", runs["home"])
    assert (row["rps"], row["p50_ms"], row["ratio"], row["requests"]) == (1000.0, 6.0, 0.6, 28)
    assert row["errors"] == {"timeout": 3} and len(row["runs"]) == 3


@pytest.mark.parametrize(
    ("value", "holds"),
    [(0.6, True), (0.59, False), (None, None)],
)
def test_goals_hold_or_not_or_were_not_measured(value, holds):
    report = {
        "targets": {"home": {"ratio": value}},
        "peak_rss_mb": {"web_max": 120.0, "celery_worker": 300.0},
        "refresh": {"status": "skipped"},
    }
    goals = bench_run.evaluate_goals(report)
    assert goals["targets.home.ratio"] == {"value": value, "goal": ">= 0.6", "holds": holds}
    assert goals["peak_rss_mb.web_max"]["holds"] is True
    assert goals["peak_rss_mb.celery_worker"]["holds"] is False
    assert goals["refresh.unchanged.cases_per_second"]["holds"] is None
