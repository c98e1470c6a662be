"""Hostile and malformed pages for every adapter (issue 6, "Hostile and malformed input").

Each of the seven adapters gets a table of hand-made bad pages (`HOSTILE`, one test id a page:
`icj/javascript-url`, `hudoc/itemid-path-traversal`, ...) and property-based pages (hypothesis, 500
examples an adapter, derandomized so CI sees the same pages every run). For every page:

- the parser returns a Snapshot or raises a SourceError, nothing else, within a time budget;
- every filing's and case's URL is on one of the court's own hosts (the adapter's hosts, all of them in
  settings.COURT_HOSTS): http(s) only, no userinfo, no backslash, no whitespace or control character,
  a port that parses, at most 500 characters (what Filing.url and DiscoveredCase.url hold);
- titles are plain text without control characters or lone surrogates, within TITLE_MAX where the adapter
  promises one; references and warnings can be stored (no NUL, no lone surrogate);
- dates are real dates of a plausible year (1900-2100) or None.

Where a bad page still holds good rows, the table says what must be extracted from it. The large pages
(10 MB, 100,000 nested elements, tens of thousands of links) are generated here rather than committed.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gzip
import json
import random
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cases.models import DiscoveredCase, Filing
from cases.sources import echr, icc
from cases.sources.base import (
    EVENT_KINDS,
    FILING_KINDS,
    CaseRef,
    EventRef,
    FilingRef,
    Snapshot,
    SourceError,
    get_adapter,
)

ADAPTERS = ("icj", "icj-pending", "icj-decisions", "icc", "icc-decisions", "icc-rss", "hudoc")
# The title lengths those adapters promise, and the longest URL a filing or a discovered case can be stored with.
TITLE_LIMITS = {"icc": icc.TITLE_MAX, "icc-decisions": icc.TITLE_MAX, "icc-rss": icc.TITLE_MAX, "hudoc": echr.TITLE_MAX}
URL_MAX = min(Filing._meta.get_field("url").max_length, DiscoveredCase._meta.get_field("url").max_length)
PLAUSIBLE_YEARS = range(1900, 2101)  # the PCIJ's first documents are of 1922
SMALL_BUDGET = 5.0  # seconds for an ordinary hostile page (they take milliseconds)
LARGE_BUDGET = 10.0  # seconds for the 10 MB, deeply nested and many-link pages

# --- what every result must be ------------------------------------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def court_hosts(adapter: str) -> set[str]:
    configured = {host.lower() for host in settings.COURT_HOSTS}
    return {host.lower() for host in get_adapter(adapter).hosts} & configured


def assert_court_url(url: str, adapter: str) -> None:
    assert isinstance(url, str) and url, url
    assert len(url) <= URL_MAX, f"URL of {len(url)} characters"
    assert not CONTROL.search(url) and not SURROGATE.search(url) and " " not in url, repr(url)
    assert "\\" not in url, url
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https"), url
    assert "@" not in parts.netloc, url
    assert parts.port is None or 0 < parts.port < 65536, url
    host = (parts.hostname or "").rstrip(".")
    assert host in court_hosts(adapter), f"{url} leaves the court's hosts"


def assert_text(text: str, limit: int | None = None) -> None:
    assert isinstance(text, str)
    assert not CONTROL.search(text), f"control character in {text[:80]!r}"
    assert not SURROGATE.search(text), f"lone surrogate in {text[:80]!r}"
    text.encode("utf-8")
    if limit is not None:
        assert len(text) <= limit, f"{len(text)} characters, more than {limit}"


def assert_date(date) -> None:
    assert date is None or (type(date) is datetime.date and date.year in PLAUSIBLE_YEARS), repr(date)


def assert_safe(adapter: str, result: Snapshot | SourceError) -> None:
    """The promises every parse keeps, whatever the page."""
    if isinstance(result, SourceError):
        message = str(result)
        assert "\n" not in message and not UNSTORABLE.search(message), repr(message)
        return
    assert type(result) is Snapshot, type(result)
    assert result.adapter == adapter
    limit = TITLE_LIMITS.get(adapter)
    assert_text(result.title, limit)
    for filing in result.filings:
        assert type(filing) is FilingRef
        assert_court_url(filing.url, adapter)
        assert_text(filing.title, limit)
        assert filing.title, filing
        assert_date(filing.date)
        assert filing.kind in FILING_KINDS, filing.kind
        assert filing.language in ("", "en", "fr", "bi", "other"), filing.language
        assert_text(filing.reference)
        assert_text(filing.case_reference)
    for event in result.events:
        assert type(event) is EventRef
        assert event.date is not None
        assert_date(event.date)
        assert event.kind in EVENT_KINDS
        assert_text(event.title, limit)
    for case in result.cases:
        assert type(case) is CaseRef
        assert_court_url(case.url, adapter)
        assert_text(case.title, limit)
        assert_text(case.reference)
    for warning in result.warnings:
        assert isinstance(warning, str) and not UNSTORABLE.search(warning), repr(warning[:200])
    json.dumps(result.as_json(), ensure_ascii=False).encode("utf-8")  # what parse_source prints


class TookTooLong(BaseException):
    """Not an Exception: the parsers' own guards must not turn a hang into a SourceError."""


