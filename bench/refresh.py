"""The refresh benchmark of issue 5, run by bench/run.py as `python -m bench.refresh --cases N --output FILE`.

1. Gives the first N bench cases (by slug) an ICJ-style Source on a stand-in court site, a threaded HTTP server
   on 127.0.0.1 in this process that counts every request it answers. Each case's page is a realistic ICJ
   "orders" sub-page with one document; its ETag never changes, so a request that sends it back gets a 304.
2. Starts one real Celery worker process (`celery -A bench.refresh worker --pool=solo`: one process that takes
   a task, runs it and takes the next, so "per worker" means per process) on a queue of its own, with
   FETCH_MIN_INTERVAL=0: the production throttle (one request a second per court host) would otherwise be all
   that is measured. A probe in the worker counts the SQL queries of each task (connection.execute_wrapper)
   and its time.
3. Pass "changed": a refresh_case task per case; every page is new to us, so each case gets a new filing (and
   its event, history row, link check and page-version bumps). Pass "unchanged": the same again; the worker
   sends the ETag back and the server answers 304.
4. Times the `icj` adapter on ~500 KB pages made of the rows of tests/pages/icj samples (PAGE_SHAPES): the
   median of 20 parses in one process, wall clock and CPU.
5. Deletes every row it made (sources, checks, filings, their events and history), so that the bench data
   still holds exactly what generate_bench_data made, and makes those cases' cached pages stale.

Prints nothing but its log on stderr; the results go to --output as JSON.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from celery import signals

from tracker.celery import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "pages" / "icj"
HOST = "127.0.0.1"
PREFIX = "bench-"  # generate_bench_data's mark on the cases it made
ICJ = "https://www.icj-cij.org"
# Every document the benchmark's pages list lives under this address, so that they can all be found again.
DOCUMENT_URL = f"{ICJ}/sites/default/files/case-related/bench-refresh/"
PARSE_URL = f"{ICJ}/case/192/orders"
PARSE_BYTES = 500_000
PARSE_RUNS = 20
# The worker takes refresh_case from QUEUE only. What a refresh queues itself (link checks, alerts) goes
# to DISCARD, which nothing reads and which is deleted at the end: a link check would fetch the real ICJ site.
QUEUE = "bench-refresh"
DISCARD = "bench-refresh-discard"
WORKER_FLAG = "BENCH_REFRESH_WORKER"
PROBE_FILE = "BENCH_REFRESH_PROBE"
STALL_SECONDS = 60.0  # a pass with no progress for this long is given up


def log(message: str) -> None:
    print(f"[bench refresh {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def configure_queues() -> None:
    app.conf.update(task_default_queue=DISCARD, task_routes={"cases.tasks.refresh_case": {"queue": QUEUE}})


# The pages ---------------------------------------------------------------------------------------------

CASE_PAGE = """<!DOCTYPE html>
<html lang="en" dir="ltr">
  <head>
    <meta charset="utf-8" />
    <title>Orders | {title} | International Court of Justice</title>
  </head>
  <body class="path-case">
    <div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
      <header role="banner" class="site-header"><a href="/" rel="home">International Court of Justice</a></header>
      <main role="main" class="main-container container">
        <div class="region region-content">
          <h1 class="page-header">{title}</h1>
          <div class="row">
            <aside class="col-md-3 case-tabs" role="complementary">
              <ul class="nav nav-tabs nav-stacked">
                <li><a href="/case/{number}">Overview of the case</a></li>
                <li class="active"><a href="/case/{number}/orders" class="is-active">Orders</a></li>
                <li><a href="/case/{number}/press-releases">Press releases</a></li>
              </ul>
            </aside>
            <section class="col-md-9 case-documents">
              <h4 class="case-documents__title">Orders</h4>
              <div class="case-documents__list">
                <div class="document-row">
                  <a href="{document}">Order of 20 October 2025</a>
                </div>
              </div>
            </section>
          </div>
        </div>
      </main>
    </div>
  </body>
</html>
"""


def document_url(number: int) -> str:
    return f"{DOCUMENT_URL}{number}/{number}-20251020-ord-01-00-en.pdf"


def case_page(number: int, title: str) -> bytes:
    """Case `number`'s orders page (1 to 9999, as the ICJ numbers cases), listing one order."""
    from django.utils.html import escape

    return CASE_PAGE.format(number=number, title=escape(title), document=document_url(number)).encode()


MONTHS = "January February March April May June July August September October November December".split()  # noqa: SIM905


