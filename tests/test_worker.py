"""End to end: a real Celery worker refreshes cases from a local stand-in for the court's site.

The worker runs on Redis where REDIS_URL is set (as in CI) and on the in-memory broker otherwise.
"""

import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from kombu import pools

from cases import tasks
from cases.models import Case, Event, Filing, Source, SourceCheck
from tests.court_server import route
from tests.factories import CaseFactory, CourtFactory
from tracker.celery import app

PAGES = Path(__file__).parent / "pages" / "icj"
ICJ = "https://www.icj-cij.org"


def court_page(name, drop=()):
    """A sample page as the court serves it: links absolute, some documents dropped if asked."""
    html = (PAGES / name).read_text(encoding="utf-8").replace('href="/sites/', f'href="{ICJ}/sites/')
    lines = [line for line in html.splitlines() if not any(d in line for d in drop)]
    return "\n".join(lines).encode()


@pytest.fixture
def worker(transactional_db, server, settings):
    settings.FETCH_MIN_INTERVAL = 0
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options", "task_default_queue")}
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.update(
        broker_url=os.environ.get("REDIS_URL") or "memory://",
        broker_transport_options={},
        task_default_queue=queue,
    )
    reset_connections()
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=[queue], loglevel="WARNING"):
        yield app
    app.conf.update(saved)
    reset_connections()


def reset_connections():
    """Connections made for another broker URL must not be reused for this one."""
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def wait_for_checks(count, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if SourceCheck.objects.filter(source__case__isnull=False).count() >= count:
            return list(SourceCheck.objects.order_by("id"))
        time.sleep(0.1)
    raise AssertionError(f"the worker recorded {SourceCheck.objects.count()} checks, not {count}, in {timeout}s")


@pytest.fixture
def gaza(server):
    case = CaseFactory(court=CourtFactory(code="ICJ"), reference="192", stage="provisional_measures")
    Source.objects.create(case=case, adapter="icj", url=server.url("/case/192/orders"))
    return case


def test_a_worker_links_new_filings_and_a_second_refresh_adds_nothing(worker, server, gaza):
    route(server, "/case/192/orders", status=200, body=court_page("case-192-orders.html"), headers=[("ETag", '"v1"')])
    tasks.refresh_case.delay(gaza.pk)
    first = wait_for_checks(1)
    assert first[-1].outcome == "changed", first[-1].error
    urls = set(Filing.objects.filter(case=gaza).values_list("url", flat=True))
    assert f"{ICJ}/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf" in urls
    assert len(urls) == first[-1].new_filings >= 5

    tasks.refresh_case.delay(gaza.pk)
    second = wait_for_checks(2)
    assert second[-1].outcome in ("unchanged",) and second[-1].new_filings == 0
    assert Filing.objects.filter(case=gaza).count() == len(urls)


def test_two_concurrent_refreshes_give_one_result(worker, server, gaza):
    route(server, "/case/192/orders", status=200, body=court_page("case-192-orders.html"))
    tasks.refresh_case.delay(gaza.pk)
    tasks.refresh_case.delay(gaza.pk)
    checks = wait_for_checks(2)
    filings = Filing.objects.filter(case=gaza)
    assert filings.count() == len(set(filings.values_list("url", flat=True)))
    assert sum(check.new_filings for check in checks) == filings.count()
    assert Event.objects.filter(case=gaza, filing__isnull=False).count() == filings.filter(date__isnull=False).count()


def test_a_page_that_drops_filings_drops_none_from_the_database(worker, server, gaza):
    route(server, "/case/192/orders", status=200, body=court_page("case-192-orders.html"))
    tasks.refresh_case.delay(gaza.pk)
    wait_for_checks(1)
    stored = Filing.objects.filter(case=gaza).count()

    route(server, "/case/192/orders", status=200, body=court_page("case-192-orders.html", drop=["20251020"]))
    tasks.refresh_case.delay(gaza.pk)
    checks = wait_for_checks(2)
    assert checks[-1].missing_filings == 1
    assert Filing.objects.filter(case=gaza).count() == stored
    assert Filing.objects.get(url__contains="20251020").missing_since is not None

    # A page that suddenly lists almost nothing is refused as suspect.
    route(server, "/case/192/orders", status=200, body=court_page("case-192-orders.html", drop=["-ord-"]))
    tasks.refresh_case.delay(gaza.pk)
    checks = wait_for_checks(3)
    assert checks[-1].outcome == "suspect"
    assert Filing.objects.filter(case=gaza, missing_since__isnull=True).count() == stored - 1


def test_the_status_the_court_states_appears(worker, server):
    case = CaseFactory(court=CourtFactory(code="ICJ"), reference="156", stage="written_proceedings")
    Source.objects.create(case=case, adapter="icj", url=server.url("/case/156/discontinuance"))
    route(server, "/case/156/discontinuance", status=200, body=court_page("case-156-discontinuance.html"))
    tasks.refresh_case.delay(case.pk)
    assert wait_for_checks(1)[-1].outcome == "changed"
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.stage, case.source_stage) == ("concluded", "discontinued", "discontinued")
    assert case.filings.get().reference == "156-20150611-ORD-01-00-EN"


def test_a_blocked_page_is_recorded_and_not_retried(worker, server, gaza):
    hits = []

    def challenge(handler):
        hits.append(threading.get_ident())
        handler.reply(403, b"<title>Just a moment...</title>")

    server.routes["/case/192/orders"] = challenge
    tasks.refresh_case.delay(gaza.pk)
    check = wait_for_checks(1)[-1]
    time.sleep(0.5)
    assert check.outcome == "blocked" and check.http_status == 403
    assert len(hits) == 1
