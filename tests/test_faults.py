"""Faults, for real: a worker killed with SIGKILL mid-refresh, Redis stopped, PostgreSQL restarted under load,
two refreshes of one case at once.

Every server that a test stops is one of its own (tests/fault_helpers.py): a redis-server on a free port, a
PostgreSQL cluster in a temporary folder. The shared PostgreSQL and Redis that CI points DATABASE_URL and
REDIS_URL at are only used as the suite uses them everywhere (the test database), never stopped. The workers
and refreshes run in processes of their own on the test's committed database: PostgreSQL where DATABASE_URL
is set (as in CI), the SQLite test file otherwise. A test skips where the server binaries are missing, and
fails instead where CI is set.
"""

import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from celery import Celery
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from kombu import pools

from cases import tasks
from cases.models import Case, Event, Filing, Source, SourceCheck
from cases.sources.base import canonical_url, get_adapter
from tests import fault_helpers as faults
from tests.factories import CaseFactory, CourtFactory, EventFactory, FilingFactory
from tracker.celery import app

PAGES = Path(__file__).parent / "pages" / "icj"
ICJ = "https://www.icj-cij.org"


def court_page(name: str) -> bytes:
    """A sample page as the court serves it, its links absolute."""
    return (PAGES / name).read_text(encoding="utf-8").replace('href="/sites/', f'href="{ICJ}/sites/').encode()


def expected_filings(name: str) -> set[str]:
    snapshot = get_adapter("icj").parse(court_page(name).decode(), "http://127.0.0.1/")
    return {canonical_url(ref.url) for ref in snapshot.filings}


def assert_one_result(case: Case, pages: list[str]) -> None:
    """The case holds what one reading of these pages gives: each filing once, each event once."""
    expected = set().union(*(expected_filings(name) for name in pages))
    urls = list(Filing.objects.filter(case=case).values_list("url", flat=True))
    assert sorted(urls) == sorted(expected), "a filing lost or duplicated"
    # One event for each dated filing, and none twice.
    per_filing = Event.objects.filter(case=case, filing__isnull=False).values("filing").annotate(n=Count("id"))
    assert {row["n"] for row in per_filing} <= {1}
    dated = Filing.objects.filter(case=case, date__isnull=False).count()
    assert len(per_filing) == dated
    others = (
        Event.objects.filter(case=case, filing__isnull=True).values("date", "kind", "title").annotate(n=Count("id"))
    )
    assert {row["n"] for row in others} <= {1}, "an event recorded twice"


@pytest.fixture
def var_dir(tmp_path):
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def private_redis(tmp_path):
    server = faults.PrivateRedis(tmp_path)
    try:
        yield server.start()
    finally:
        server.stop()