@contextlib.contextmanager
def time_budget(seconds: float):
    def interrupt(signum, frame):
        raise TookTooLong(f"the parse took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def parse(adapter: str, text: str, url: str, budget: float = SMALL_BUDGET) -> Snapshot | SourceError:
    """The adapter's answer: a Snapshot, or the SourceError it raised; any other exception fails the test."""
    started = time.perf_counter()
    with time_budget(budget):
        try:
            result = get_adapter(adapter).parse(text, url)
        except SourceError as error:
            result = error
    elapsed = time.perf_counter() - started
    assert elapsed < budget, f"{adapter} took {elapsed:.1f} s, more than its budget of {budget} s"
    return result


# --- each adapter's page shape ------------------------------------------------------------------------------------
#
# A kit builds pages of one adapter's shape: `page(*rows)` around rows, `row(href, text)` one document (or case)
# linked from `href`, `dated(date)` a row dated `date` in the way the adapter reads dates. Every hand-made page
# holds the kit's good row (`good()`, extracted as `good_url`) beside the bad ones.

ICJ = "https://www.icj-cij.org"
ICJ_FILES = "/sites/default/files/case-related/192"
ICC = "https://www.icc-cpi.int"


def homograph(host: str) -> str:
    return host.replace("i", "\u0456")  # Cyrillic i


class Kit:
    adapter: str
    url: str
    host: str
    good_url: str
    good_href: str
    good_text: str = "Order of 26 January 2024"
    path: str  # a second document's path, for the hostile links
    long_path: str  # a document's path that makes a URL longer than URL_MAX
    dates: str = "words"  # how dates are written: "words", "rfc822" or "iso"
    dated_url: str = ""
    empty_is_error: bool = False
    title_limit: int | None = None

    def page(self, *rows: str, title: str = "Hostile sample") -> str:
        raise NotImplementedError

    def row(self, href: str, text: str = "Order of 1 February 2024") -> str:
        raise NotImplementedError

    def dated(self, date: str) -> str:
        raise NotImplementedError

    def good(self) -> str:
        return self.row(self.good_href, self.good_text)

    def embed(self, html: str) -> str:
        """Arbitrary HTML where this kind of page carries it: in the page itself, or in a feed item's description."""
        return html

    def generic_link(self, number: int) -> str:
        """A link to a document of its own whose text says nothing ("PDF", "Read more")."""
        return f'<a href="/sites/default/files/doc{number}.pdf">PDF</a> '

    def refs(self, snapshot: Snapshot) -> list:
        return list(snapshot.filings)

    def many(self, count: int) -> list[str]:
        """`count` rows, each a document (or case) of its own."""
        raise NotImplementedError


class IcjCase(Kit):
    adapter = "icj"
    url = f"{ICJ}/case/192"
    host = "www.icj-cij.org"
    good_href = f"{ICJ_FILES}/192-20240126-ord-01-00-en.pdf"
    good_url = ICJ + good_href
    path = f"{ICJ_FILES}/192-20240201-ord-01-00-en.pdf"
    long_path = f"{ICJ_FILES}/{'a' * 600}.pdf"
    dated_url = f"{ICJ}{ICJ_FILES}/order-of-the-court.pdf"

    def page(self, *rows, title="Application of the Genocide Convention (South Africa v. Israel)"):
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title} | International Court of Justice"
            f"</title></head><body><main><h1>{title}</h1><h4>Orders</h4><ul>{''.join(rows)}</ul></main></body></html>"
        )

    def row(self, href, text="Order of 1 February 2024"):
        return f'<li><a href="{href}">{text}</a></li>'

    def dated(self, date):
        return f'<li><a href="{self.dated_url}">Order of the Court</a> {date}</li>'

    def many(self, count):
        return [
            self.row(f"/sites/default/files/case-related/{100 + i % 900}/{100 + i % 900}-2024{1 + i // 900 % 12:02d}"
                     f"{1 + i // 10800 % 28:02d}-ord-{1 + i // 302400 % 99:02d}-00-en.pdf", f"Order number {i}")
            for i in range(count)
        ]  # fmt: skip


class IcjPending(Kit):
    adapter = "icj-pending"
    url = f"{ICJ}/pending-cases"
    host = "www.icj-cij.org"
    good_href = "/case/192"
    good_url = f"{ICJ}/case/192"
    good_text = "Application of the Genocide Convention (South Africa v. Israel)"
    path = "/case/193"
    long_path = "/case/193/" + "a" * 600
    empty_is_error = True  # the General List is never empty: no case link means a broken page

    def page(self, *rows, title="Pending cases"):
        return (
            f"<!DOCTYPE html><html><head><title>{title} | International Court of Justice</title></head>"
            f"<body><main><h1>{title}</h1><ul class='cases'>{''.join(rows)}</ul></main></body></html>"
        )

    def row(self, href, text="Obligations of a State (A v. B)"):
        return f'<li><a href="{href}">{text}</a></li>'

    def refs(self, snapshot):
        return list(snapshot.cases)

    def generic_link(self, number):
        return f'<a href="/case/{1000 + number}">Read more</a> '

    def many(self, count):
        return [self.row(f"/case/{1000 + i}", f"Case number {i}") for i in range(count)]


class IcjDecisions(Kit):
    adapter = "icj-decisions"
    url = f"{ICJ}/decisions"
    host = "www.icj-cij.org"
    good_href = f"{ICJ_FILES}/192-20240126-ord-01-00-en.pdf"
    good_url = ICJ + good_href
    path = f"{ICJ_FILES}/192-20240201-ord-01-00-en.pdf"
    long_path = f"{ICJ_FILES}/{'a' * 600}.pdf"
    dated_url = f"{ICJ}/sites/default/files/case-related/1/1711.pdf"

    def page(self, *rows, title="Judgments, Advisory Opinions and Orders"):
        return (
            f"<!DOCTYPE html><html><head><title>{title} | International Court of Justice</title></head><body>"
            f"<main><h1>{title}</h1><div class='view-content'>{''.join(rows)}</div></main></body></html>"
        )

    def row(self, href, text="Order of 1 February 2024", date=""):
        return (
            "<div class='views-row'>"
            f"<div class='views-field-field-date-of-the-document'>{date}</div>"
            f"<div class='views-field-field-document-long-title'><a href=\"{href}\">{text}</a></div>"
            "<div class='views-field-field-case-long-title'><a href='/case/192'>South Africa v. Israel</a></div>"
            "</div>"
        )

    def dated(self, date):
        return self.row(self.dated_url, "Judgment", date=date)

    def many(self, count):
        return [
            self.row(f"/sites/default/files/case-related/{100 + i % 900}/{100 + i % 900}-2024{1 + i // 900 % 12:02d}"
                     f"{1 + i // 10800 % 28:02d}-ord-{1 + i // 302400 % 99:02d}-00-en.pdf", f"Order number {i}")
            for i in range(count)
        ]  # fmt: skip


class IccPage(Kit):
    adapter = "icc"
    url = f"{ICC}/palestine"
    host = "www.icc-cpi.int"
    good_href = "/court-record/icc-01/18-374"
    good_url = f"{ICC}/court-record/icc-01/18-374"
    good_text = "Decision on the challenge to the jurisdiction of the Court"
    path = "/court-record/icc-01/18-375"
    long_path = "/court-record/icc-01/18-376-" + "a" * 600
    dated_url = f"{ICC}/court-record/icc-01/18-377"
    title_limit = 500

    def page(self, *rows, title="Situation in the State of Palestine"):
        return (
            f"<!DOCTYPE html><html><head><title>{title} | International Criminal Court</title></head><body>"
            f"<main><h1>{title}</h1><div class='court-records'><ul>{''.join(rows)}</ul></div></main></body></html>"
        )

    def row(self, href, text="Decision on the Prosecution's request"):
        return f'<li><a href="{href}">{text}</a> <span class="date">21 November 2024</span></li>'

    def dated(self, date):
        return f'<li><a href="{self.dated_url}">Decision on a request</a> <span class="date">{date}</span></li>'

    def many(self, count):
        return [self.row(f"/court-record/icc-01/18-{1000 + i}", f"Decision number {i}") for i in range(count)]

    def generic_link(self, number):
        return f'<a href="/sites/default/files/CourtRecords/{number:08d}.pdf">Download</a> '


