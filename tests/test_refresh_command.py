"""`manage.py refresh_cases`: which cases it picks, queueing them, and reading them here with --sync."""

import datetime
import io
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from kombu.exceptions import OperationalError

from cases import services
from cases.models import Case, Filing, Source, SourceCheck
from cases.sources.http import FetchError
from tests.court_server import route
from tests.factories import CaseFactory, CourtFactory

pytestmark = pytest.mark.django_db

PAGES = Path(__file__).parent / "pages" / "icj"
ICJ = "https://www.icj-cij.org"

# Tasks are queued on commit: these tests commit, as the command does outside any transaction.
commits = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(*args, stderr=None):
    out, err = io.StringIO(), stderr or io.StringIO()
    call_command("refresh_cases", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def table(output):
    """The closing table as {label: number}."""
    rows = {}
    for line in output.splitlines():
        label, _, number = line.rpartition(" ")
        if number.isdigit():
            rows[label.strip()] = int(number)
    return rows


def tracked(slug, court="ICJ", url=None, **fields):
    case = CaseFactory(court=CourtFactory(code=court), slug=slug, **fields)
    Source.objects.create(case=case, adapter=court.lower(), url=url or f"https://www.{court.lower()}.example/{slug}")
    return case


@pytest.fixture
def docket():
    """Two pending cases per court to read, and cases the default run leaves alone."""
    cases = {
        "icj-a": tracked("icj-a"),
        "icj-b": tracked("icj-b"),
        "icc-a": tracked("icc-a", court="ICC", kind=Case.Kind.SITUATION, stage="investigation"),
        "concluded": tracked("concluded", status="concluded", concluded_on=datetime.date(2024, 5, 1)),
        "set-aside": tracked("set-aside", refresh_enabled=False),
        "no-source": CaseFactory(court=CourtFactory(code="ICJ"), slug="no-source"),
        "disabled": tracked("disabled"),
    }
    Source.objects.filter(case=cases["disabled"]).update(enabled=False)
    return cases


def check(outcome, new_filings=0, missing_filings=0):
    return SourceCheck(outcome=outcome, new_filings=new_filings, missing_filings=missing_filings, url="https://x")


@pytest.fixture
def refreshed(monkeypatch):
    """services.refresh_case answering from a table of slug -> checks (or an exception); the slugs it was given."""
    answers, seen = {}, []

    def fake(*, case):
        seen.append(case.slug)
        answer = answers.get(case.slug, [check("unchanged")])
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(services, "refresh_case", fake)
    return answers, seen


# Choosing the cases


def test_sync_reads_the_pending_cases_with_an_enabled_source(docket, refreshed):
    _, seen = refreshed
    run("--sync")
    assert seen == ["icc-a", "icj-a", "icj-b"]


@pytest.mark.parametrize(("court", "expected"), [("icj", ["icj-a", "icj-b"]), ("ICC", ["icc-a"])])
def test_court_filter(docket, refreshed, court, expected):
    _, seen = refreshed
    run("--sync", "--court", court)
    assert seen == expected


@pytest.mark.parametrize("slug", ["icj-a", "concluded", "set-aside"])
def test_one_case_is_read_whatever_its_status(docket, refreshed, slug):
    _, seen = refreshed
    run("--sync", "--case", slug)
    assert seen == [slug]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--court", "XYZ"], "Unknown court 'XYZ' (known: ICC, ICJ)."),
        (["--case", "nope"], "Unknown case 'nope'."),
        (["--case", "no-source"], "Case 'no-source' has no enabled source to read."),
        (["--case", "disabled"], "Case 'disabled' has no enabled source to read."),
        (["--case", "icj-a", "--court", "ICC"], "Case 'icj-a' is a case of the ICJ, not of ICC."),
    ],
)
def test_what_cannot_be_found_is_a_one_line_error(docket, refreshed, args, message):
    _, seen = refreshed
    with pytest.raises(CommandError) as error:
        run("--sync", *args)
    assert str(error.value) == message
    assert "\n" not in str(error.value)
    assert seen == []


def test_nothing_to_refresh(refreshed):
    out, _ = run("--sync")
    assert out == "No case to refresh.\n"


# --sync


def test_sync_prints_progress_and_a_closing_table(docket, refreshed):
    answers, _ = refreshed
    answers["icc-a"] = [check("changed", new_filings=3, missing_filings=1), check("blocked")]
    answers["icj-a"] = [check("suspect"), check("failed")]
    answers["icj-b"] = [check("unchanged"), check("changed", new_filings=2)]
    out, err = run("--sync")
    assert "[1/3] icc-a" in err and "[2/3] icj-a" in err and "[3/3] icj-b" in err
    assert "icc-a: blocked" in err and "icj-a: suspect" in err
    assert table(out) == {
        "cases": 3,
        "sources checked": 6,
        "changed": 2,
        "unchanged": 1,
        "new filings": 5,
        "missing filings": 1,
        "failed": 1,
        "blocked": 1,
        "suspect": 1,
    }