class Processes:
    """The processes a test starts; each is ended by its pid when the test ends, whatever happened."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, mode: str, *args: str, env: dict[str, str]) -> subprocess.Popen:
        """python -m tests.fault_helpers MODE ARGS: a worker, or a refresh."""
        return self.run(mode, [sys.executable, "-m", "tests.fault_helpers", mode, *args], env=env)

    def run(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = self.tmp_path / f"{name}-{len(self.started)}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(command, cwd=faults.ROOT, env=env, stdout=out, stderr=out)
        self.started.append(process)
        self.logs.append(log)
        return process

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{faults.log_tail(log)}" for log in self.logs)

    def stop_all(self):
        # SIGQUIT: a worker's (and gunicorn's) quick shutdown; nothing they hold is worth a warm one here.
        for process in self.started:
            faults.stop_process(process, signal.SIGQUIT)


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def committed_db_name() -> str:
    return connection.settings_dict["NAME"]


def wait_for_checks(count: int, timeout: float, processes: Processes) -> list[SourceCheck]:
    try:
        faults.wait_until(lambda: SourceCheck.objects.count() >= count, timeout, f"{count} source checks")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{processes.output()}") from None
    return list(SourceCheck.objects.order_by("id"))


# 1. A worker killed with SIGKILL in the middle of a refresh --------------------------------------------------

# How long a message taken by a worker that died stays invisible (3600 s in production, where no refresh takes
# longer than CELERY_TASK_TIME_LIMIT; here 3 s, so that the test waits 3 s rather than an hour).
VISIBILITY_TIMEOUT = 3


@pytest.fixture
def broker(private_redis):
    """A private Redis as the workers' broker, a queue of the test's own, and a way to send refresh_case to it."""
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    # Not the current app: the tasks of cases/tasks.py, which follow the current app, stay on tracker.celery.
    with Celery("faults-sender", broker=private_redis.url(0), set_as_current=False) as sender:

        def send(case_id):
            sender.send_task("cases.tasks.refresh_case", args=[case_id], queue=queue)

        yield {"url": private_redis.url(0), "queue": queue, "send": send, "redis": private_redis}


def worker_env(broker, var_dir, **extra):
    return faults.process_env(
        db_name=committed_db_name(),
        var_dir=var_dir,
        REDIS_URL=broker["redis"].url(1),  # the workers' cache, whose page versions they bump
        FAULT_BROKER_URL=broker["url"],
        FAULT_QUEUE=broker["queue"],
        FAULT_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        **extra,
    )


@pytest.fixture
def gaza(server):
    case = CaseFactory(court=CourtFactory(code="ICJ"), reference="192", stage="provisional_measures")
    Source.objects.create(case=case, adapter="icj", url=server.url("/case/192/orders"))
    return case


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_the_court_answers_leaves_nothing_and_the_task_is_delivered_again(
    server, gaza, broker, var_dir, processes
):
    """SIGKILL to the whole worker (solo pool) while it reads the court's page: the message it had taken stays
    unacknowledged in Redis, and once the visibility timeout has passed the next worker takes it again."""
    page = court_page("case-192-orders.html")
    stalled, release = threading.Event(), threading.Event()

    def half_then_stall(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page[: len(page) // 2])
        handler.wfile.flush()
        stalled.set()
        release.wait(60)

    server.routes["/case/192/orders"] = half_then_stall
    env = worker_env(broker, var_dir)
    first = processes.start("worker", env=env)
    broker["send"](gaza.pk)
    try:
        assert stalled.wait(30), f"the worker never read the court's page\n{processes.output()}"
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        first.wait(10)
    finally:
        release.set()
    assert first.returncode == -signal.SIGKILL
    assert SourceCheck.objects.count() == 0 and Filing.objects.count() == 0

    server.routes["/case/192/orders"] = lambda handler: handler.reply(200, page)
    processes.start("worker", env=env)
    checks = wait_for_checks(1, 30, processes)
    redelivered = time.monotonic() - killed_at
    time.sleep(1.5)  # no second delivery of the same message
    checks = list(SourceCheck.objects.order_by("id"))
    print(
        f"\nkilled mid-response: refreshed again {redelivered:.1f}s after the SIGKILL (a new worker's start included)"
    )
    assert [check.outcome for check in checks] == ["changed"], processes.output()
    assert len(server.requests) == 2
    assert_one_result(gaza, ["case-192-orders.html"])


@pytest.mark.parametrize("pool", ["solo", "prefork"])
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_the_transaction_leaves_nothing_and_the_task_is_delivered_again(
    pool, server, gaza, broker, var_dir, processes
):
    """SIGKILL inside apply_snapshot, its filings and events written but not committed. The database rolls the
    transaction back. solo: the whole worker dies, and a new worker takes the message once the visibility
    timeout has passed. prefork: the pool process dies, and the worker, which lives on, gives the message back
    at once (acks_late with reject_on_worker_lost) to a new pool process."""
    server.routes["/case/192/orders"] = lambda handler: handler.reply(200, court_page("case-192-orders.html"))
    stall_file = var_dir / "stalled"
    # prefork needs no visibility timeout: the worker that lost its pool process gives the message back itself.
    timeout = {"solo": {}, "prefork": {"FAULT_VISIBILITY_TIMEOUT": "3600"}}[pool]
    env = worker_env(broker, var_dir, FAULT_STALL_FILE=str(stall_file), FAULT_POOL=pool) | timeout
    worker = processes.start("worker", env=env)
    broker["send"](gaza.pk)
    faults.wait_until(stall_file.exists, 30, f"the refresh to stop inside its transaction\n{processes.output()}")
    pid, written = (int(part) for part in stall_file.read_text().split())
    assert written == 8  # written in the transaction, not yet committed: nobody else sees them
    assert Filing.objects.count() == 0 and Event.objects.count() == 0 and SourceCheck.objects.count() == 0
    assert (pid == worker.pid) == (pool == "solo")

    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    if pool == "solo":
        worker.wait(10)
        processes.start("worker", env=env)  # the stall file exists: this one goes through
    checks = wait_for_checks(1, 30, processes)
    redelivered = time.monotonic() - killed_at
    time.sleep(1.5)
    checks = list(SourceCheck.objects.order_by("id"))
    print(f"\nkilled in the transaction ({pool}): refreshed again {redelivered:.1f}s after the SIGKILL")
    assert [check.outcome for check in checks] == ["changed"], processes.output()
    assert checks[0].new_filings == 8
    assert_one_result(gaza, ["case-192-orders.html"])
    if pool == "prefork":
        assert worker.poll() is None, "the worker itself lives on"


# 2. Redis stopped ---------------------------------------------------------------------------------------------


@pytest.fixture
def redis_everywhere(private_redis, settings):
    """Cache and broker on the private Redis, as production has them on one; the test then stops it."""
    settings.CACHES = {
        "default": {
            "BACKEND": "tracker.cache.RedisCache",
            "LOCATION": private_redis.url(1),
            "KEY_PREFIX": "faults",
        }
    }
    settings.REDIS_URL = private_redis.url(1)
    settings.PAGE_CACHE_SECONDS = 600
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options", "task_default_queue")}
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    app.conf.update(broker_url=private_redis.url(0), broker_transport_options={}, task_default_queue=queue)
    reset_broker_connections()
    yield {"redis": private_redis, "queue": queue}
    app.conf.update(saved)
    reset_broker_connections()


def reset_broker_connections():
    """Connections made for another broker URL must not be reused for this one."""
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def published(db):
    court = CourtFactory(code="ICJ")
    case = CaseFactory(court=court, short_title_en="Down v. Up", slug="down-v-up")
    filing = FilingFactory(case=case, title="Order on provisional measures")
    EventFactory(case=case, filing=filing, title="Order on provisional measures")
    Source.objects.create(case=case, adapter="icj", url="https://www.icj-cij.org/case/999/orders")
    return case


def public_pages(case):
    filing = case.filings.get()
    return [
        reverse("cases:home"),
        reverse("cases:case_list"),
        reverse("cases:case_list") + "?court=icj",
        case.get_absolute_url(),
        filing.get_absolute_url(),
        reverse("cases:search") + "?q=order",
        reverse("cases:court", args=["icj"]),
        reverse("cases:changes_feed_atom"),
        reverse("cases:case_feed_atom", args=[case.slug]),
        reverse("cases:calendar"),
        reverse("cases:follow_case", args=[case.slug]),
    ]


API = ["/api/", "/api/cases/", "/api/cases/down-v-up/", "/api/filings/", "/api/events/"]


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def test_public_pages_answer_while_redis_is_down(client, published, redis_everywhere):
    urls = public_pages(published)
    for url in urls:  # cached while Redis is up
        assert client.get(url).status_code == 200, url
    redis_everywhere["redis"].stop()

    slowest = 0.0
    for url in urls:
        response, took = timed_get(client, url)
        assert response.status_code == 200, url
        slowest = max(slowest, took)
    print(f"\nRedis down: {len(urls)} public pages answered 200, the slowest in {slowest * 1000:.0f} ms")
    assert slowest < 2


def test_the_api_answers_while_redis_is_down(client, published, redis_everywhere):
    """The API's throttle counts requests in the cache: a cache that is down must not fail the read."""
    redis_everywhere["redis"].stop()
    for url in API:
        response, took = timed_get(client, url)
        assert response.status_code == 200, url
        assert took < 2


