"""The backups the README documents, made and restored: pg_dump/pg_restore, and SQLite's .backup of a live file.

Each restore is checked the way it will be used: the copy has the same rows in every table, and the
tracker started on the copy exports the same cases as the original.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def run(command, *, env=None, cwd=None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(part) for part in command], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{command[0]} failed: {result.stderr or result.stdout}"
    return result


def without_stamp(text: str) -> dict:
    document = json.loads(text)
    assert document.pop("exported_at")
    return document


# SQLite, the embedded default: a backup of the file while the tracker has it open.


def sqlite_env(var_dir: Path) -> dict:
    """The tracker on its embedded defaults in var_dir, whatever this test run's own database is."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.setdefault("SECRET_KEY", "test-only-not-secret")
    return env | {"TRACKER_VAR_DIR": str(var_dir)}


@pytest.fixture(scope="module")
def live_sqlite(tmp_path_factory) -> tuple[Path, str]:
    """A var/ folder as `make run` leaves it (migrated, seeded), and the export of its cases."""
    var_dir = tmp_path_factory.mktemp("var")
    script = (
        "import django, io; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('seed_cases', verbosity=0)\n"
        "call_command('export_cases', out='export.json', verbosity=0)\n"
    )
    run(
        [sys.executable, "-c", script],
        env=sqlite_env(var_dir) | {"DJANGO_SETTINGS_MODULE": "tracker.settings", "PYTHONPATH": str(BASE_DIR)},
        cwd=var_dir,
    )
    return var_dir / "tracker.sqlite3", (var_dir / "export.json").read_text(encoding="utf-8")


def row_counts_sqlite(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        # Table names from the database's own catalogue.
        return {table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608


def backup_with_cli(source: Path, target: Path):
    """The README's command: sqlite3 var/tracker.sqlite3 ".backup 'backup.sqlite3'" """
    run(["sqlite3", source, f".backup '{target}'"])


def backup_with_python(source: Path, target: Path):
    """Where there is no sqlite3 program: the same online backup through Python's sqlite3 module."""
    run(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))",
            source,
            target,
        ]
    )


@pytest.mark.parametrize("backup", [backup_with_cli, backup_with_python])
def test_sqlite_backup_of_the_open_database_restores_the_same_cases(live_sqlite, tmp_path, backup):
    if backup is backup_with_cli and not shutil.which("sqlite3"):
        pytest.skip("no sqlite3 program here; the Python backup API is tested instead")
    database, exported = live_sqlite
    expected = row_counts_sqlite(database)
    assert expected["cases_case"] == len(json.loads(exported)["cases"]) > 0
    copy = tmp_path / "backup.sqlite3"

    # The tracker has the file open, in WAL mode as it runs, with a write under way that is not committed.
    live = sqlite3.connect(database, isolation_level=None, timeout=20)
    try:
        assert live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        live.execute("BEGIN IMMEDIATE")
        live.execute("INSERT INTO cases_court (code, name_en, name_fr, website) VALUES ('ZZ', 'Uncommitted', '', '')")
        backup(database, copy)
    finally:
        live.execute("ROLLBACK")
        live.close()

    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert row_counts_sqlite(copy) == expected  # the committed state: no half-written court

    # Restore as the README says: the tracker stopped, the copy in place, no -wal or -shm left beside it.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copyfile(copy, restored / "tracker.sqlite3")
    result = run([sys.executable, "manage.py", "export_cases"], env=sqlite_env(restored), cwd=BASE_DIR)
    assert without_stamp(result.stdout) == without_stamp(exported)


# PostgreSQL: pg_dump -Fc, then pg_restore into a fresh database.

POSTGRES_TOOLS = ("pg_dump", "pg_restore", "createdb", "dropdb")


def postgres_or_skip():
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://")):
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    assert connection.vendor == "postgresql"
    missing = [tool for tool in POSTGRES_TOOLS if not shutil.which(tool)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs against PostgreSQL, so its client tools must be here; missing: {', '.join(missing)}")
        pytest.skip(f"PostgreSQL client tools missing: {', '.join(missing)}")


def postgres_env() -> dict:
    params = connection.settings_dict
    env = dict(os.environ)
    for key, name in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if params.get(name):
            env[key] = str(params[name])
    return env


def row_counts_postgres(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (a name from pg_tables)
        counts[table] = cursor.fetchone()[0]
    return counts


def test_postgresql_dump_restores_into_a_fresh_database(transactional_db, tmp_path):
    postgres_or_skip()
    import psycopg

    call_command("seed_cases", verbosity=0)  # committed, so that pg_dump's own session sees it
    out = tmp_path / "export.json"
    call_command("export_cases", out=str(out), verbosity=0)
    with connection.cursor() as cursor:
        expected = row_counts_postgres(cursor)
    assert expected["cases_case"] == 21 and expected["cases_filing"] > 0

    params, env = connection.settings_dict, postgres_env()
    name = params["NAME"]
    scratch = f"{name}_restore_{os.getpid()}"[:63]
    dump = tmp_path / "tracker.dump"
    run(["pg_dump", "-Fc", "--no-owner", "-f", dump, name], env=env)
    run(["dropdb", "--if-exists", "--force", scratch], env=env)
    run(["createdb", scratch], env=env)
    try:
        run(["pg_restore", "--no-owner", "--exit-on-error", "-d", scratch, dump], env=env)

        with (
            psycopg.connect(
                dbname=scratch,
                host=params.get("HOST") or None,
                port=params.get("PORT") or None,
                user=params.get("USER") or None,
                password=params.get("PASSWORD") or None,
            ) as restored,
            restored.cursor() as cursor,
        ):
            assert row_counts_postgres(cursor) == expected

        # The tracker started on the restored database exports the same cases.
        user = quote(params.get("USER") or "", safe="")
        password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
        host = params.get("HOST") or "127.0.0.1"
        port = params.get("PORT") or 5432
        url = f"postgres://{user}{password}@{host}:{port}/{scratch}"
        result = run([sys.executable, "manage.py", "export_cases"], env=env | {"DATABASE_URL": url}, cwd=BASE_DIR)
        assert without_stamp(result.stdout) == without_stamp(out.read_text(encoding="utf-8"))
    finally:
        run(["dropdb", "--if-exists", "--force", scratch], env=env)
