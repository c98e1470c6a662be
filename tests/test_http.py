"""The safe HTTP client, against a real server on 127.0.0.1 (never the internet)."""

import email.utils
import hashlib
import logging
import os
import socket
import time

import pytest

from cases.sources import http, throttle
from cases.sources.base import Blocked, Refused, SourceError
from cases.sources.http import FetchError, check_url, fetch, fetch_document
from tests.court_server import route

PUBLIC_IP = "93.184.216.34"


# Pages


def test_fetch_returns_the_page_and_sends_our_user_agent(server, settings):
    route(server, "/case/192", status=200, body=b"<h1>Gaza</h1>", headers=[("ETag", '"v1"')])
    page = fetch(server.url("/case/192"))
    assert page == http.Page(
        url=server.url("/case/192"),
        status=200,
        text="<h1>Gaza</h1>",
        content_type="text/html",
        etag='"v1"',
        last_modified="",
        elapsed_ms=page.elapsed_ms,
    )
    assert not page.not_modified
    assert server.requests[0].headers["User-Agent"] == settings.FETCH_USER_AGENT
    assert server.requests[0].headers["Accept"] == "text/html"


def test_each_fetch_is_logged_with_url_status_and_time(server, caplog):
    route(server, "/case/192", status=200, body=b"ok")
    with caplog.at_level(logging.INFO, logger="cases.sources.http"):
        fetch(server.url("/case/192"))
    assert f"GET {server.url('/case/192')} -> 200" in caplog.text
    assert " ms" in caplog.text


def test_etag_round_trip_gives_not_modified(server):
    def handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            request.reply(304, headers=[("ETag", '"v1"')])
        else:
            request.reply(200, b"<p>first</p>", headers=[("ETag", '"v1"')])

    server.routes["/page"] = handler
    first = fetch(server.url("/page"))
    second = fetch(server.url("/page"), etag=first.etag)
    assert (first.status, first.etag) == (200, '"v1"')
    assert second.not_modified
    assert (second.status, second.text, second.etag) == (304, "", '"v1"')


def test_last_modified_round_trip_gives_not_modified(server):
    stamp = "Fri, 26 Jan 2024 10:00:00 GMT"

    def handler(request):
        if request.headers.get("If-Modified-Since") == stamp:
            request.reply(304)
        else:
            request.reply(200, b"<p>order</p>", headers=[("Last-Modified", stamp)])

    server.routes["/page"] = handler
    first = fetch(server.url("/page"))
    second = fetch(server.url("/page"), last_modified=first.last_modified)
    assert first.last_modified == stamp
    assert second.not_modified
    assert second.last_modified == stamp  # kept from the request when the 304 does not repeat it


# Time limits


def test_slow_drip_is_cut_by_the_total_deadline(server, settings):
    settings.FETCH_TOTAL_TIMEOUT = 0.5
    settings.FETCH_READ_TIMEOUT = 0.3
    server.routes["/drip"] = lambda request: request.drip([b"x"] * 200, delay=0.05)
    started = time.monotonic()
    with pytest.raises(FetchError, match="longer than"):
        fetch(server.url("/drip"))
    assert time.monotonic() - started < 1.5


def test_slow_headers_hit_the_read_timeout(server, settings):
    settings.FETCH_READ_TIMEOUT = 0.2

    def slow(request):
        time.sleep(1.0)
        request.reply(200, b"late")

    server.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch(server.url("/slow"))
    assert time.monotonic() - started < 0.9


# Size


def test_huge_body_with_content_length_is_refused_up_front(server):
    route(server, "/huge", status=200, body=b"x" * 5000)
    with pytest.raises(Refused, match="response larger than 1000 bytes"):
        fetch(server.url("/huge"), max_bytes=1000)


def test_huge_body_without_content_length_is_cut_while_streaming(server, settings):
    settings.FETCH_MAX_BYTES = 1000
    server.routes["/huge"] = lambda request: request.drip([b"x" * 400] * 10)
    with pytest.raises(Refused, match="response larger than 1000 bytes"):
        fetch(server.url("/huge"))


# Redirects


def test_redirect_within_the_host_is_followed_to_the_final_url(server):
    route(server, "/old", status=301, headers=[("Location", "/case/192")])
    route(server, "/case/192", status=200, body=b"moved here")
    page = fetch(server.url("/old"))
    assert page.url == server.url("/case/192")
    assert page.text == "moved here"