@pytest.mark.django_db(transaction=True)  # the confirmation is queued on commit: a real one
def test_following_a_case_while_redis_is_down_is_refused_politely(client, published, redis_everywhere):
    """Following needs the rate limits (cache) and the confirmation email (queue), both on Redis: an answer
    that says to come back later, never a 500. (The limits let requests through when the cache is down.)"""
    redis_everywhere["redis"].stop()
    url = reverse("cases:follow_case", args=[published.slug])
    response = client.post(url, {"email": "reader@example.org", "frequency": "immediate"})
    assert response.status_code == 503, response.status_code
    assert "Please try again later" in response.content.decode()


@pytest.mark.parametrize("how", ["button", "action"])
@pytest.mark.django_db(transaction=True)  # tasks are sent when a transaction commits: real commits here
def test_refresh_now_says_the_queue_is_unavailable_while_redis_is_down(client, published, redis_everywhere, how):
    staff = get_user_model().objects.create_superuser("editor", "editor@example.org", "a long passphrase 1")
    client.force_login(staff)
    assert client.get(reverse("admin:cases_case_change", args=[published.pk])).status_code == 200
    redis_everywhere["redis"].stop()

    started = time.monotonic()
    if how == "button":
        response = client.post(reverse("admin:cases_case_refresh", args=[published.pk]), follow=True)
    else:
        response = client.post(
            reverse("admin:cases_case_changelist"),
            {"action": "refresh_now", "_selected_action": [published.pk]},
            follow=True,
        )
    took = time.monotonic() - started
    assert response.status_code == 200
    shown = [(message.level_tag, str(message)) for message in response.context["messages"]]
    assert len(shown) == 1, shown
    level, text = shown[0]
    assert level == "error" and text.startswith("The task queue is unavailable: refresh not queued."), text
    assert "The task queue is unavailable" in response.content.decode()
    print(f"\nRefresh now ({how}) with Redis down: told in {took:.2f}s")
    assert took < 5


