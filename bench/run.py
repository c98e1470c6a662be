"""The benchmark of issue 5: `make bench` (full scale) or `BENCH_SCALE=small make bench` (under three minutes).

1. Creates the PostgreSQL database tracker_bench if missing, migrates it, and fills it with
   generate_bench_data (kept from the last run when it already holds exactly this scale).
2. Starts gunicorn as in production (DEBUG off, Redis cache, persistent connections), 2 workers a core,
   on a free port of 127.0.0.1, with bench.settings: the tracker's settings plus the bare view.
3. Warms every target up, then loads each from this (second) process with wrk, the same threads,
   connections and duration for each, and reads requests per second and latency percentiles. The targets
   are loaded in turn, BENCH_RUNS times over (3 at full scale, 1 at small); the report gives each figure's
   median over the runs, and keeps every run's figures beside it.
4. case_page_cold: the largest case's page with the page cache off, from a second gunicorn with the same
   settings but PAGE_CACHE_SECONDS=0 (started once the first one has stopped, so the two never compete).
5. The refresh benchmark (bench/refresh.py): 1,000 cases through one Celery worker process, changed then
   unchanged, and the time to parse a 500 KB ICJ page.
6. Writes bench/results/latest.json (and a dated copy, not kept in git) and prints a table, with the
   issue's goals and whether each holds ("goals" in the JSON: "targets" is the pages' section).

Environment: BENCH_SCALE (small|full), BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_DURATION (seconds a target),
BENCH_RUNS, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_WORKERS, BENCH_REGENERATE=1 (make the data again),
BENCH_REFRESH_CASES, BENCH_SKIP_REFRESH=1.
Everything stops by itself: gunicorn and the Celery worker are terminated on the way out, whatever happened.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
HOST = "127.0.0.1"

SCALES = {
    # cases, filings per case, filings in the largest case; wrk duration (s) and runs a target; refreshed cases
    "small": {
        "cases": 200,
        "filings_per_case": 50,
        "largest_case_filings": 2000,
        "duration": 8,
        "runs": 1,
        "refresh_cases": 200,
    },
    "full": {
        "cases": 5000,
        "filings_per_case": 200,
        "largest_case_filings": 5000,
        "duration": 30,
        "runs": 3,
        "refresh_cases": 1000,
    },
}
SEED = 1
SEARCH_QUERY = "provisional measures"
# bench/refresh.py's DOCUMENT_URL (that module needs Django; this one never imports it).
REFRESH_DOCUMENTS = "https://www.icj-cij.org/sites/default/files/case-related/bench-refresh/"
# The order of the table; "bare" first, as everything is a ratio of it.
TARGET_NAMES = ["bare", "home", "case_list", "case_page", "search", "case_feed", "api_list"]
# Loaded on the second gunicorn, the one with the page cache off.
COLD_TARGETS = {"case_page_cold": "case_page"}
# The goals, at full scale: (section, name, figure, comparison, limit). Ratios are of the bare view.
GOALS = [
    ("targets", "home", "ratio", ">=", 0.6),
    ("targets", "case_list", "ratio", ">=", 0.6),
    ("targets", "case_page", "ratio", ">=", 0.6),
    ("targets", "case_feed", "ratio", ">=", 0.6),
    ("targets", "api_list", "ratio", ">=", 0.4),
    ("targets", "search", "p95_ms", "<=", 100),
    ("targets", "case_page_cold", "p50_ms", "<=", 50),
    ("peak_rss_mb", "web_max", None, "<=", 150),
    ("peak_rss_mb", "celery_worker", None, "<=", 250),
    ("refresh", "unchanged", "cases_per_second", ">=", 100),
    ("refresh", "unchanged", "requests_per_case", "<=", 1),
    ("refresh", "unchanged", "queries_per_case_max", "<=", 3),
    ("refresh", "parse_500kb", "median_ms", "<=", 10),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The database ---------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def dataset_counts(env: dict) -> dict:
    script = (
        "import json; from cases.models import Case, Filing; "
        "cases = Case.objects.filter(slug__startswith='bench-'); "
        # What an interrupted refresh benchmark left is not the generator's: bench/refresh.py deletes it.
        f"filings = Filing.objects.filter(case__in=cases).exclude(url__startswith={REFRESH_DOCUMENTS!r}); "
        "print(json.dumps({'cases': cases.count(), 'filings': filings.count()}))"
    )
    return json.loads(manage(env, "shell", "-c", script, capture=True).strip().splitlines()[-1])


def prepare_data(env: dict, scale: dict) -> dict:
    expected = {
        "cases": scale["cases"],
        "filings": (scale["cases"] - 1) * scale["filings_per_case"] + scale["largest_case_filings"],
    }
    have = dataset_counts(env)
    if have == expected and not os.environ.get("BENCH_REGENERATE"):
        log(f"reusing the bench data already there: {have}")
        return {"generated": False, "seconds": 0.0, **have}
    log(f"generating {expected} (the database holds {have})")
    started = time.monotonic()
    manage(
        env,
        "generate_bench_data",
        "--cases",
        str(scale["cases"]),
        "--filings-per-case",
        str(scale["filings_per_case"]),
        "--largest-case-filings",
        str(scale["largest_case_filings"]),
        "--seed",
        str(SEED),
        "--reset",
    )
    seconds = time.monotonic() - started
    # Fresh statistics, so the planner sees the data as it is rather than as an empty table.
    manage(env, "shell", "-c", "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')")
    return {"generated": True, "seconds": round(seconds, 1), **dataset_counts(env)}


def target_paths(env: dict) -> tuple[dict, dict]:
    script = (
        "import json; from django.urls import reverse; from cases.models import Case; "
        "c = Case.objects.filter(slug__startswith='bench-').order_by('slug').first(); "
        "print(json.dumps({'slug': c.slug, 'page': c.get_absolute_url(), "
        "'feed': reverse('cases:case_feed_atom', args=[c.slug]), 'filings': c.filings.count()}))"
    )
    largest = json.loads(manage(env, "shell", "-c", script, capture=True).strip().splitlines()[-1])
    paths = {
        "bare": "/bench/bare/",
        "home": "/",
        "case_list": "/cases/?court=ICJ",
        "case_page": largest["page"],
        "search": "/search/?q=" + SEARCH_QUERY.replace(" ", "+"),
        "case_feed": largest["feed"],
        "api_list": "/api/cases/",
    }
    return paths, largest


# gunicorn ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, name: str = "gunicorn") -> subprocess.Popen:
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "tracker.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        "--error-logfile",
        str(RESULTS / f"{name}.log"),
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    log(f"starting {name} with {workers} workers on {HOST}:{port}")
    # Its own session, so that on the way out the whole group (master and workers) can be stopped.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def get(url: str, timeout: float = 30.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (always http://127.0.0.1)
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_up(process: subprocess.Popen, base: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {RESULTS / 'gunicorn.log'}")
        try:
            if get(base + "/bench/bare/", timeout=2) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {seconds:.0f}s")


def wait_until_idle(base: str, seconds: float = 90.0) -> float:
    """Wait until the workers have finished what the last run left queued, so targets do not overlap.

    wrk stops sending when its time is up, but gunicorn's sync workers still serve every request already
    queued: after a slow target that takes seconds. Idle means the bare view answers fast several times
    running. Returns the seconds waited.
    """
    started = time.monotonic()
    fast = 0
    while fast < 8 and time.monotonic() - started < seconds:
        before = time.monotonic()
        try:
            ok = get(base + "/bench/bare/", timeout=seconds) == 200
        except OSError:
            ok = False
        fast = fast + 1 if ok and time.monotonic() - before < 0.05 else 0
        if not fast:
            time.sleep(0.1)
    return round(time.monotonic() - started, 1)


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The fields after the command name (which may hold spaces) start after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            pids.append(int(entry.name))
    return sorted(pids)


def peak_rss_mb(pids: list[int]) -> list[float]:
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            peaks.append(round(int(match.group(1)) / 1024, 1))
    return peaks


# wrk ----------------------------------------------------------------------------------------------------

# Printed by wrk when the run is done: the exact percentiles, including p95 (--latency stops at 50/75/90/99).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH_PERCENTILES %d %d %d %d\\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
"""

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests per second, p50 and p99 from wrk's --latency report, and what went wrong, if anything."""
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    distribution = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    result["p50_ms"] = round(to_ms(distribution["50"]), 2)
    result["p99_ms"] = round(to_ms(distribution["99"]), 2)
    percentiles = re.search(r"BENCH_PERCENTILES (\d+) (\d+) (\d+) (\d+)", output)
    if percentiles:
        result["p95_ms"] = round(int(percentiles.group(3)) / 1000, 2)
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    if not result["requests"]:
        # No response came back within the run: there is no latency to speak of, only that fact.
        result.update(p50_ms=None, p95_ms=None, p99_ms=None)
    errors = {}
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        for name, value in zip(("connect", "read", "write", "timeout"), socket_errors.groups(), strict=True):
            if int(value):
                errors[name] = int(value)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors["non_2xx_3xx"] = int(non_2xx.group(1))
    result["errors"] = errors
    return result


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, stdout=subprocess.DEVNULL)  # noqa: S607
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk (Debian, Ubuntu) or brew install wrk")
    return found