class IccDecisions(Kit):
    adapter = "icc-decisions"
    url = f"{ICC}/decisions"
    host = "www.icc-cpi.int"
    good_href = "/court-record/icc-01/18-374"
    good_url = f"{ICC}/court-record/icc-01/18-374"
    good_text = "Decision on the challenge to the jurisdiction of the Court"
    path = "/court-record/icc-01/18-375"
    long_path = "/court-record/icc-01/18-376-" + "a" * 600
    dated_url = f"{ICC}/court-record/icc-01/18-377"
    title_limit = 500

    def page(self, *rows, title="Decisions"):
        return (
            f"<!DOCTYPE html><html><head><title>{title} | International Criminal Court</title></head><body>"
            f"<main><h1>{title}</h1><div class='view view-court-records'><div class='view-content'>{''.join(rows)}"
            "</div></div></main></body></html>"
        )

    def row(self, href, text="Decision on the Prosecution's request", date="21 November 2024"):
        return (
            f'<div class="views-row"><div class="recordTitle"><a href="{href}">{text}</a></div>'
            '<div class="courtRecordcaseName"><a href="/palestine">Situation in the State of Palestine</a></div>'
            f'<div class="datetime">{date}</div></div>'
        )

    def dated(self, date):
        return self.row(self.dated_url, "Decision on a request", date=date)

    def many(self, count):
        return [self.row(f"/court-record/icc-01/18-{1000 + i}", f"Decision number {i}") for i in range(count)]


def xml_text(text: str) -> str:
    """Text for an XML element; numeric character references are left to the XML parser."""
    text = re.sub(r"&(?!#)", "&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


class IccRss(Kit):
    adapter = "icc-rss"
    url = f"{ICC}/rss.xml"
    host = "www.icc-cpi.int"
    good_href = f"{ICC}/news/icc-judges-issue-a-decision"
    good_url = good_href
    good_text = "ICC judges issue a decision"
    path = "/news/another-press-release"
    long_path = "/news/" + "a" * 600
    dates = "rfc822"
    dated_url = f"{ICC}/news/a-dated-press-release"
    title_limit = 500

    def page(self, *rows, title="International Criminal Court"):
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{xml_text(title)}</title><link>{ICC}/</link><description>Press releases</description>"
            f"{''.join(rows)}</channel></rss>"
        )

    def row(self, href, text="A press release", date="Thu, 21 Nov 2024 12:00:00 +0100"):
        return (
            f"<item><title>{xml_text(text)}</title><link>{xml_text(href)}</link>"
            f"<description>About ICC-01/18-374.</description><pubDate>{xml_text(date)}</pubDate></item>"
        )

    def dated(self, date):
        return self.row(self.dated_url, "A dated press release", date=date)

    def many(self, count):
        return [self.row(f"{ICC}/news/press-release-{i}", f"Press release {i}") for i in range(count)]

    def embed(self, html):
        link = f"{ICC}/news/carrier"
        return f"<item><title>Carrier</title><link>{link}</link><description>{xml_text(html)}</description></item>"


class Hudoc(Kit):
    adapter = "hudoc"
    url = echr.search_url(appno="53600/20")
    host = "hudoc.echr.coe.int"
    good_href = "001-233206"
    good_url = "https://hudoc.echr.coe.int/eng?i=001-233206"
    good_text = "CASE OF VEREIN KLIMASENIORINNEN SCHWEIZ AND OTHERS v. SWITZERLAND"
    path = "001-000888"
    long_path = "001-" + "8" * 600
    dates = "iso"
    dated_url = "https://hudoc.echr.coe.int/eng?i=001-000777"
    title_limit = 500

    def page(self, *rows, title=""):
        results = [json.loads(row) for row in rows]
        return json.dumps({"resultcount": len(rows), "results": results}, ensure_ascii=False)

    def row(self, href, text="CASE OF A v. B", date="2024-04-09T00:00:00"):
        # `href` is the item id HUDOC's URL is built from.
        columns = {"itemid": href, "docname": text, "appno": "53600/20", "doctype": "HEJUD", "kpdate": date,
                   "languageisocode": "ENG", "conclusion": "Violation of Article 8", "ecli": ""}  # fmt: skip
        return json.dumps({"columns": columns}, ensure_ascii=False)

    def dated(self, date):
        return self.row("001-000777", "CASE OF A DATED DOCUMENT", date=date)

    def many(self, count):
        return [self.row(f"001-{100000 + i}", f"CASE OF NUMBER {i}") for i in range(count)]


KITS: dict[str, Kit] = {kit.adapter: kit for kit in (IcjCase(), IcjPending(), IcjDecisions(), IccPage(),
                                                       IccDecisions(), IccRss(), Hudoc())}  # fmt: skip

# --- expectations -------------------------------------------------------------------------------------------------

Expect = Callable[[Kit, "Snapshot | SourceError"], None]


def snapshot_of(result) -> Snapshot:
    assert isinstance(result, Snapshot), f"expected a Snapshot, got {result!r}"
    return result


def only_good(kit: Kit, result) -> None:
    """The hostile row is dropped and the good one kept."""
    assert [ref.url for ref in kit.refs(snapshot_of(result))] == [kit.good_url]


def keeps_good(kit: Kit, result) -> None:
    assert kit.good_url in [ref.url for ref in kit.refs(snapshot_of(result))]


def source_error(kit: Kit, result) -> None:
    assert isinstance(result, SourceError), f"expected a SourceError, got {result!r}"


def error_or_nothing(kit: Kit, result) -> None:
    """A page of no use: refused, or read as holding nothing."""
    if isinstance(result, Snapshot):
        assert kit.refs(result) == []


def good_title(expected: str) -> Expect:
    def check(kit, result):
        [ref] = [ref for ref in kit.refs(snapshot_of(result)) if ref.url == kit.good_url]
        assert ref.title == expected

    return check


def good_title_without(*fragments: str) -> Expect:
    def check(kit, result):
        [ref] = [ref for ref in kit.refs(snapshot_of(result)) if ref.url == kit.good_url]
        assert ref.title and not any(fragment in ref.title for fragment in fragments), ref.title

    return check


def dated(expected: datetime.date | None) -> Expect:
    def check(kit, result):
        [ref] = [ref for ref in kit.refs(snapshot_of(result)) if ref.url == kit.dated_url]
        assert ref.date == expected

    return check


def at_least(count: int) -> Expect:
    def check(kit, result):
        refs = kit.refs(snapshot_of(result))
        assert kit.good_url in [ref.url for ref in refs] and len(refs) >= count, len(refs)

    return check


# A local file an XML external entity names, and words from it that must not reach a snapshot: this very file.
LOCAL_FILE = Path(__file__).resolve()
LOCAL_WORDS = "Hostile and malformed pages for every adapter"


def nothing_read_from_local_file(kit: Kit, result) -> None:
    """The external entity was not resolved: nothing of the file it names is in the snapshot."""
    if isinstance(result, Snapshot):
        assert LOCAL_WORDS not in json.dumps(result.as_json())


# --- the hostile pages ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    adapter: str
    name: str
    page: Callable[[], str]
    expect: Expect | None = None
    budget: float = SMALL_BUDGET

    @property
    def id(self) -> str:
        return f"{self.adapter}/{self.name}"