def queued(redis, queue, task="cases.tasks.refresh_case") -> list[str]:
    """The arguments of the messages for `task` waiting in a queue."""
    messages = [json.loads(raw) for raw in redis.client(0).lrange(queue, 0, -1)]
    return [message["headers"]["argsrepr"] for message in messages if message["headers"]["task"] == task]


@pytest.mark.django_db(transaction=True)
def test_the_schedule_catches_up_once_redis_is_back(redis_everywhere, published):
    """Which cases are due comes from the database (each source's last check), not from messages: what beat
    could not send while Redis was down, and what Redis lost with it, is sent at beat's next tick after."""
    Source.objects.filter(case__isnull=True).delete()  # the court listings that a migration records
    long_ago = timezone.now() - datetime.timedelta(days=2)
    Source.objects.filter(case=published).update(last_checked_at=long_ago)
    fresh = CaseFactory(court=published.court, slug="checked-just-now")
    Source.objects.create(
        case=fresh, adapter="icj", url="https://www.icj-cij.org/case/998/orders", last_checked_at=timezone.now()
    )
    redis = redis_everywhere["redis"]
    queue = redis_everywhere["queue"]

    # A tick while Redis is up, whose message Redis then loses with everything else it held.
    assert tasks.refresh_due_cases.apply().get() == 1
    assert queued(redis, queue) == [f"({published.pk},)"]
    redis.stop()
    # Ticks while it is down: beat cannot even send the task, nor could a worker queue the refreshes.
    with pytest.raises(Exception) as refused:
        tasks.refresh_due_cases.delay()
    assert "refused" in str(refused.value).lower() or "connect" in str(refused.value).lower()
    with pytest.raises(Exception):  # noqa: B017 (kombu's OperationalError, whatever the transport raises)
        tasks.refresh_due_cases.apply(throw=True).get()

    redis.start()  # a new, empty Redis on the same port
    assert queued(redis, queue) == []
    started = time.monotonic()
    tasks.refresh_due_cases.delay()  # beat's next tick reaches the broker again
    assert queued(redis, queue, "cases.tasks.refresh_due_cases") == ["()"]
    # The worker runs it, and the case is queued again: due-ness is in the database.
    assert tasks.refresh_due_cases.apply().get() == 1
    assert queued(redis, queue) == [f"({published.pk},)"]
    print(f"\nRedis back: the due case queued again in {time.monotonic() - started:.2f}s")