# The pages the parse is timed on: the rows of a sample page again and again, up to about 500 KB. The case
# page's rows are Drupal's views rows as the live site sends them (about 400 bytes a document); the orders
# sub-page's are as compact as a document list gets (about 190 bytes a document), so the same size holds
# twice as many documents: a harder page, reported beside the first.
PAGE_SHAPES = {
    "case_page": ("case-192.html", r'<div class="views-row">.*?</div>\s*</div>\s*'),
    "orders_subpage": ("case-192-orders.html", r'<div class="document-row">.*?</div>\s*'),
}


def large_case_page(size: int = PARSE_BYTES, shape: str = "case_page") -> str:
    """An ICJ page of about `size` bytes: a sample's document rows again and again, each copy with a date of
    its own in its file names and link text, so that every link is a document of its own."""
    sample, row_pattern = PAGE_SHAPES[shape]
    html = (SAMPLES / sample).read_text(encoding="utf-8")
    found = list(re.finditer(row_pattern, html, re.DOTALL))
    head, tail = html[: found[0].start()], html[found[-1].end() :]
    rows = [match[0] for match in found]
    pieces, total = [], len(head) + len(tail)
    while total < size:
        row = rows[len(pieces) % len(rows)]
        day = datetime.date(2025, 12, 31) - datetime.timedelta(days=len(pieces))
        words = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        piece = re.sub(r"192-\d{8}-", f"192-{day:%Y%m%d}-", row)
        piece = re.sub(rf"\d{{1,2}} (?:{'|'.join(MONTHS)}) \d{{4}}", words, piece)
        pieces.append(piece)
        total += len(piece)
    return head + "".join(pieces) + tail


def time_parse(text: str, runs: int = PARSE_RUNS) -> dict:
    from cases.sources.base import get_adapter

    parse = get_adapter("icj").parse
    snapshot = parse(text, PARSE_URL)  # and a warm-up
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        parse(text, PARSE_URL)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "page_kb": round(len(text.encode()) / 1000, 1),
        "filings": len(snapshot.filings),
        "runs": runs,
        "median_ms": round(statistics.median(timings), 2),
        "min_ms": round(min(timings), 2),
        "max_ms": round(max(timings), 2),
        # CPU time of this process: what the parse costs, whatever else the machine is doing.
        "median_cpu_ms": round(statistics.median(cpu), 2),
    }


# The stand-in court site ---------------------------------------------------------------------------------


class CourtHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server = self.server
        match = re.fullmatch(r"/case/(\d+)/orders", self.path)
        title = server.titles.get(int(match[1])) if match else None
        if title is None:
            return self._reply(404, b"not here")
        etag = f'"bench-{match[1]}-v1"'
        if self.headers.get("If-None-Match") == etag:
            return self._reply(304, b"", etag=etag)
        return self._reply(200, case_page(int(match[1]), title), etag=etag)

    def _reply(self, status: int, body: bytes, etag: str = ""):
        self.server.count(status)
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", "text/html; charset=utf-8")
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", "Mon, 20 Oct 2025 09:00:00 GMT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class CourtServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, titles: dict[int, str]):
        super().__init__((HOST, 0), CourtHandler)
        self.titles = titles
        self.lock = threading.Lock()
        self.statuses: collections.Counter = collections.Counter()

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def take_counts(self) -> dict[int, int]:
        with self.lock:
            counts, self.statuses = dict(self.statuses), collections.Counter()
        return counts

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.server_port}"


# The probe inside the worker --------------------------------------------------------------------------------

_probe = {"records": [], "queries": 0, "started": 0.0}


def _count_query(execute, sql, params, many, context):
    _probe["queries"] += 1
    return execute(sql, params, many, context)


def _task_started(sender=None, **kwargs):
    from django.db import connection

    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)
    _probe["queries"] = 0
    _probe["started"] = time.time()


def _task_done(sender=None, state=None, retval=None, **kwargs):
    _probe["records"].append(
        {
            "task": sender.name,
            "started": _probe["started"],
            "ended": time.time(),
            "queries": _probe["queries"],
            "state": state,
            "outcomes": retval if isinstance(retval, list) else None,
        }
    )


def _worker_ready(sender=None, **kwargs):
    Path(os.environ[PROBE_FILE] + ".ready").write_text(str(os.getpid()))


def _worker_stopping(sender=None, **kwargs):
    probe = {"pid": os.getpid(), "records": _probe["records"], **memory_mb(os.getpid())}
    Path(os.environ[PROBE_FILE]).write_text(json.dumps(probe))