# Links that must never become a filing or a case, in every HTML and feed adapter: {host} is the court's host,
# {path} a document's path on it.
HOSTILE_LINKS = [
    ("javascript-url", "javascript:alert(document.cookie)//{path}"),
    ("javascript-url-case-and-spaces", " \t JaVaScRiPt:alert(1)//{path}"),
    ("javascript-url-split-by-newline-and-tab", "java\nscr\tipt:alert(1)//{path}"),
    ("javascript-url-as-character-references", "&#106;avascript&#58;alert(1)//{path}"),
    ("vbscript-url", "vbscript:msgbox(1)//{path}"),
    ("data-url-html", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{path}"),
    ("data-url-pdf", "data:application/pdf;base64,JVBERi0xLjQK{path}"),
    ("file-url", "file:///etc/passwd#{path}"),
    ("ftp-url-on-court-host", "ftp://{host}{path}"),
    ("blob-url", "blob:https://evil.example/{path}"),
    ("view-source-url", "view-source:https://evil.example{path}"),
    ("other-host", "https://evil.example{path}"),
    ("look-alike-suffix", "https://{host}.evil.com{path}"),
    ("look-alike-prefix", "https://evil{host}{path}"),
    ("look-alike-dashes", "https://{dashed}.com{path}"),
    ("look-alike-homograph", "https://{homograph}{path}"),
    ("look-alike-punycode", "https://{punycode}{path}"),
    ("look-alike-fullwidth-dots", "https://{fullwidth}{path}"),
    ("percent-encoded-dot-in-host", "https://{host}%2Eevil.com{path}"),
    ("userinfo-court-host-at-evil", "https://{host}@evil.com{path}"),
    ("userinfo-with-password-at-evil", "https://{host}:443@evil.com{path}"),
    ("userinfo-evil-at-court-host", "https://evil.com@{host}{path}"),
    ("encoded-at-sign-in-host", "https://{host}%40evil.com{path}"),
    ("fullwidth-at-sign-in-host", "https://{host}\uff20evil.com{path}"),
    ("protocol-relative", "//evil.com{path}"),
    ("protocol-relative-backslashes", "\\\\evil.com{path}"),
    ("backslash-before-court-host", "https://evil.com\\@{host}{path}"),
    ("slash-backslash", "/\\evil.com{path}"),
    ("scheme-then-backslashes", "https:\\\\evil.com{path}"),
    ("ip-literal-v4", "https://127.0.0.1{path}"),
    ("ip-literal-v6", "https://[::1]{path}"),
    ("ip-literal-decimal", "http://2130706433{path}"),
    ("broken-ipv6-literal", "https://[::1{path}"),
    ("court-host-port-out-of-range", "https://{host}:99999{path}"),
    ("court-host-port-not-a-number", "https://{host}:https{path}"),
    ("newline-inside-host", "https://ev\nil.com{path}"),
    ("mailto-url", "mailto:someone@evil.com?subject={path}"),
    ("url-longer-than-500", "{long_path}"),
]


def hostile_href(template: str, kit: Kit) -> str:
    host = kit.host
    return template.format(
        host=host,
        path=kit.path,
        long_path=kit.long_path,
        dashed=host.replace(".", "-"),
        homograph=homograph(host),
        punycode=homograph(host).encode("idna").decode("ascii"),
        fullwidth=host.replace(".", "\uff0e"),
    )


def link_case(kit: Kit, name: str, template: str) -> Hostile:
    href = hostile_href(template, kit)
    return Hostile(kit.adapter, name, lambda: kit.page(kit.good(), kit.row(href)), only_good)


# Dates as each kit writes them: (name, in words, as an RFC 822 pubDate, as HUDOC's kpdate, the date expected).
# "02/03/2024" is read day first where numeric dates are read at all (the ICC writes them so), else not at all.
DAY_FIRST = datetime.date(2024, 3, 2)
DATES = [
    ("date-31-february", "31 February 2024", "Sat, 31 Feb 2024 12:00:00 +0000", "2024-02-31T00:00:00", None),
    ("date-29-february-2023", "29 February 2023", "Wed, 29 Feb 2023 12:00:00 +0000", "2023-02-29T00:00:00", None),
    ("date-year-0", "26 January 0000", "Wed, 26 Jan 0000 12:00:00 +0000", "0000-01-26T00:00:00", None),
    ("date-year-9999", "26 January 9999", "Tue, 26 Jan 9999 12:00:00 +0000", "9999-01-26T00:00:00", None),
    ("date-year-1066", "14 October 1066", "Sat, 14 Oct 1066 12:00:00 +0000", "1066-10-14T00:00:00", None),
    ("date-day-0", "0 January 2024", "Mon, 00 Jan 2024 12:00:00 +0000", "2024-01-00T00:00:00", None),
    ("date-month-13", "2024-13-01", "Mon, 01 Foo 2024 12:00:00 +0000", "2024-13-01T00:00:00", None),
    ("date-ambiguous-02/03/2024", "02/03/2024", "02/03/2024", "02/03/2024", "day-first"),
    ("date-real-leap-day", "29 February 2024", "Thu, 29 Feb 2024 12:00:00 +0000", "2024-02-29T00:00:00",
     datetime.date(2024, 2, 29)),
]  # fmt: skip
READS_NUMERIC_DATES = {"icc", "icc-decisions", "icc-rss"}


def date_cases(kit: Kit) -> list[Hostile]:
    cases = []
    for name, words, rfc822, iso, expected in DATES:
        written = {"words": words, "rfc822": rfc822, "iso": iso}[kit.dates]
        if expected == "day-first":
            expected = DAY_FIRST if kit.adapter in READS_NUMERIC_DATES else None
        page = functools.partial(lambda w: kit.page(kit.good(), kit.dated(w)), written)
        cases.append(Hostile(kit.adapter, name, page, dated(expected)))
    return cases


def encoding_cases(kit: Kit) -> list[Hostile]:
    good = kit.good
    text = kit.good_text
    arret = "Arr\u00eat \u2014 Ordonnance du 1er f\u00e9vrier 2024"
    curly = "\u201cOrder\u201d \u2013 1 February 2024"
    rng = random.Random(6)  # the same garbage every run
    garbage = bytes(rng.randrange(256) for _ in range(20_000)).decode("latin-1")
    return [
        Hostile(kit.adapter, "utf8-bom-at-start", lambda: "\ufeff" + kit.page(good()), keeps_good),
        Hostile(kit.adapter, "two-boms-and-whitespace", lambda: "\ufeff\ufeff \r\n" + kit.page(good())),
        Hostile(kit.adapter, "nul-bytes-between-tags-or-tokens",
                lambda: kit.page(good()).replace("><", ">\x00<").replace(", ", ", \x00")),
        Hostile(kit.adapter, "nul-bytes-in-title",
                lambda: kit.page(kit.row(kit.good_href, text.replace(" ", "\x00 "))), keeps_good),
        Hostile(kit.adapter, "control-characters-in-title",
                lambda: kit.page(kit.row(kit.good_href, "\x01\x07\x1b[31m" + text + "\x7f\x9b\x85 &#1;&#x1b;&#127;")),
                keeps_good),
        Hostile(kit.adapter, "lone-surrogates-in-title",
                lambda: kit.page(kit.row(kit.good_href, f"\ud800{text}\udfff")), keeps_good),
        Hostile(kit.adapter, "lone-surrogates-everywhere",
                lambda: kit.page(good(), kit.row(kit.path + "\udc80", "\udcff")).replace(">", ">\ud83d")),
        Hostile(kit.adapter, "latin1-bytes-read-as-utf8",
                lambda: kit.page(good(), kit.row(kit.path, arret.encode("latin-1", "replace").decode("utf-8",
                                                                                                    "replace"))),
                keeps_good),
        Hostile(kit.adapter, "utf8-bytes-read-as-latin1",
                lambda: kit.page(good(), kit.row(kit.path, arret)).encode("utf-8").decode("latin-1"), keeps_good),
        Hostile(kit.adapter, "cp1252-bytes-read-as-latin1",
                lambda: kit.page(good(), kit.row(kit.path, curly)).encode("cp1252").decode("latin-1"), keeps_good),
        Hostile(kit.adapter, "utf16-read-as-latin1", lambda: kit.page(good()).encode("utf-16").decode("latin-1")),
        Hostile(kit.adapter, "binary-garbage", lambda: garbage, error_or_nothing),
        Hostile(kit.adapter, "gzip-body-as-text",
                lambda: gzip.compress(kit.page(good()).encode(), mtime=0).decode("latin-1"), error_or_nothing),
    ]  # fmt: skip


def markup_cases(kit: Kit) -> list[Hostile]:
    """Script and event-handler injection in titles and links (every kit), and broken markup (HTML kits)."""
    good, row, page = kit.good, kit.row, kit.page
    second = kit.path
    html_only = kit.adapter not in ("icc-rss", "hudoc")
    cases = [
        Hostile(kit.adapter, "script-in-link-text",
                lambda: page(row(kit.good_href, "<script>alert(1)</script>" + kit.good_text)), keeps_good),
        Hostile(kit.adapter, "img-onerror-in-link-text",
                lambda: page(row(kit.good_href, kit.good_text + ' <img src=x onerror="alert(1)">')),
                keeps_good if kit.adapter == "hudoc" else good_title_without("<img", "onerror")),
        Hostile(kit.adapter, "svg-onload-in-link-text",
                lambda: page(row(kit.good_href, f"<svg onload=alert(1)><title>{kit.good_text}</title></svg>")),
                keeps_good),
        Hostile(kit.adapter, "escaped-markup-in-title-stays-text",
                lambda: page(row(kit.good_href, "&lt;img src=x onerror=alert(1)&gt;")),
                # HTML and a feed's HTML read the references; HUDOC's JSON is no HTML and keeps them as written
                good_title("<img src=x onerror=alert(1)>" if kit.adapter != "hudoc"
                           else "&lt;img src=x onerror=alert(1)&gt;")),
        Hostile(kit.adapter, "title-of-a-million-characters",
                lambda: page(good(), row(second, "A" * 1_000_000), title="T" * 1_000_000), keeps_good),
        Hostile(kit.adapter, "page-title-injection",
                lambda: page(good(), title="</title><script>alert(1)</script><h1 onmouseover=alert(1)>X")),
    ]  # fmt: skip
    if html_only:
        cases += [
            Hostile(kit.adapter, "event-handlers-on-links",
                    lambda: page(good().replace("<a ", '<a onclick="alert(1)" onmouseover=alert(2) style="x:y(1)" '),
                                 row(second).replace("href=", 'onfocus="alert(3)" autofocus href=')), keeps_good),
            Hostile(kit.adapter, "duplicate-href-first-is-javascript",
                    lambda: page(good(), row(second).replace("<a ", '<a href="javascript:alert(1)" ')), only_good),
            Hostile(kit.adapter, "unquoted-attributes-and-stray-quotes",
                    lambda: page(good(), row(second).replace('"', "").replace("<a ", "<a title='\"x\"' \"=\" ")),
                    keeps_good),
            Hostile(kit.adapter, "unclosed-tags-everywhere",
                    lambda: re.sub(r"</(?:li|a|div|ul|main|body|html)>", "", page(good(), row(second))), keeps_good),
            Hostile(kit.adapter, "misnested-formatting-tags",
                    lambda: page(good().replace("<a ", "<b><i><a ").replace("</a>", "</b></i></a>")), keeps_good),
            Hostile(kit.adapter, "truncated-inside-an-attribute",
                    lambda: page(good(), row(second))[:-40].rsplit('href="', 1)[0] + 'href="https://evil.example/'),
            Hostile(kit.adapter, "links-hidden-in-comments-cdata-template-noscript",
                    lambda: page(good(), "<!-- " + row("https://evil.example" + second) + " -->",
                                 "<![CDATA[" + row("javascript:alert(1)") + "]]>",
                                 "<template>" + row("//evil.example" + second) + "</template>",
                                 "<noscript>" + row("https://evil.example" + second) + "</noscript>"), only_good),
            Hostile(kit.adapter, "links-in-svg-and-mathml",
                    lambda: page(good(), f'<svg><a href="https://evil.example{second}"><text>x</text></a>'
                                 f'<a xlink:href="javascript:alert(1)">y</a></svg>'
                                 f'<math><mi href="https://evil.example{second}">z</mi></math>'), only_good),
            Hostile(kit.adapter, "base-href-to-another-host-is-ignored",
                    lambda: page(good()).replace("<head>", '<head><base href="https://evil.example/">'), only_good),
            Hostile(kit.adapter, "meta-refresh-iframe-object-form-area",
                    lambda: page(good(), '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
                                 f'<iframe src="https://evil.example{second}"></iframe>'
                                 f'<object data="https://evil.example{second}"></object>'
                                 f'<form action="https://evil.example{second}"><button formaction="javascript:x">b'
                                 f'</button></form><map><area href="https://evil.example{second}"></map>'),
                    only_good),
            Hostile(kit.adapter, "frameset-page",
                    lambda: f'<html><frameset><frame src="https://evil.example{second}"><frame src="{kit.good_href}">'
                    "</frameset></html>", error_or_nothing),
            Hostile(kit.adapter, "shape-but-no-rows",
                    lambda: page(), source_error if kit.empty_is_error else error_or_nothing),
            Hostile(kit.adapter, "no-known-section-at-all",
                    lambda: "<html><head><title>Hello</title></head><body><p>Hello <b>world</b></p></body></html>",
                    error_or_nothing),
            Hostile(kit.adapter, "json-instead-of-html", lambda: '{"results": [{"href": "javascript:alert(1)"}]}',
                    source_error),
        ]  # fmt: skip
    return cases


def empty_cases(kit: Kit) -> list[Hostile]:
    return [
        Hostile(kit.adapter, "empty-body", lambda: "", source_error),
        Hostile(kit.adapter, "whitespace-only", lambda: " \r\n\t\u00a0\ufeff ", source_error),
        Hostile(kit.adapter, "nul-only", lambda: "\x00" * 100, error_or_nothing),
        Hostile(kit.adapter, "lone-less-than", lambda: "<", error_or_nothing),
        Hostile(kit.adapter, "doctype-only", lambda: "<!DOCTYPE html>", error_or_nothing),
    ]


def nested(open_tag: str, close_tag: str, depth: int, inner: str) -> str:
    return open_tag * depth + inner + close_tag * depth


SUMMARY = "<p class='summary'>" + "What the document is about, as a listing says it under its title. " * 5 + "</p>"


def ten_megabytes(kit: Kit) -> str:
    """A page of about 10 MB of distinct rows, each with a summary under it as listings show them (a feed: items
    with long descriptions; HUDOC: long conclusions). Tens of thousands of bare links are the pages further down."""
    if kit.adapter == "icc-rss":
        rows = [row.replace("About ICC", "x" * 5_000 + " ICC") for row in kit.many(2_000)]
    elif kit.adapter == "hudoc":  # HUDOC's conclusions run long
        conclusion = "Violation of Article 8 - Right to respect for private and family life; " * 8
        count = 10_000_000 // len(kit.many(1)[0].replace("Violation of Article 8", conclusion))
        rows = [row.replace("Violation of Article 8", conclusion) for row in kit.many(count)]
    else:
        count = 10_000_000 // len(kit.many(1)[0] + SUMMARY)
        rows = [row + SUMMARY for row in kit.many(count)]
    page = kit.page(kit.good(), *rows)
    assert len(page) >= 9_500_000
    return page


def large_cases(kit: Kit) -> list[Hostile]:
    cases = [
        Hostile(kit.adapter, "10-mb-of-rows", lambda: ten_megabytes(kit), at_least(2_000), LARGE_BUDGET),
        Hostile(kit.adapter, "10000-rows-to-other-hosts",
                lambda: kit.page(kit.good(), *(kit.row(f"https://evil{i}.example{kit.path}") for i in range(10_000))),
                only_good, LARGE_BUDGET),
    ]  # fmt: skip
    if kit.adapter == "hudoc":
        return cases

    def around_good(html: str) -> str:
        return kit.page(kit.good(), kit.embed(html))

    # An HTML page nested this deep is refused whole (no court page comes near, and parsing it would take the HTML
    # parser minutes); in a feed, the deep HTML is an item's description, and the feed is read.
    too_deep = source_error if kit.adapter != "icc-rss" else keeps_good
    cases += [
        Hostile(kit.adapter, "10-mb-of-text-around-one-row",
                lambda: around_good("<p>" + "lorem ipsum " * 900_000 + "</p>"), keeps_good, LARGE_BUDGET),
        Hostile(kit.adapter, "100000-nested-divs",
                lambda: around_good(nested("<div>", "</div>", 100_000, "<p>deep</p>")), too_deep, LARGE_BUDGET),
        Hostile(kit.adapter, "100000-nested-divs-around-the-rows",
                lambda: kit.page(nested("<div>", "</div>", 100_000, kit.good())),
                source_error if kit.adapter != "icc-rss" else None, LARGE_BUDGET),
        Hostile(kit.adapter, "100000-unclosed-divs", lambda: around_good("<div>" * 100_000), too_deep, LARGE_BUDGET),
        Hostile(kit.adapter, "100000-self-closing-divs", lambda: around_good("<div/>" * 100_000), too_deep,
                LARGE_BUDGET),
        Hostile(kit.adapter, "50000-end-tags-that-close-nothing",
                lambda: around_good("<span><div></span>" * 50_000), too_deep, LARGE_BUDGET),
        Hostile(kit.adapter, "100000-nested-spans-then-blocks",
                lambda: around_good("<span>" * 100_000 + "<p>x</p>" * 100_000), too_deep, LARGE_BUDGET),
        Hostile(kit.adapter, "30000-nested-tables",
                lambda: around_good("<table><tr><td>" * 30_000), too_deep, LARGE_BUDGET),
        Hostile(kit.adapter, "1000-rows-each-leaving-a-div-open",
                lambda: kit.page(kit.good(), *(r + "<div>" for r in kit.many(1_000))), at_least(1_000),
                LARGE_BUDGET),
        Hostile(kit.adapter, "10000-generic-links-in-one-paragraph",
                lambda: around_good("<p>" + "".join(kit.generic_link(i) for i in range(10_000)) + "</p>"),
                keeps_good, LARGE_BUDGET),
        Hostile(kit.adapter, "5000-rows-in-one-block",
                lambda: around_good("<div>" + "".join(re.sub(r"</?li>", "", row) for row in kit.many(5_000))
                                    + "</div>"), keeps_good, LARGE_BUDGET),
    ]  # fmt: skip
    return cases


def rss_cases(kit: Kit) -> list[Hostile]:
    good = kit.good()
    return [
        Hostile(kit.adapter, "xml-billion-laughs",
                lambda: '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
                + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
                + ']><rss version="2.0"><channel><title>&j;</title>' + good + "</channel></rss>", keeps_good),
        Hostile(kit.adapter, "xml-external-entity-file",
                lambda: f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{LOCAL_FILE.as_uri()}">]>'
                '<rss version="2.0"><channel><title>&xxe;</title>'
                + good.replace("ICC judges", "&xxe; ICC judges") + "</channel></rss>", nothing_read_from_local_file),
        Hostile(kit.adapter, "xml-external-dtd",
                lambda: '<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">'
                '<rss version="2.0"><channel><title>x</title>' + good + "</channel></rss>", keeps_good),
        Hostile(kit.adapter, "xml-base-on-another-host",
                lambda: kit.page(good, kit.row("/news/relative"))
                .replace("<rss ", '<rss xml:base="https://evil.example/" ')
                .replace("<channel>", '<channel xml:base="https://evil.example/">'), only_good),
        Hostile(kit.adapter, "atom-feed-with-hostile-links",
                lambda: '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>'
                '<entry><title>a</title><link href="javascript:alert(1)"/></entry>'
                f'<entry><title>b</title><link href="https://evil.example{kit.path}"/></entry>'
                f'<entry><title>c</title><link href="{kit.good_url}"/></entry></feed>', only_good),
        Hostile(kit.adapter, "guid-permalink-elsewhere-and-no-link",
                lambda: kit.page(good, '<item><title>x</title><guid isPermaLink="true">https://evil.example/x</guid>'
                                 "</item>"), only_good),
        Hostile(kit.adapter, "cdata-script-in-description",
                lambda: kit.page(good.replace("About ICC-01/18-374.", "<![CDATA[<script>alert(1)</script>"
                                              "<img src=x onerror=alert(1)>]]>")), only_good),
        Hostile(kit.adapter, "html-page-instead-of-feed", lambda: IccPage().page(IccPage().good()), source_error),
        Hostile(kit.adapter, "broken-xml-with-items", lambda: kit.page(good, "<item><title>x</title><link>")),
    ]  # fmt: skip


def hudoc_cases(kit: Kit) -> list[Hostile]:
    good = kit.good()

    def rows(*extra):
        return kit.page(good, *extra)

    def with_columns(**columns):
        row = json.loads(kit.row("001-000999"))
        row["columns"].update(columns)
        return json.dumps(row)

    itemids = [
        ("itemid-javascript-url", "javascript:alert(1)"),
        ("itemid-other-host", "https://evil.example/001-1"),
        ("itemid-protocol-relative", "//evil.example/001-123"),
        ("itemid-path-traversal", "001-1/../../evil"),
        ("itemid-query-injection", "001-123&redirect=https://evil.example"),
        ("itemid-fragment-and-at", "001-123#@evil.example"),
        ("itemid-userinfo", "001-123@evil.example"),
        ("itemid-header-injection", "001-123\r\nLocation: https://evil.example"),
        ("itemid-arabic-indic-digits", "\u0660\u0660\u0661-\u0661\u0662\u0663"),
        ("itemid-fullwidth-digits", "\uff10\uff10\uff11-\uff11\uff12\uff13"),
        ("itemid-too-long", "001-" + "9" * 13),
        ("itemid-an-object", {"$ne": None}),
        ("itemid-a-list", ["001-1", "javascript:alert(1)"]),
        ("itemid-a-huge-float", 1.5e300),
        ("itemid-markup", "<script>alert(1)</script>"),
        ("itemid-nul", "001-12\x003"),
    ]
    cases = [
        Hostile(kit.adapter, name, lambda v=value: rows(json.dumps({"columns": {"itemid": v, "docname": "x"}})),
                only_good)
        for name, value in itemids
    ]  # fmt: skip
    huge_digits = "9" * 5000
    cases += [
        Hostile(kit.adapter, "docname-script-and-handlers",
                lambda: rows(with_columns(docname="<script>alert(1)</script><img src=x onerror=alert(1)>"))),
        Hostile(kit.adapter, "docname-control-characters-and-nul",
                lambda: rows(with_columns(docname="CASE\x00 OF\x1b[31m A\x7f\x9b v. B\x07"))),
        Hostile(kit.adapter, "docname-lone-surrogate-escapes",
                lambda: rows(with_columns(docname="A \ud800 v. B \udfff"))),
        Hostile(kit.adapter, "docname-a-million-characters", lambda: rows(with_columns(docname="A" * 1_000_000))),
        Hostile(kit.adapter, "docname-not-a-string", lambda: rows(with_columns(docname={"a": [1, 2]}))),
        Hostile(kit.adapter, "ecli-and-appno-control-characters",
                lambda: rows(with_columns(ecli="ECLI:CE:ECHR:\x00\x1b2024", appno="53600/20\x00;\ud800"))),
        Hostile(kit.adapter, "kpdate-a-number", lambda: rows(with_columns(kpdate=20240409))),
        Hostile(kit.adapter, "kpdate-a-list", lambda: rows(with_columns(kpdate=["2024-04-09", "9999-12-31"]))),
        Hostile(kit.adapter, "resultcount-5000-digit-string",
                lambda: json.dumps({"resultcount": huge_digits, "results": [json.loads(good)]}), keeps_good),
        Hostile(kit.adapter, "resultcount-5000-digit-number",
                lambda: '{"resultcount": ' + huge_digits + ', "results": [' + good + "]}"),
        Hostile(kit.adapter, "resultcount-infinity-and-nan",
                lambda: '{"resultcount": Infinity, "results": [' + good + '], "x": NaN, "y": 1e400}'),
        Hostile(kit.adapter, "results-not-a-list", lambda: '{"results": {"columns": {"itemid": "001-1"}}}',
                source_error),
        Hostile(kit.adapter, "results-null", lambda: '{"results": null}', error_or_nothing),
        Hostile(kit.adapter, "rows-of-every-json-type",
                lambda: rows("null", "1", '"001-1"', "[]", '{"columns": null}', '{"columns": "001-1"}', "true"),
                only_good),
        Hostile(kit.adapter, "duplicate-keys-last-wins",
                lambda: '{"results": [{"columns": {"itemid": "javascript:x", "itemid": "001-233206", '
                '"docname": "x"}}]}', only_good),
        Hostile(kit.adapter, "top-level-array", lambda: "[" + good + "]", source_error),
        Hostile(kit.adapter, "truncated-json", lambda: rows()[:-7], source_error),
        Hostile(kit.adapter, "html-error-page", lambda: IccPage().page(IccPage().good()), source_error),
        Hostile(kit.adapter, "100000-nested-arrays", lambda: "[" * 100_000 + "]" * 100_000, source_error,
                LARGE_BUDGET),
        Hostile(kit.adapter, "100000-nested-objects-in-a-row",
                lambda: '{"results": [' + good + ', {"columns": {"itemid": "001-000999", "docname": '
                + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}}]}", source_error, LARGE_BUDGET),
        Hostile(kit.adapter, "escaped-markup-in-docname-stays-text",
                lambda: json.dumps({"results": [{"columns": {**json.loads(good)["columns"],
                                                             "docname": "<img src=x onerror=alert(1)>"}}]}),
                good_title("<img src=x onerror=alert(1)>")),
    ]  # fmt: skip
    return cases