# 3. PostgreSQL restarted under load ------------------------------------------------------------------------


class Load:
    """Readers on a few threads, each asking for public pages in turn; every answer kept with its times."""

    def __init__(self, base: str, paths: list[str], threads: int = 4):
        self.base, self.paths = base, paths
        self.answers: list[tuple[float, float, int]] = []  # started, ended, status (0: no answer)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=(n,), daemon=True) for n in range(threads)]

    def _read(self, n: int):
        position = n
        while not self.stopping.is_set():
            path = self.paths[position % len(self.paths)]
            position += 1
            started = time.monotonic()
            try:
                status = httpx.get(self.base + path, timeout=10).status_code
            except httpx.TransportError:
                status = 0
            self.answers.append((started, time.monotonic(), status))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(15)


def committed_checks(pg) -> list[tuple[str, float]]:
    """The checks recorded in the private cluster: outcome, and when (seconds since the epoch)."""
    import psycopg

    with psycopg.connect(pg.url(), connect_timeout=5) as conn:
        query = "SELECT outcome, extract(epoch FROM checked_at)::float FROM cases_sourcecheck ORDER BY id"
        return list(conn.execute(query))


def test_the_site_and_the_worker_recover_by_themselves_after_postgresql_restarts(
    server, private_redis, var_dir, processes
):
    """gunicorn (2 processes of 2 threads, each thread with its persistent connection: CONN_MAX_AGE) and a
    Celery worker (which keeps its connection across tasks: CELERY_DB_REUSE_MAX) on a PostgreSQL cluster of
    the test's own, the page cache off so that every answer reads the database. Readers keep asking while the
    cluster restarts (pg_ctl restart -m fast cuts every connection): every request made once the database is
    back answers 200, and the worker's next refresh is recorded, with neither restarted (CONN_HEALTH_CHECKS,
    and tracker/celery.py dropping a broken connection before a task)."""
    pg = faults.PrivatePostgres()
    try:
        pg.start()
        env = faults.process_env(
            var_dir=var_dir,
            DATABASE_URL=pg.url(),
            REDIS_URL="",
            ALLOWED_HOSTS="127.0.0.1",
            PAGE_CACHE_SECONDS="0",
            API_ANON_RATE="100000/minute",
            SEARCHES_PER_MINUTE="100000",
            LOG_LEVEL="WARNING",
            FAULT_SOURCE_URL=server.url("/case/192/orders"),
        )
        prepared = subprocess.run(
            [sys.executable, "-m", "tests.fault_helpers", "prepare"],
            cwd=faults.ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        case_id = int(prepared.stdout.split()[-1])
        server.routes["/case/192/orders"] = lambda handler: handler.reply(200, court_page("case-192-orders.html"))
        port = faults.free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "tracker.wsgi", "--bind", f"127.0.0.1:{port}"]
        processes.run("gunicorn", [*gunicorn, "--workers", "2", "--threads", "2", "--graceful-timeout", "2"], env=env)
        queue = f"faults-{uuid.uuid4().hex[:8]}"
        processes.start("worker", env=env | {"FAULT_BROKER_URL": private_redis.url(0), "FAULT_QUEUE": queue})
        base = f"http://127.0.0.1:{port}"
        paths = ["/", "/cases/", "/cases/restarted-v-recovered/", "/api/cases/", "/search/?q=order", "/courts/icj/"]

        def answers():
            try:
                return httpx.get(base + "/", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        with Celery("faults-sender", broker=private_redis.url(0), set_as_current=False) as sender:
            sender.send_task("cases.tasks.refresh_case", args=[case_id], queue=queue)
            faults.wait_until(answers, 30, f"gunicorn to answer\n{processes.output()}", interval=0.2)
            faults.wait_until(lambda: committed_checks(pg), 30, f"the worker's first refresh\n{processes.output()}")

            with Load(base, paths) as load:
                time.sleep(1.5)  # every thread of both processes now holds a connection
                restart_began = time.monotonic()
                pg.restart()
                restart_done, restart_done_at = time.monotonic(), time.time()
                sender.send_task("cases.tasks.refresh_case", args=[case_id], queue=queue)
                time.sleep(3)
        checks = faults.wait_until(
            lambda: len(committed_checks(pg)) >= 2 and committed_checks(pg), 30, f"a refresh\n{processes.output()}"
        )
        assert [outcome for outcome, _ in checks] == ["changed", "unchanged"], processes.output()
        refreshed = checks[1][1] - restart_done_at

        answers = sorted(load.answers)
        before = [status for started, ended, status in answers if ended < restart_began]
        during = [status for started, ended, status in answers if ended >= restart_began and started < restart_done]
        after = [(started, ended, status) for started, ended, status in answers if started >= restart_done]
        first_after = min((ended for _, ended, status in answers if status == 200 and ended > restart_done), default=0)
        assert first_after, f"no answer 200 since the restart\n{processes.output()}"
        print(
            f"\nPostgreSQL restart: the cluster was back in {restart_done - restart_began:.2f}s; "
            f"{sum(s != 200 for s in during)} of {len(during)} requests in that time failed "
            f"({sorted(set(during))}); the site answered 200 again {first_after - restart_done:.2f}s after, "
            f"{first_after - restart_began:.2f}s after the restart began; "
            f"{sum(s != 200 for _, _, s in after)} failures among the {len(after)} requests after; "
            f"the worker's refresh recorded {refreshed:.2f}s after"
        )
        assert before and set(before) == {200}, sorted(set(before))
        assert len(after) > 20
        assert {status for _, _, status in after} == {200}, processes.output()
        assert first_after - restart_done < 5
    finally:
        processes.stop_all()
        pg.stop()


# 4. Two refreshes of one case at once ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "pages",
    [
        pytest.param({"/case/192/orders": "case-192-orders.html"}, id="filings"),
        pytest.param(
            {"/case/192/orders": "case-192-orders.html", "/case/192/status": "case-156-discontinuance.html"},
            id="filings-and-status",
        ),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_one_case_at_once_give_one_result(pages, server, var_dir, processes):
    """Two processes (two workers) refresh the same case at the same moment: the court's site answers neither
    until both have asked, so they parse and store the same pages at once, on the suite's database
    (PostgreSQL in CI: real concurrent transactions). One result: each filing and event once, one status
    change, and per source one check that found the changes and one that found nothing new."""
    case = CaseFactory(court=CourtFactory(code="ICJ"), reference="192", stage="written_proceedings")
    sources = [Source.objects.create(case=case, adapter="icj", url=server.url(path)) for path in pages]
    together = {path: threading.Barrier(2, timeout=30) for path in pages}

    def both_then_answer(path):
        def handler(handler):
            together[path].wait()
            handler.reply(200, court_page(pages[path]))

        return handler

    for path in pages:
        server.routes[path] = both_then_answer(path)
    env = faults.process_env(db_name=committed_db_name(), var_dir=var_dir, REDIS_URL="")
    refreshes = [processes.start("refresh", str(case.pk), env=env) for _ in range(2)]
    for refresh in refreshes:
        refresh.wait(60)
    assert [refresh.returncode for refresh in refreshes] == [0, 0], processes.output()
    assert len(server.requests) == 2 * len(pages)

    assert_one_result(case, list(pages.values()))
    for source in sources:
        checks = SourceCheck.objects.filter(source=source)
        assert sorted(checks.values_list("outcome", flat=True)) == ["changed", "unchanged"]
        assert sum(check.new_filings for check in checks) == Filing.objects.filter(source=source).count()
    case.refresh_from_db()
    status_changes = Event.objects.filter(case=case, kind=Event.Kind.STATUS_CHANGE).count()
    if "/case/192/status" in pages:
        assert (case.status, case.stage) == (case.source_status, case.source_stage) == ("concluded", "discontinued")
        assert status_changes == 1
    else:
        assert (case.status, case.stage, case.source_status) == ("pending", "written_proceedings", "")
        assert status_changes == 0
