"""parse_source: a page in, the Snapshot out as JSON; a page it cannot read ends in one line, no traceback."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.court_server import route

PAGES = Path(__file__).parent / "pages"


def run(*args):
    out = StringIO()
    call_command("parse_source", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_saved_page_prints_its_snapshot(db):
    expected = json.loads((PAGES / "icj/case-192-orders.expected.json").read_text())
    printed = run("icj", str(PAGES / "icj/case-192-orders.html"), "--url", expected["url"])
    assert printed == expected
    assert set(printed) == {"adapter", "url", "title", "status", "stage", "filings", "events", "warnings"}
    assert set(printed["filings"][0]) == {"url", "title", "date", "kind", "language", "reference"}


def test_a_saved_page_without_url_resolves_links_on_the_courts_site(db):
    printed = run("icj", str(PAGES / "icj/case-192-orders.html"))
    assert printed["filings"] and all(f["url"].startswith("https://www.icj-cij.org/") for f in printed["filings"])


def test_a_url_is_fetched_through_the_safe_client(db, server):
    body = (PAGES / "icj/case-192-orders.html").read_bytes()
    route(server, "/case/192/orders", status=200, body=body)
    printed = run("icj", server.url("/case/192/orders"))
    assert printed["url"] == server.url("/case/192/orders")
    # Served from a stand-in host, its relative links are not the court's: --url says where the page lives.
    assert printed["filings"] == [] and any("other host" in w or "127.0.0.1" in w for w in printed["warnings"])
    expected = json.loads((PAGES / "icj/case-192-orders.expected.json").read_text())
    assert run("icj", server.url("/case/192/orders"), "--url", expected["url"]) == expected


def test_a_url_on_another_host_is_refused(db, settings):
    settings.COURT_HOSTS = ["www.icj-cij.org"]
    with pytest.raises(CommandError, match="not one of the courts' hosts|not allowed|host"):
        run("icj", "https://example.org/case/192")


@pytest.mark.parametrize(
    ("adapter", "content", "message"),
    [
        ("icj", "", "empty page"),
        ("icj", "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>", ""),
        ("hudoc", "<html>not json</html>", ""),
        ("nope", "<h1>x</h1>", "unknown adapter"),
    ],
)
def test_an_unreadable_page_exits_non_zero_with_one_line(tmp_path, adapter, content, message):
    page = tmp_path / "page.html"
    page.write_text(content, encoding="utf-8")
    env = {**os.environ, "SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "manage.py", "parse_source", adapter, str(page)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parent.parent,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in lines[0]