def icj_cases(kit: Kit) -> list[Hostile]:
    """File names the ICJ decodes: impossible and implausible dates in the name itself."""
    files = "/sites/default/files/case-related/192"

    def named(name: str, expected) -> Hostile:
        url = f"{ICJ}{files}/{name}"

        def check(kit, result):
            [ref] = [ref for ref in kit.refs(snapshot_of(result)) if ref.url == url]
            assert ref.date == expected

        page = functools.partial(kit.page, kit.good(), kit.row(f"{files}/{name}"))
        return Hostile(kit.adapter, f"file-name-{name}", page, check)

    return [
        named("192-20240231-ord-01-00-en.pdf", datetime.date(2024, 2, 1)),  # the text beside it: 1 February 2024
        named("192-99991231-ord-01-00-en.pdf", datetime.date(2024, 2, 1)),
        named("192-00000126-ord-01-00-en.pdf", datetime.date(2024, 2, 1)),
        named("192-10661014-ORD-01-00-EN.pdf", datetime.date(2024, 2, 1)),
        Hostile(kit.adapter, "file-name-ten-thousand-digits",
                lambda: kit.page(kit.good(), kit.row(f"{files}/{'1' * 10_000}-20240126-ord.pdf")), keeps_good),
    ]  # fmt: skip