def test_every_redirect_hop_goes_through_the_throttle(server, monkeypatch):
    hosts = []
    monkeypatch.setattr(throttle, "wait_for_slot", hosts.append)
    route(server, "/old", status=302, headers=[("Location", server.url("/new"))])
    route(server, "/new", status=200, body=b"ok")
    fetch(server.url("/old"))
    assert hosts == ["127.0.0.1", "127.0.0.1"]


def test_redirect_to_another_host_is_refused(server):
    route(server, "/away", status=302, headers=[("Location", f"http://localhost:{server.server_port}/case/192")])
    with pytest.raises(Refused, match="'localhost' is not a court host"):
        fetch(server.url("/away"))
    assert len(server.requests) == 1


def test_redirect_loop_is_cut(server, settings):
    settings.FETCH_MAX_REDIRECTS = 3
    route(server, "/loop", status=302, headers=[("Location", "/loop")])
    with pytest.raises(Refused, match="more than 3 redirects"):
        fetch(server.url("/loop"))
    assert len(server.requests) == 4


# Statuses


def test_403_challenge_page_is_blocked(server):
    body = b"<!DOCTYPE html><title>Just a moment...</title><script src='/cdn-cgi/challenge-platform/x'></script>"
    route(server, "/case/192", status=403, body=body)
    with pytest.raises(Blocked, match=r"blocked by the court's bot wall \(HTTP 403 challenge\)") as caught:
        fetch(server.url("/case/192"))
    assert caught.value.status == 403


def test_challenge_header_is_blocked_whatever_the_body(server):
    route(server, "/case/192", status=403, body=b"", headers=[("cf-mitigated", "challenge")])
    with pytest.raises(Blocked):
        fetch(server.url("/case/192"))


def test_plain_403_is_a_source_error_not_blocked(server):
    route(server, "/private", status=403, body=b"<h1>Forbidden</h1>")
    with pytest.raises(SourceError, match="HTTP 403") as caught:
        fetch(server.url("/private"))
    assert not isinstance(caught.value, Blocked)


def test_404_is_a_source_error_with_its_status(server):
    with pytest.raises(SourceError, match=f"HTTP 404 for {server.url('/gone')}") as caught:
        fetch(server.url("/gone"))
    assert caught.value.status == 404


def test_429_retry_after_seconds(server):
    route(server, "/busy", status=429, headers=[("Retry-After", "7")])
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/busy"))
    assert (caught.value.status, caught.value.retry_after) == (429, 7)


def test_503_retry_after_http_date(server):
    route(
        server, "/down", status=503, headers=[("Retry-After", email.utils.formatdate(time.time() + 120, usegmt=True))]
    )
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/down"))
    assert caught.value.status == 503
    assert 100 < caught.value.retry_after <= 120


def test_500_is_a_fetch_error_without_retry_after(server):
    route(server, "/broken", status=500, body=b"oops")
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/broken"))
    assert (caught.value.status, caught.value.retry_after) == (500, None)


def test_connection_refused_is_a_fetch_error(server):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(FetchError, match="could not fetch"):
        fetch(f"http://127.0.0.1:{port}/")


# Content type and decoding


def test_wrong_content_type_is_refused(server):
    route(server, "/doc.pdf", status=200, body=b"%PDF-1.7", content_type="application/pdf")
    with pytest.raises(Refused, match="application/pdf, expected text/html"):
        fetch(server.url("/doc.pdf"))


def test_accepted_content_types_are_the_callers(server):
    route(server, "/api", status=200, body=b'{"resultcount": 0}', content_type="application/json")
    page = fetch(server.url("/api"), accept=("application/json",))
    assert (page.content_type, page.text) == ("application/json", '{"resultcount": 0}')
    assert server.requests[0].headers["Accept"] == "application/json"


def test_undecodable_bytes_are_replaced_not_fatal(server):
    route(server, "/bad", status=200, body=b"<p>caf\xe9 \xff ok</p>")
    assert fetch(server.url("/bad")).text == "<p>caf\ufffd \ufffd ok</p>"


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        ("<p>café</p>".encode("iso-8859-1"), "text/html; charset=ISO-8859-1", "<p>café</p>"),
        (
            b'<meta charset="windows-1252"><p>\x93Gaza\x94</p>',
            "text/html",
            '<meta charset="windows-1252"><p>“Gaza”</p>',
        ),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>\xe9</p>',
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>é</p>',
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?><rss>\xe9</rss>',
            "application/rss+xml",
            '<?xml version="1.0" encoding="ISO-8859-1"?><rss>é</rss>',
        ),
        ("<p>é</p>".encode(), "text/html; charset=no-such-charset", "<p>é</p>"),
        (b"\xef\xbb\xbf<p>\xc3\xa9</p>", "text/html; charset=iso-8859-1", "<p>é</p>"),
    ],
    ids=["header", "meta-charset", "meta-http-equiv", "xml-declaration", "unknown-label", "bom"],
)
def test_charset(server, body, content_type, text):
    route(server, "/page", status=200, body=body, content_type=content_type)
    assert fetch(server.url("/page"), accept=("text/html", "application/rss+xml")).text == text