if os.environ.get(WORKER_FLAG):
    configure_queues()
    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_done, weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
    signals.worker_shutdown.connect(_worker_stopping, weak=False)


def memory_mb(pid: int) -> dict:
    """VmHWM (peak resident set) and VmRSS of a process, in MB; empty when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    found = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.MULTILINE))
    return {
        "peak_rss_mb": round(int(found["VmHWM"]) / 1024, 1) if "VmHWM" in found else None,
        "rss_mb": round(int(found["VmRSS"]) / 1024, 1) if "VmRSS" in found else None,
    }


# The figures ------------------------------------------------------------------------------------------------


def summarise_pass(records: list[dict], *, cases: int, requests: dict[int, int], outcomes: dict[str, int]) -> dict:
    """One pass's figures from the worker's task records and the server's request counts.

    Cases per second is the pass's cases over the worker's busy span, from the start of its first task to the
    end of its last: what one process gets through, broker round trips between tasks included.
    """
    done = [record for record in records if record["task"] == "cases.tasks.refresh_case"]
    span = max(r["ended"] for r in done) - min(r["started"] for r in done) if done else 0.0
    queries = [record["queries"] for record in done]
    total_requests = sum(requests.values())
    return {
        "cases": cases,
        "tasks_run": len(done),
        "seconds": round(span, 3),
        "cases_per_second": round(len(done) / span, 1) if span else None,
        "ms_per_case": round(span * 1000 / len(done), 2) if done else None,
        "requests_per_case": round(total_requests / cases, 3) if cases else None,
        "responses": {str(status): count for status, count in sorted(requests.items())},
        "queries_per_case": round(statistics.mean(queries), 2) if queries else None,
        "queries_per_case_max": max(queries) if queries else None,
        "outcomes": dict(sorted(outcomes.items())),
        "task_states": dict(collections.Counter(record["state"] for record in done)),
    }


# The run ------------------------------------------------------------------------------------------------------


def made_rows():
    """The rows a run of this benchmark makes, as querysets, dependants first."""
    from cases.models import Event, Filing, Source

    filings = Filing.objects.filter(case__slug__startswith=PREFIX, url__startswith=DOCUMENT_URL)
    sources = Source.objects.filter(case__slug__startswith=PREFIX, url__startswith=f"http://{HOST}:")
    return [
        Event.objects.filter(filing__in=filings),
        Filing.history.model.objects.filter(url__startswith=DOCUMENT_URL),
        filings,
        sources,  # and their checks, by cascade
    ]


def clean_up() -> int:
    """Delete every row a run made (this one's or an interrupted one's); make those cases' pages stale."""
    from django.db import transaction

    from cases.management.commands.generate_bench_data import _purge
    from cases.models import Case
    from cases.pagecache import bump_case

    slugs = list(
        Case.objects.filter(slug__startswith=PREFIX, sources__url__startswith=f"http://{HOST}:").values_list(
            "slug", flat=True
        )
    )
    with transaction.atomic():
        deleted = sum(_purge(queryset) for queryset in made_rows())
    bump_case(*slugs)
    return deleted


def start_worker(probe: Path, log_file: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        WORKER_FLAG: "1",
        PROBE_FILE: str(probe),
        "EXTRA_COURT_HOSTS": HOST,
        "FETCH_ALLOW_PRIVATE_HOSTS": HOST,
        "FETCH_MIN_INTERVAL": "0",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "--quiet",  # no banner on stdout; warnings and errors go to the log file
        "-A",
        "bench.refresh",
        "worker",
        "--pool=solo",
        "--queues",
        QUEUE,
        "--hostname",
        f"bench-refresh-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    with log_file.open("w") as output:  # the worker's own messages (a warning about running as root...)
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT
        )
    ready = Path(str(probe) + ".ready")
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None:
            raise SystemExit(f"the Celery worker exited with {process.returncode}; see {log_file}")
        if time.monotonic() > deadline:
            stop_worker(process)
            raise SystemExit(f"the Celery worker was not ready within 60s; see {log_file}")
        time.sleep(0.1)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # warm shutdown: the probe writes its records
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def run_pass(name: str, case_ids: list[int], server: CourtServer) -> dict:
    from cases.models import SourceCheck
    from cases.tasks import refresh_case

    checks = SourceCheck.objects.filter(url__startswith=server.base + "/")
    after = checks.order_by("-id").values_list("id", flat=True).first() or 0
    checks = checks.filter(id__gt=after)
    server.take_counts()
    started = time.time()
    log(f"pass {name}: queueing {len(case_ids)} refresh_case tasks")
    for case_id in case_ids:
        refresh_case.apply_async((case_id,), queue=QUEUE)
    done, progress_at = 0, time.monotonic()
    while done < len(case_ids):
        time.sleep(0.2)
        count = checks.count()
        if count > done:
            done, progress_at = count, time.monotonic()
        elif time.monotonic() - progress_at > STALL_SECONDS:
            log(f"pass {name}: stalled at {done} of {len(case_ids)} checks")
            break
    wall = time.time() - started
    outcomes = collections.Counter(checks.values_list("outcome", flat=True))
    log(f"pass {name}: {done} checks in {wall:.1f}s, {dict(outcomes)}")
    return {"started": started, "wall_seconds": round(wall, 2), "requests": server.take_counts(), "outcomes": outcomes}