def pending_cases(kit: Kit) -> list[Hostile]:
    return [
        Hostile(kit.adapter, "case-number-5000-digits", lambda: kit.page(kit.good(), kit.row("/case/" + "7" * 5000)),
                only_good),
        Hostile(kit.adapter, "case-number-zero-padded-duplicate",
                lambda: kit.page(kit.good(), kit.row("/case/000192", "Duplicate")), only_good),
        Hostile(kit.adapter, "case-number-fullwidth-digits",
                lambda: kit.page(kit.good(), kit.row("/case/\uff11\uff19\uff12")), only_good),
        Hostile(kit.adapter, "case-number-negative", lambda: kit.page(kit.good(), kit.row("/case/-193")), only_good),
    ]  # fmt: skip


def icc_cases(kit: Kit) -> list[Hostile]:
    record = f"{ICC}/court-record/icc-01/18-377"

    def time_element(value: str, expected) -> Hostile:
        def check(kit, result):
            [ref] = [ref for ref in kit.refs(snapshot_of(result)) if ref.url == record]
            assert ref.date == expected

        row = (f'<li><a href="{record}">Decision on a request</a> <time datetime="{value}">no date here</time></li>'
               if kit.adapter == "icc" else
               f'<div class="views-row"><div class="recordTitle"><a href="{record}">Decision on a request</a></div>'
               f'<time class="datetime" datetime="{value}"></time></div>')  # fmt: skip
        return Hostile(kit.adapter, f"time-datetime-{value}", lambda: kit.page(kit.good(), row), check)

    return [
        time_element("9999-12-31", None),
        time_element("0000-01-01", None),
        time_element("2024-02-30T12:00:00Z", None),
        time_element("2024-11-21T23:30:00-12:00", datetime.date(2024, 11, 21)),
    ]