def run_wrk(wrk: str, name: str, url: str, load: dict, script: Path) -> dict:
    command = [
        wrk,
        f"-t{load['threads']}",
        f"-c{load['connections']}",
        f"-d{load['duration']}s",
        f"--timeout={load['timeout']}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(  # noqa: S603
        command, check=True, text=True, capture_output=True, timeout=load["duration"] + load["timeout"] + 30
    ).stdout
    # wrk's own report, kept beside the results (not in git) for whoever wants to read it whole.
    (RESULTS / f"wrk-{name}.txt").write_text(output)
    return parse_wrk(output)


# The report -------------------------------------------------------------------------------------------


def machine() -> dict:
    memory = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "memory_gb": round(int(memory.group(1)) / 1024 / 1024, 1) if memory else None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def ms(value) -> str:
    return f"{value:>9.2f}" if value is not None else f"{'-':>9}"


FIGURES = ("rps", "p50_ms", "p95_ms", "p99_ms", "ratio")


def median_row(path: str, runs: list[dict]) -> dict:
    """One target's figures: the median of each over the runs, the runs' requests and errors summed,
    and every run's own figures under "runs"."""
    row: dict = {"path": path}
    for key in FIGURES:
        values = [run[key] for run in runs if run.get(key) is not None]
        if values:
            row[key] = round(statistics.median(values), 3 if key == "ratio" else 2)
        elif any(key in run for run in runs):
            row[key] = None
    row["requests"] = sum(run["requests"] for run in runs)
    errors: Counter = Counter()
    for run in runs:
        errors.update(run.get("errors", {}))
    row["errors"] = dict(errors)
    row["runs"] = runs
    return row


