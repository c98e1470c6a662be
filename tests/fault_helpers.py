"""Private servers and worker processes for the fault tests (tests/test_faults.py).

The faults are real: a Redis server stopped, a PostgreSQL cluster restarted, a worker killed with SIGKILL.
Each test starts servers of its own (never the shared ones, which other tests and people use) and stops
them, and the processes it started, by their pid.

Run as a module, this file is the process under test:
  python -m tests.fault_helpers worker    a Celery worker on FAULT_BROKER_URL, queue FAULT_QUEUE
  python -m tests.fault_helpers refresh ID    one refresh of case ID, as a worker runs it
both on the database named FAULT_DB_NAME (the test's own, which it commits to), and
  python -m tests.fault_helpers prepare    migrate the database of DATABASE_URL, record a case there, print its id
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need(what: str, found) -> None:
    """Skip with a reason where a binary is missing; fail instead where CI is set, as CI must run every test."""
    if found:
        return
    message = f"{what} is not installed on this machine"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI must run the fault tests")
    pytest.skip(message)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(interval)


def stop_process(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 15) -> None:
    """End a process this test started, by its pid, and reap it."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout)


# Redis ---------------------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own on a free port, keeping nothing on disk; stop() and start() again."""

    def __init__(self, directory: Path):
        need("redis-server", shutil.which("redis-server"))
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        log = open(self.directory / f"redis-{self.port}.log", "ab")  # noqa: SIM115 (kept by the process)
        self.process = subprocess.Popen([*command, "--dir", str(self.directory)], stdout=log, stderr=log)
        try:
            wait_until(self.answers, 10, f"the private Redis on port {self.port}")
        except AssertionError:
            self.stop()
            raise
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def client(self, db: int = 0):
        import redis

        return redis.Redis.from_url(self.url(db))


# PostgreSQL ----------------------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parent.parent.name)
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own in a temporary folder, on a free port, TCP only, trust auth.

    PostgreSQL refuses to run as root: where the tests are root (as in CI), the cluster belongs to the
    postgres user and its commands run through runuser, as the machine's own cluster does.
    """

    def __init__(self):
        self.bin = postgres_bin()
        need("PostgreSQL (initdb, pg_ctl)", self.bin and (self.bin / "initdb").exists())
        self.as_user: list[str] = []
        owner = None
        if os.geteuid() == 0:
            need("runuser", shutil.which("runuser"))
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                need("a postgres user to run PostgreSQL as", False)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        if owner is not None:
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()

    def url(self, name: str = "tracker") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, *command], check=True, capture_output=True, text=True, timeout=timeout, cwd=self.directory
        )

    def _pg_ctl(self, action: str, *extra: str, timeout: float = 60) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
            "-o", options, *extra, timeout=timeout,
        )  # fmt: skip

    def start(self) -> PrivatePostgres:
        """initdb, start and createdb tracker; the caller calls stop() whatever happens, as it removes the folder."""
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self._pg_ctl("start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "tracker")
        return self

    def restart(self) -> None:
        """pg_ctl restart -m fast: every connection is cut, and the server is back when this returns."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate", timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)


# Processes under test ------------------------------------------------------------------------------------


def process_env(*, db_name: str = "", var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker or refresh process: the test's database, reading the local court server."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        SECRET_KEY=env.get("SECRET_KEY") or "test-only-not-secret",
        TRACKER_VAR_DIR=str(var_dir),
        COURT_HOSTS="127.0.0.1",
        FETCH_ALLOW_PRIVATE_HOSTS="127.0.0.1",
        FETCH_MIN_INTERVAL="0",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    if db_name:
        env["FAULT_DB_NAME"] = db_name
    env.update(extra)
    return env


def log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    from django.conf import settings

    name = os.environ.get("FAULT_DB_NAME")
    if name:
        # The test's database (test_<name> on PostgreSQL, a file on SQLite), which it commits to.
        settings.DATABASES["default"]["NAME"] = name
    import django

    django.setup()


def _install_stall_hook():
    """FAULT_STALL_FILE: the first refresh to get there stops inside apply_snapshot's transaction, with its
    filings and events written but not committed, writes "<pid> <new filings>" to the file and sleeps,
    for the test to kill it there. Later refreshes (the file exists) go through."""
    stall_file = os.environ.get("FAULT_STALL_FILE")
    if not stall_file:
        return
    from cases import services

    original = services._apply_events

    def apply_events_then_stall(case, snapshot, changes):
        original(case, snapshot, changes)
        path = Path(stall_file)
        if path.exists():
            return
        partial = path.with_suffix(".part")
        partial.write_text(f"{os.getpid()} {len(changes.new_filings)}")
        partial.rename(path)
        time.sleep(600)

    services._apply_events = apply_events_then_stall


def _worker():
    from tracker.celery import app

    queue = os.environ["FAULT_QUEUE"]
    app.conf.update(
        broker_url=os.environ["FAULT_BROKER_URL"],
        broker_transport_options={
            # What the test shortens: how long a message taken by a worker that died stays invisible.
            "visibility_timeout": float(os.environ.get("FAULT_VISIBILITY_TIMEOUT", "3600")),
            # Look for such messages every second rather than every 100 (kombu's default for the event loop).
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
    )
    pool = os.environ.get("FAULT_POOL", "solo")
    app.worker_main(
        [
            "worker",
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--queues",
            queue,
            "--hostname",
            f"faults-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
    )


def _refresh(case_id: int):
    """One refresh of a case in this process, as a worker runs the task; what it queues after is dropped."""
    from tracker.celery import app

    app.conf.update(broker_url="memory://", broker_transport_options={})
    from cases import tasks

    outcomes = tasks.refresh_case.apply(args=(case_id,), throw=True).get()
    print("outcomes", *outcomes, flush=True)


def _prepare():
    from django.core.management import call_command

    from cases.models import Source
    from tests.factories import CaseFactory, CourtFactory, EventFactory, FilingFactory

    call_command("migrate", verbosity=0, interactive=False)
    case = CaseFactory(court=CourtFactory(code="ICJ"), slug="restarted-v-recovered", short_title_en="Restarted")
    EventFactory(case=case, filing=FilingFactory(case=case, title="Order of the day"), title="Order of the day")
    if os.environ.get("FAULT_SOURCE_URL"):
        Source.objects.create(case=case, adapter="icj", url=os.environ["FAULT_SOURCE_URL"])
    print("case", case.pk)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _setup_django()
    _install_stall_hook()
    if sys.argv[1] == "worker":
        _worker()
    elif sys.argv[1] == "prepare":
        _prepare()
    elif sys.argv[1] == "refresh":
        _refresh(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]!r}")