def cases_for(kit: Kit) -> list[Hostile]:
    cases = [link_case(kit, name, template) for name, template in HOSTILE_LINKS] if kit.adapter != "hudoc" else []
    if kit.adapter != "icj-pending":
        cases += date_cases(kit)
    cases += encoding_cases(kit) + markup_cases(kit) + empty_cases(kit) + large_cases(kit)
    cases += {
        "icj": icj_cases,
        "icj-decisions": icj_cases,
        "icj-pending": pending_cases,
        "icc": icc_cases,
        "icc-decisions": icc_cases,
        "icc-rss": rss_cases,
        "hudoc": hudoc_cases,
    }[kit.adapter](kit)
    return cases


HOSTILE = [case for kit in KITS.values() for case in cases_for(kit)]


def test_every_adapter_has_at_least_30_distinct_hostile_pages():
    for adapter in ADAPTERS:
        names = [case.name for case in HOSTILE if case.adapter == adapter]
        assert len(names) == len(set(names)), f"{adapter}: duplicate names"
        assert len(names) >= 30, f"{adapter}: only {len(names)} hostile pages"


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.id)
def test_hostile_page(case: Hostile):
    kit = KITS[case.adapter]
    result = parse(case.adapter, case.page(), kit.url, case.budget)
    assert_safe(case.adapter, result)
    if case.expect is not None:
        case.expect(kit, result)