# check_url


@pytest.fixture
def dns(monkeypatch, settings):
    """Court names resolved by a table instead of the network."""
    settings.COURT_HOSTS = ["www.icj-cij.org", "court.test", PUBLIC_IP, "::1"]
    settings.FETCH_ALLOW_PRIVATE_HOSTS = []
    table = {"www.icj-cij.org": PUBLIC_IP}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in table[host] else socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def test_check_url_normalises(dns):
    assert check_url("HTTPS://WWW.ICJ-CIJ.ORG:443/case/192?x=1#top") == "https://www.icj-cij.org/case/192?x=1"
    assert check_url("https://www.icj-cij.org") == "https://www.icj-cij.org/"
    assert check_url("http://www.icj-cij.org:8080/x") == "http://www.icj-cij.org:8080/x"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://evil.example/case/192", "not a court host"),
        ("https://www.icj-cij.org.evil.example/", "not a court host"),
        (f"https://{PUBLIC_IP}/case/192", "IP address"),
        ("http://[::1]/", "IP address"),
        ("https://user:secret@www.icj-cij.org/case/192", "credentials"),
        ("ftp://www.icj-cij.org/case/192", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("not a url at all", "only http and https"),
    ],
)
def test_check_url_refuses(dns, url, reason):
    with pytest.raises(Refused, match=reason):
        check_url(url)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::ffff:127.0.0.1", "224.0.0.1", "::1"]
)
def test_check_url_refuses_a_name_resolving_to_a_private_address(dns, address):
    dns["court.test"] = address
    with pytest.raises(Refused, match="non-public address"):
        check_url("https://court.test/case/1")


def test_check_url_allows_a_private_address_for_a_listed_host(dns, settings):
    dns["court.test"] = "127.0.0.1"
    settings.FETCH_ALLOW_PRIVATE_HOSTS = ["court.test"]
    assert check_url("https://court.test/case/1") == "https://court.test/case/1"


def test_check_url_unresolvable_name_is_a_fetch_error(dns):
    with pytest.raises(FetchError, match="could not resolve"):
        check_url("https://court.test/case/1")


def test_dns_answer_changing_after_the_check_is_refused(server, settings, monkeypatch):
    """DNS rebinding: public when checked, loopback when connected."""
    settings.COURT_HOSTS = ["court.test"]
    settings.FETCH_ALLOW_PRIVATE_HOSTS = []
    route(server, "/case/1", status=200, body=b"internal")
    answers = iter([PUBLIC_IP])

    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(Refused, match="connected to non-public address 127.0.0.1"):
        fetch(f"http://court.test:{server.server_port}/case/1")


# Documents


def test_fetch_document_hashes_and_sizes_the_body(server):
    body = os.urandom(300_000)
    route(server, "/doc.pdf", status=200, body=body, content_type="application/pdf")
    document = fetch_document(server.url("/doc.pdf"))
    assert document == http.Document(
        url=server.url("/doc.pdf"),
        final_url=server.url("/doc.pdf"),
        status=200,
        content_type="application/pdf",
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        elapsed_ms=document.elapsed_ms,
    )
    assert server.requests[0].command == "GET"


def test_fetch_document_behind_a_challenge_is_blocked(server):
    route(server, "/doc.pdf", status=403, body=b"<title>Just a moment...</title>")
    with pytest.raises(Blocked):
        fetch_document(server.url("/doc.pdf"))


def test_fetch_document_too_large_is_refused(server, settings):
    settings.FETCH_MAX_DOCUMENT_BYTES = 1000
    server.routes["/doc.pdf"] = lambda request: request.drip([b"%PDF" * 100] * 10, content_type="application/pdf")
    with pytest.raises(Refused, match="response larger than 1000 bytes"):
        fetch_document(server.url("/doc.pdf"))
