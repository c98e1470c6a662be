"""The soak run of issue 6: `make soak`. Ten minutes at half the capacity `make bench` measured, every request
answered, memory flat.

1. Reads the capacity from bench/results/latest.json (run `make bench` first): the pages are requested in
   turn, so the mix's capacity is the harmonic mean of their requests per second; the soak asks for half.
2. Starts gunicorn as the benchmark does (bench.run.server_env: PostgreSQL, the Redis cache, DEBUG off) on the
   benchmark's data, and loads it with wrk: each connection waits between requests so that all together ask
   for the chosen rate (wrk's delay(); the rate reached is reported, a little under the one asked).
3. Samples the resident memory of every web worker every SOAK_SAMPLE seconds.
4. Writes bench/results/soak.json and prints a summary. Exits non-zero if a request failed (an error status,
   a socket error or a timeout) or if the workers' memory grew by more than SOAK_GROWTH_LIMIT (10%) from the
   first minute to the last.

Environment: SOAK_SECONDS (600), SOAK_RATE (requests a second; default half the measured capacity),
SOAK_SAMPLE (10), SOAK_GROWTH_LIMIT (0.10), and the benchmark's BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_WORKERS.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.run import (
    HOST,
    RESULTS,
    TARGET_NAMES,
    ensure_wrk,
    free_port,
    log,
    machine,
    parse_wrk,
    server_env,
    start_gunicorn,
    stop_gunicorn,
    target_paths,
    wait_until_up,
    warm_up,
    worker_pids,
)

# Every page the benchmark loads except the bare view, in turn.
PAGES = [name for name in TARGET_NAMES if name != "bare"]

WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
delay = function()
  return %(delay_ms).3f
end
done = function(summary, latency, requests)
  io.write(string.format("SOAK_ERRORS %%d %%d %%d %%d %%d\\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def capacity(report: dict) -> float:
    """Requests a second the mix of PAGES can take: the harmonic mean of each page's measured rate."""
    rates = [report["targets"][name]["rps"] for name in PAGES]
    return len(rates) / sum(1 / rate for rate in rates)


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(match.group(1)) / 1024, 1) if match else None


def sample_memory(master: int, every: float, stop: threading.Event, samples: list) -> None:
    started = time.monotonic()
    while not stop.wait(every):
        sizes = [size for size in (rss_mb(pid) for pid in worker_pids(master)) if size is not None]
        if sizes:
            samples.append(
                {"t": round(time.monotonic() - started), "total_mb": round(sum(sizes), 1), "max_mb": max(sizes)}
            )


def growth(samples: list, window: int = 60) -> float | None:
    """How much the workers' total memory grew from the first minute of the run to the last, as a share."""
    if len(samples) < 4:
        return None
    end = samples[-1]["t"]
    first = [s["total_mb"] for s in samples if s["t"] <= window]
    last = [s["total_mb"] for s in samples if s["t"] >= end - window]
    return round(statistics.median(last) / statistics.median(first) - 1, 3)


def main() -> int:
    latest = RESULTS / "latest.json"
    if not latest.exists():
        raise SystemExit("run `make bench` first: the soak asks for half the capacity it measured")
    report = json.loads(latest.read_text())
    seconds = int(os.environ.get("SOAK_SECONDS", 600))
    measured = capacity(report)
    rate = float(os.environ.get("SOAK_RATE", measured / 2))
    every = float(os.environ.get("SOAK_SAMPLE", 10))
    growth_limit = float(os.environ.get("SOAK_GROWTH_LIMIT", 0.10))
    workers = int(os.environ.get("BENCH_WORKERS", report["scale"]["load"]["gunicorn_workers"]))
    connections = int(os.environ.get("SOAK_CONNECTIONS", 16))
    env = server_env()
    wrk = ensure_wrk()
    paths, _largest = target_paths(env)
    script = RESULTS / "soak.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(json.dumps(paths[name]) for name in PAGES),
            # Each connection sends one request, then waits: together they ask for `rate` a second.
            "delay_ms": 1000 * connections / rate,
        }
    )
    port = free_port()
    base = f"http://{HOST}:{port}"
    server = start_gunicorn(env, port, workers, "gunicorn-soak")
    samples: list = []
    stop = threading.Event()
    try:
        wait_until_up(server, base)
        warm_up(base, paths, PAGES, workers)
        log(f"soaking for {seconds}s at {rate:.0f} requests/s (measured capacity of the mix: {measured:.0f}/s)")
        sampler = threading.Thread(target=sample_memory, args=(server.pid, every, stop, samples), daemon=True)
        sampler.start()
        command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout=10s", "--latency", "-s", str(script)]
        output = subprocess.run(  # noqa: S603
            [*command, base + "/"], check=True, text=True, capture_output=True, timeout=seconds + 120
        ).stdout
        stop.set()
        sampler.join(timeout=every + 5)
    finally:
        stop.set()
        stop_gunicorn(server)
    (RESULTS / "wrk-soak.txt").write_text(output)
    result = parse_wrk(output)
    errors = dict(
        zip(
            ("connect", "read", "write", "status", "timeout"),
            map(int, re.search(r"SOAK_ERRORS ([\d ]+)", output).group(1).split()),
            strict=True,
        )
    )
    failed = sum(errors.values())
    grew = growth(samples)
    summary = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "seconds": seconds,
        "pages": {name: paths[name] for name in PAGES},
        "capacity_rps": round(measured, 1),
        "asked_rps": round(rate, 1),
        "reached_rps": result["rps"],
        "requests": result["requests"],
        "failed_requests": failed,
        "errors": errors,
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "memory_growth": grew,
        "memory_growth_limit": growth_limit,
        "memory_samples": samples,
        "gunicorn_workers": workers,
        "connections": connections,
    }
    (RESULTS / "soak.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"soak: {result['requests']} requests in {seconds}s at {result['rps']:.0f}/s (asked {rate:.0f}, capacity "
        f"{measured:.0f}); failed {failed}; p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; workers' memory "
        f"{samples[0]['total_mb'] if samples else '-'} -> {samples[-1]['total_mb'] if samples else '-'} MB "
        f"(growth {grew})"
    )
    ok = failed == 0 and grew is not None and grew <= growth_limit
    log("soak held" if ok else "soak FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