def with_ratios(runs_by_target: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Each run's ratio: its requests per second over the bare view's in the same round of runs."""
    bare = runs_by_target["bare"]
    for name, runs in runs_by_target.items():
        if name == "bare":
            continue
        for index, run in enumerate(runs):
            bare_rps = bare[min(index, len(bare) - 1)]["rps"]
            run["ratio"] = round(run["rps"] / bare_rps, 3) if bare_rps else 0.0
    return runs_by_target


def figure(report: dict, section: str, name: str, key: str | None):
    value = report.get(section, {}).get(name)
    if key is not None:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def evaluate_goals(report: dict) -> dict:
    """The issue's goals: each figure, its goal and whether it holds (None when it was not measured)."""
    goals = {}
    for section, name, key, comparison, limit in GOALS:
        value = figure(report, section, name, key)
        holds = None if value is None else (value >= limit if comparison == ">=" else value <= limit)
        label = f"{section}.{name}" + (f".{key}" if key else "")
        goals[label] = {"value": value, "goal": f"{comparison} {limit}", "holds": holds}
    return goals


def table(report: dict) -> str:
    runs = report["scale"]["load"].get("runs", 1)
    lines = [
        f"{'target':<15} {'rps':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'ratio':>7}  errors",
        "-" * 76,
    ]
    for name, row in report["targets"].items():
        if "rps" not in row:
            lines.append(f"{name:<15} {row.get('status', '')}")
            continue
        ratio = f"{row['ratio']:.3f}" if "ratio" in row else "1"
        errors = ", ".join(f"{k} {v}" for k, v in row.get("errors", {}).items()) or "-"
        if not row["requests"]:
            errors = "no response within the run; " + errors
        cells = [ms(row.get(key)) for key in ("p50_ms", "p95_ms", "p99_ms")]
        lines.append(f"{name:<15} {row['rps']:>9.1f} {cells[0]} {cells[1]} {cells[2]} {ratio:>7}  {errors}")
    lines.append(
        f"(medians of {runs} run{'s' if runs != 1 else ''} a target; case_page_cold: page cache off, "
        "one connection a worker)"
    )
    rss = report["peak_rss_mb"]
    lines.append("")
    lines.append(
        f"peak RSS of the web workers (MB): {rss.get('web_workers')}, page cache off {rss.get('web_workers_cold')}"
    )
    lines.append(f"peak RSS of the Celery worker (MB): {rss.get('celery_worker')}")
    refresh = report["refresh"]
    lines.append("")
    if "unchanged" in refresh:
        lines.append(f"refresh of {refresh['cases']} cases, one Celery worker process (solo pool), throttle off:")
        for name in ("changed", "unchanged"):
            row = refresh[name]
            lines.append(
                f"  {name:<10} {row['cases_per_second']} cases/s, {row['requests_per_case']} requests/case, "
                f"{row['queries_per_case']} queries/case (max {row['queries_per_case_max']}), "
                f"outcomes {row['outcomes']}"
            )
        for key in ("parse_500kb", "parse_500kb_dense"):
            parse = refresh.get(key)
            if parse:
                lines.append(
                    f"  parse a {parse['page_kb']} KB ICJ page, {parse.get('shape', '')} rows "
                    f"({parse['filings']} documents): median {parse['median_ms']} ms of {parse['runs']} "
                    f"({parse.get('median_cpu_ms')} ms CPU)"
                )
    else:
        lines.append(f"refresh: {refresh.get('status', refresh)}")
    lines.append("")
    scale = report["scale"]["name"]
    lines.append(f"{'goal (issue 5, at full scale)':<44} {'value':>10} {'goal':>9}  holds")
    lines.append("-" * 76)
    for label, goal in report["goals"].items():
        value = goal["value"]
        shown = "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
        holds = {True: "yes", False: "NO", None: "not measured"}[goal["holds"]]
        lines.append(f"{label:<44} {shown:>10} {goal['goal']:>9}  {holds}")
    if scale != "full":
        lines.append(f"(a {scale} run: the goals are for full scale, so these say little)")
    return "\n".join(lines)


def load_targets(wrk: str, base: str, paths: dict, names: list[str], load: dict, script: Path) -> dict[str, dict]:
    """One run of wrk on each target in turn, each once the workers are idle."""
    results = {}
    for name in names:
        waited = wait_until_idle(base)
        log(f"loading {name}: {paths[name]} (after {waited}s for the workers to be idle)")
        results[name] = run_wrk(wrk, name, base + paths[name], load, script)
    return results


def warm_up(base: str, paths: dict, names: list[str], workers: int, rounds: int = 2) -> None:
    for name in names:
        # As many at once as there are workers, so that each is likely to have served every target.
        with ThreadPoolExecutor(workers) as pool:
            statuses = set(pool.map(get, [base + paths[name]] * (rounds * workers)))
        if statuses != {200}:
            raise SystemExit(f"{name} ({paths[name]}) answered {sorted(statuses)} while warming up")


def serve_and_load(env: dict, workers: int, name: str, paths: dict, names: list[str], runs: int, load, wrk, script):
    """Start a gunicorn, warm it, load the targets `runs` times over; each target's runs, the workers' peaks."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    server = start_gunicorn(env, port, workers, name)
    by_target: dict[str, list[dict]] = {target: [] for target in names}
    try:
        wait_until_up(server, base)
        log(f"warming {name} up")
        # Uncached pages are slow to make: one round is enough to load what a worker loads once.
        warm_up(base, paths, names, workers, rounds=2 if env.get("PAGE_CACHE_SECONDS") != "0" else 1)
        for index in range(runs):
            if runs > 1:
                log(f"{name}: run {index + 1} of {runs}")
            for target, result in load_targets(wrk, base, paths, names, load, script).items():
                by_target[target].append(result)
        peaks = peak_rss_mb(worker_pids(server.pid))
    finally:
        stop_gunicorn(server)
    return by_target, peaks


def run_refresh(env: dict, cases: int) -> dict:
    """bench/refresh.py in a process of its own (it sets Django up; this one never does)."""
    output = RESULTS / "refresh.json"
    output.unlink(missing_ok=True)
    command = [PYTHON, "-m", "bench.refresh", "--cases", str(cases), "--output", str(output)]
    try:
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=1800)  # noqa: S603
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        log(f"the refresh benchmark failed: {error}")
        return {"status": f"failed: {error}"}
    return json.loads(output.read_text())


def server_env() -> dict:
    """The environment gunicorn runs in, as in production: PostgreSQL, the Redis cache, DEBUG off."""
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tracker_bench")
    if urlsplit(database_url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the benchmark only runs against a database on 127.0.0.1")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
        # The API's anonymous throttle (120 a minute) and the search limit would turn those runs into a measure
        # of 429s. They still run (cache reads and writes); only their limits are out of reach.
        "API_ANON_RATE": "100000000/second",
        "SEARCHES_PER_MINUTE": "100000000",
    }


def main() -> int:
    scale_name = os.environ.get("BENCH_SCALE", "full")
    if scale_name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}")
    scale = SCALES[scale_name]
    cpus = os.cpu_count() or 1
    load = {
        "threads": int(os.environ.get("BENCH_THREADS", 2)),
        "connections": int(os.environ.get("BENCH_CONNECTIONS", 16)),
        "duration": int(os.environ.get("BENCH_DURATION", scale["duration"])),
        "timeout": 10,
    }
    workers = int(os.environ.get("BENCH_WORKERS", 2 * cpus))
    env = server_env()
    database_url = env["DATABASE_URL"]
    runs = int(os.environ.get("BENCH_RUNS", scale["runs"]))
    refresh_cases = int(os.environ.get("BENCH_REFRESH_CASES", scale["refresh_cases"]))
    wrk = ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    ensure_database(database_url)
    log("migrating")
    manage(env, "migrate", "--no-input", "-v0")
    data = prepare_data(env, scale)
    paths, largest = target_paths(env)
    paths.update({cold: paths[warm] for cold, warm in COLD_TARGETS.items()})

    script = RESULTS / "percentiles.lua"
    script.write_text(WRK_SCRIPT)
    by_target, peaks = serve_and_load(env, workers, "gunicorn", paths, TARGET_NAMES, runs, load, wrk, script)
    # The same settings with the page cache off: what a reader gets the first time, or when Redis is down.
    cold_env = {**env, "PAGE_CACHE_SECONDS": "0"}
    # One connection: p50 is the time to make the page, not that time plus the wait behind requests queued ahead
    # of it, nor the time other renders take the CPU from it (four workers on two cores would double it).
    cold_load = {**load, "connections": 1, "threads": 1}
    cold, cold_peaks = serve_and_load(
        cold_env, workers, "gunicorn-cold", paths, list(COLD_TARGETS), runs, cold_load, wrk, script
    )
    for results in cold.values():
        for result in results:
            result["connections"] = cold_load["connections"]
    by_target = with_ratios({**by_target, **cold})
    targets = {name: median_row(paths[name], results) for name, results in by_target.items()}

    if os.environ.get("BENCH_SKIP_REFRESH"):
        refresh = {"status": "skipped (BENCH_SKIP_REFRESH)"}
    else:
        log(f"refresh benchmark: {refresh_cases} cases")
        refresh = run_refresh(env, refresh_cases)
    celery_peak = refresh.get("celery_worker", {}).get("peak_rss_mb")

    report = {
        "scale": {
            "name": scale_name,
            "cases": data["cases"],
            "filings": data["filings"],
            "filings_per_case": scale["filings_per_case"],
            "largest_case_filings": largest["filings"],
            "seed": SEED,
            "data_generated_seconds": data["seconds"] if data["generated"] else None,
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "load": {**load, "runs": runs, "tool": "wrk", "gunicorn_workers": workers, "worker_class": "sync"},
            "total_seconds": round(time.monotonic() - started, 1),
        },
        "targets": targets,
        "refresh": refresh,
        "peak_rss_mb": {
            "web_workers": peaks,
            "web_workers_cold": cold_peaks,
            "web_max": max(peaks + cold_peaks) if peaks + cold_peaks else None,
            "celery_worker": celery_peak,
        },
    }
    report["goals"] = evaluate_goals(report)
    text = json.dumps(report, indent=2) + "\n"
    (RESULTS / "latest.json").write_text(text)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{scale_name}-{stamp}.json").write_text(text)
    print(table(report))
    log(f"done in {report['scale']['total_seconds']}s; wrote {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