# --- property-based pages -------------------------------------------------------------------------------------------

HOSTS = st.sampled_from(
    ["www.icj-cij.org", "icj-cij.org", "www.icc-cpi.int", "icc-cpi.int", "hudoc.echr.coe.int", "evil.example",
     "www.icj-cij.org.evil.com", "www.icc-cpi.int.", "WWW.ICC-CPI.INT", "127.0.0.1", "[::1]", "[::1", "",
     "xn--icj-cj-zxe.org", "www\uff0eicc-cpi\uff0eint", homograph("www.icc-cpi.int")]
)  # fmt: skip
PATHS = st.sampled_from(
    ["/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf", "/case/192", "/case/0193/",
     "/court-record/icc-01/18-374-Red", "/news/a-press-release", "/sites/default/files/CourtRecords/x.pdf",
     "/files/192-20240231-JUD-01-00-EN.pdf", "/files/192-99991231-ord.pdf", "/case/" + "9" * 50,
     "/\\evil.example/x.pdf", "/%2e%2e/%2e%2e/x.pdf", "/a b/\u00e9.pdf", ""]
)  # fmt: skip
HREFS = st.one_of(
    st.builds(
        lambda scheme, sep, userinfo, host, port, path, suffix: f"{scheme}{sep}{userinfo}{host}{port}{path}{suffix}",
        st.sampled_from(["https", "http", "HTTPS", " https", "javascript", "data", "ftp", "", "java\nscript"]),
        st.sampled_from(["://", ":", ":\\\\", "//", ":/\\", "\\\\", ":///"]),
        st.sampled_from(["", "user@", "www.icj-cij.org@", "www.icc-cpi.int:x@", "evil.example\\@", "a%40b@"]),
        HOSTS,
        st.sampled_from(["", ":443", ":8080", ":99999", ":x", ":"]),
        PATHS,
        st.sampled_from(["", "?download=1", "#frag", "?q=" + "x" * 600, "\x00", "\ud800", " ", "\t\n"]),
    ),
    PATHS,
    st.text(max_size=60),
)
DATES_TEXT = st.one_of(
    st.builds(
        lambda day, month, year: f"{day} {month} {year}",
        st.integers(0, 40),
        st.sampled_from(["January", "February", "Feb.", "février", "Foo", "12"]),
        st.sampled_from(["0000", "0001", "1066", "1899", "1944", "1945", "2024", "2100", "2101", "9999"]),
    ),
    st.sampled_from(["02/03/2024", "31/12/9999", "2024-02-30", "9999-12-31", "Sat, 31 Feb 2024 12:00:00 +0000",
                     "Mon, 01 Jan 0000 00:00:00 +0000", "2024-04-09T00:00:00", "0000-00-00T00:00:00", ""]),
)  # fmt: skip
TITLES = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(["Order", " of ", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;b&gt;",
                         "\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9b", "\ud800", "\ufeff", "\u202e", "&#0;", "&#1;",
                         "</a>", "<a href='//evil.example/x.pdf'>", "<!--", "]]>", "Décision", "ICC-01/18-374"]),
        max_size=8,
    ).map("".join),
)  # fmt: skip


@st.composite
def kit_pages(draw, kit: Kit) -> str:
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            rows.append(kit.good())
        elif choice == 1 and kit.adapter != "icj-pending":
            rows.append(kit.dated(draw(DATES_TEXT)))
        elif kit.adapter == "hudoc":
            rows.append(kit.row(draw(st.one_of(HREFS, st.sampled_from(["001-1", "001-0000001"]))), draw(TITLES),
                                date=draw(DATES_TEXT)))  # fmt: skip
        else:
            rows.append(kit.row(draw(HREFS), draw(TITLES)))
    page = kit.page(*rows, title=draw(TITLES) if kit.adapter != "hudoc" else "")
    mangle = draw(st.sampled_from(["none", "cut", "insert", "bom", "latin-1"]))
    if mangle == "cut" and page:
        page = page[: draw(st.integers(0, len(page)))]
    elif mangle == "insert":
        at = draw(st.integers(0, len(page)))
        page = page[:at] + draw(st.sampled_from(["<", "<!--", "\x00", "]]>", "<div>" * 50, '"', "{", "&"])) + page[at:]
    elif mangle == "bom":
        page = "\ufeff" + page
    elif mangle == "latin-1":
        page = page.encode("utf-8", "surrogatepass").decode("latin-1")
    return page


@pytest.mark.parametrize("adapter", ADAPTERS)
@hypothesis_settings(
    max_examples=500, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_page_of_the_adapters_shape_is_safe(adapter, data):
    kit = KITS[adapter]
    page = data.draw(st.one_of(kit_pages(kit), st.text(max_size=200)), label="page")
    assert_safe(adapter, parse(adapter, page, kit.url))