def delete_queues() -> None:
    """Empty and forget the benchmark's two queues in the broker (each has an exchange of its own name)."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for name in (QUEUE, DISCARD):
            try:
                channel.queue_purge(name)  # at every priority
                keys = getattr(channel, "keyprefix_queue", None), getattr(channel, "keyprefix_binding_permanent", None)
                bindings = [key % name for key in keys if key]
                if bindings and hasattr(channel, "client"):  # Redis: the bindings live beside the queues
                    channel.client.delete(*bindings)
            except Exception as error:  # noqa: BLE001 (a queue never declared is not a failure)
                log(f"could not delete queue {name}: {error}")


def run(*, cases: int, work_dir: Path) -> dict:
    from cases.models import Case, Source

    configure_queues()
    leftovers = clean_up()
    if leftovers:
        log(f"deleted {leftovers} rows an earlier run left behind")
    rows = list(Case.objects.filter(slug__startswith=PREFIX).order_by("slug").values_list("pk", "title_en")[:cases])
    if not rows:
        raise SystemExit("no bench cases: run generate_bench_data first")
    titles = {number: title for number, (_, title) in enumerate(rows, start=1)}
    server = CourtServer(titles)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    probe = work_dir / "refresh-probe.json"
    for stale in (probe, Path(str(probe) + ".ready")):
        stale.unlink(missing_ok=True)
    worker = None
    passes = {}
    try:
        Source.objects.bulk_create(
            Source(case_id=pk, adapter="icj", url=f"{server.base}/case/{number}/orders")
            for number, (pk, _) in enumerate(rows, start=1)
        )
        case_ids = [pk for pk, _ in rows]
        log(f"{len(case_ids)} cases on {server.base}; starting one Celery worker process (solo pool)")
        worker = start_worker(probe, work_dir / "celery-refresh.log")
        for name in ("changed", "unchanged"):
            passes[name] = run_pass(name, case_ids, server)
        memory = memory_mb(worker.pid)
        stop_worker(worker)
        worker_probe = json.loads(probe.read_text()) if probe.exists() else {"records": []}
    finally:
        if worker is not None:
            stop_worker(worker)
        server.shutdown()
        server.server_close()
        delete_queues()
        deleted = clean_up()
        log(f"deleted the {deleted} rows this run made")

    records = worker_probe["records"]
    result = {
        "how": (
            "one Celery worker process (--pool=solo) on Redis runs refresh_case per case against a local "
            "HTTP server on 127.0.0.1 with FETCH_MIN_INTERVAL=0 (the per-host throttle off); queries counted "
            "in the worker with connection.execute_wrapper, requests at the server"
        ),
        "cases": len(case_ids),
    }
    bounds = [passes["changed"]["started"], passes["unchanged"]["started"], float("inf")]
    for index, name in enumerate(("changed", "unchanged")):
        mine = [r for r in records if bounds[index] <= r["started"] < bounds[index + 1]]
        result[name] = summarise_pass(
            mine, cases=len(case_ids), requests=passes[name]["requests"], outcomes=passes[name]["outcomes"]
        )
        result[name]["wall_seconds"] = passes[name]["wall_seconds"]
    log("timing the icj adapter on ~500 KB pages")
    result["parse_500kb"] = {"shape": "case_page", **time_parse(large_case_page(shape="case_page"))}
    result["parse_500kb_dense"] = {"shape": "orders_subpage", **time_parse(large_case_page(shape="orders_subpage"))}
    peak = worker_probe.get("peak_rss_mb") or memory.get("peak_rss_mb")
    result["celery_worker"] = {"peak_rss_mb": peak, "pool": "solo", "processes": 1}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--output", type=Path, required=True)
    options = parser.parse_args()
    import django

    django.setup()
    result = run(cases=options.cases, work_dir=options.output.parent)
    options.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