def test_a_network_error_counts_as_failed_and_the_run_goes_on(docket, refreshed):
    answers, seen = refreshed
    answers["icj-a"] = FetchError("HTTP 503 for https://www.icj-cij.org/case/1", status=503)
    out, err = run("--sync")
    assert seen == ["icc-a", "icj-a", "icj-b"]
    assert "icj-a: network error: HTTP 503" in err
    assert table(out)["failed"] == 1
    assert table(out)["sources checked"] == 2


def test_an_unexpected_error_is_reported_after_the_others_are_read(docket, refreshed):
    answers, seen = refreshed
    answers["icc-a"] = ValueError("a parser bug")
    stdout = io.StringIO()
    with pytest.raises(CommandError, match=r"Unexpected errors in 1 case\(s\), logged: icc-a\."):
        call_command("refresh_cases", "--sync", stdout=stdout, stderr=io.StringIO())
    assert seen == ["icc-a", "icj-a", "icj-b"]
    assert table(stdout.getvalue())["failed"] == 1


def test_progress_redraws_one_line_on_a_terminal(docket, refreshed):
    _, err = run("--sync", stderr=Terminal())
    assert err.count("\r") == 3
    assert err.endswith("\n") and err.count("\n") == 1
    assert "\x1b[" not in err  # not painted as an error
    assert "[3/3] icj-b" in err


def test_quiet_sync_shows_no_progress(docket, refreshed):
    err = io.StringIO()
    call_command("refresh_cases", "--sync", verbosity=0, stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""


# --sync against a stand-in for the court's site


def court_page(name):
    return (PAGES / name).read_text(encoding="utf-8").replace('href="/sites/', f'href="{ICJ}/sites/').encode()


def test_sync_reads_real_pages(server):
    icj = CourtFactory(code="ICJ")

    def case(slug, path):
        made = CaseFactory(court=icj, slug=slug, reference=slug.rsplit("-", 1)[-1], stage="provisional_measures")
        Source.objects.create(case=made, adapter="icj", url=server.url(path))
        return made

    gaza = case("gaza-192", "/case/192/orders")
    case("down-1", "/case/1/down")
    case("walled-2", "/case/2/wall")
    case("gone-3", "/case/3/gone")
    route(server, "/case/192/orders", status=200, body=court_page("case-192-orders.html"), headers=[("ETag", '"v1"')])
    route(server, "/case/1/down", status=503, body=b"down")
    route(server, "/case/2/wall", status=403, body=b"Just a moment...", headers=[("cf-mitigated", "challenge")])
    route(server, "/case/3/gone", status=404, body=b"not here")

    out, err = run("--sync")

    new = Filing.objects.filter(case=gaza).count()
    assert new >= 5
    assert table(out) == {
        "cases": 4,
        "sources checked": 3,
        "changed": 1,
        "unchanged": 0,
        "new filings": new,
        "missing filings": 0,
        "failed": 2,  # the 503 (network, no check recorded) and the 404 (recorded)
        "blocked": 1,
        "suspect": 0,
    }
    assert "[1/4] down-1" in err and "down-1: network error" in err
    assert set(SourceCheck.objects.values_list("outcome", flat=True)) == {"changed", "blocked", "failed"}

    out, _ = run("--sync", "--case", "gaza-192")  # the same page again: nothing new
    assert (table(out)["unchanged"], table(out)["new filings"]) == (1, 0)


# Queueing


@commits
def test_queues_each_case(docket):
    with mock.patch("cases.tasks.refresh_case.delay") as delay:
        out, _ = run()
    ids = [call.args[0] for call in delay.call_args_list]
    assert ids == [docket[slug].pk for slug in ("icc-a", "icj-a", "icj-b")]
    assert out == "Queued the refresh of 3 cases.\n"


@commits
def test_queues_one_case(docket):
    with mock.patch("cases.tasks.refresh_case.delay") as delay:
        out, _ = run("--case", "concluded")
    delay.assert_called_once_with(docket["concluded"].pk)
    assert out == "Queued the refresh of 1 case.\n"


@commits
def test_a_queue_that_is_down_is_a_one_line_error(docket):
    down = mock.patch("cases.tasks.refresh_case.delay", side_effect=OperationalError("Connection refused"))
    with down, pytest.raises(CommandError) as error:
        run()
    assert str(error.value) == "The task queue is unavailable: refresh not queued. (Connection refused)"


def test_queueing_waits_for_the_commit(docket, django_capture_on_commit_callbacks):
    with mock.patch("cases.tasks.refresh_case.delay") as delay:
        with django_capture_on_commit_callbacks() as callbacks:
            run("--court", "ICC")
        delay.assert_not_called()
        for callback in callbacks:
            callback()
    delay.assert_called_once_with(docket["icc-a"].pk)
