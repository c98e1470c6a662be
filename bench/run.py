"""The benchmark of issue 5: `make bench` (full scale) or `BENCH_SCALE=small make bench` (under three minutes).

1. Creates the PostgreSQL database tracker_bench if missing, migrates it, and fills it with
   generate_bench_data (kept from the last run when it already holds exactly this scale).
2. Starts gunicorn as in production (DEBUG off, Redis cache, persistent connections), 2 workers a core,
   on a free port of 127.0.0.1, with bench.settings: the tracker's settings plus the bare view.
3. Warms every target up, then loads each from this (second) process with wrk, the same threads,
   connections and duration for each, and reads requests per second and latency percentiles.
4. Writes bench/results/latest.json (and a dated copy, not kept in git) and prints a table.

Environment: BENCH_SCALE (small|full), BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_DURATION (seconds a target),
BENCH_CONNECTIONS, BENCH_THREADS, BENCH_WORKERS, BENCH_REGENERATE=1 (make the data again).
Everything stops by itself: gunicorn is terminated on the way out, whatever happened.
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
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
HOST = "127.0.0.1"

SCALES = {
    # cases, filings per case, filings in the largest case; wrk duration (s), connections, threads
    "small": {"cases": 200, "filings_per_case": 50, "largest_case_filings": 2000, "duration": 10},
    "full": {"cases": 5000, "filings_per_case": 200, "largest_case_filings": 5000, "duration": 30},
}
SEED = 1
SEARCH_QUERY = "provisional measures"
# The order of the table; "bare" first, as everything is a ratio of it.
TARGET_NAMES = ["bare", "home", "case_list", "case_page", "search", "case_feed", "api_list"]


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
        "print(json.dumps({'cases': cases.count(), 'filings': Filing.objects.filter(case__in=cases).count()}))"
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


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
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
        str(RESULTS / "gunicorn.log"),
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    log(f"starting gunicorn with {workers} workers on {HOST}:{port}")
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


def table(report: dict) -> str:
    lines = [
        f"{'target':<11} {'rps':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'ratio':>7}  errors",
        "-" * 72,
    ]
    for name, row in report["targets"].items():
        if "rps" not in row:
            lines.append(f"{name:<11} {row.get('status', '')}")
            continue
        ratio = f"{row['ratio']:.3f}" if "ratio" in row else "1"
        errors = ", ".join(f"{k} {v}" for k, v in row.get("errors", {}).items()) or "-"
        if not row["requests"]:
            errors = "no response within the run; " + errors
        cells = [ms(row.get(key)) for key in ("p50_ms", "p95_ms", "p99_ms")]
        lines.append(f"{name:<11} {row['rps']:>9.1f} {cells[0]} {cells[1]} {cells[2]} {ratio:>7}  {errors}")
    rss = report["peak_rss_mb"]
    lines.append("")
    lines.append(f"peak RSS of the web workers (MB): {rss.get('web_workers')} (max {rss.get('web_max')})")
    lines.append(f"refresh: {report['refresh'].get('status', report['refresh'])}")
    return "\n".join(lines)


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
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tracker_bench")
    if urlsplit(database_url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the benchmark only runs against a database on 127.0.0.1")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
        # The API's anonymous throttle (120 a minute) would turn the API run into a measure of 429s. The
        # throttle still runs (a cache read and write a request); only its limit is out of reach.
        "API_ANON_RATE": "100000000/second",
    }
    wrk = ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    ensure_database(database_url)
    log("migrating")
    manage(env, "migrate", "--no-input", "-v0")
    data = prepare_data(env, scale)
    paths, largest = target_paths(env)

    script = RESULTS / "percentiles.lua"
    script.write_text(WRK_SCRIPT)
    port = free_port()
    base = f"http://{HOST}:{port}"
    server = start_gunicorn(env, port, workers)
    targets = {}
    try:
        wait_until_up(server, base)
        log("warming up")
        for name in TARGET_NAMES:
            # As many at once as there are workers, so that each is likely to have served every target.
            with ThreadPoolExecutor(workers) as pool:
                statuses = set(pool.map(get, [base + paths[name]] * (2 * workers)))
            if statuses != {200}:
                raise SystemExit(f"{name} ({paths[name]}) answered {sorted(statuses)} while warming up")
        for name in TARGET_NAMES:
            waited = wait_until_idle(base)
            log(f"loading {name}: {paths[name]} (after {waited}s for the workers to be idle)")
            targets[name] = {"path": paths[name], **run_wrk(wrk, name, base + paths[name], load, script)}
        pids = worker_pids(server.pid)
        peaks = peak_rss_mb(pids)
    finally:
        stop_gunicorn(server)

    bare_rps = targets["bare"]["rps"]
    for name, row in targets.items():
        if name != "bare":
            row["ratio"] = round(row["rps"] / bare_rps, 3) if bare_rps else 0.0
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
            "load": {**load, "tool": "wrk", "gunicorn_workers": workers, "worker_class": "sync"},
            "total_seconds": round(time.monotonic() - started, 1),
        },
        "targets": targets,
        "refresh": {"status": "not measured yet"},
        "peak_rss_mb": {
            "web_workers": peaks,
            "web_max": max(peaks) if peaks else None,
            "celery_worker": "not measured yet",
        },
    }
    text = json.dumps(report, indent=2) + "\n"
    (RESULTS / "latest.json").write_text(text)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{scale_name}-{stamp}.json").write_text(text)
    print(table(report))
    log(f"done in {report['scale']['total_seconds']}s; wrote {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
