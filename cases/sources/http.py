"""The one HTTP client every adapter and task fetches through.

The courts' sites are read politely and defensively: only listed hosts, never a private address,
every redirect hop checked and throttled, bounded in time and size, and a bot wall reported rather
than worked around. Network trouble raises FetchError, which tasks retry; everything else raises a
SourceError, which they do not. The client itself never retries.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import functools
import hashlib
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass

import certifi
import httpx
from django.conf import settings

from cases.sources import throttle
from cases.sources.base import Blocked, Refused, SourceError

logger = logging.getLogger("cases.sources.http")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHALLENGE_MARKERS = (b"just a moment", b"cf-chl", b"challenge-platform")
# Enough of a 403 body to recognise a challenge page without downloading whatever else it is.
CHALLENGE_SNIFF_BYTES = 64 * 1024
# Browsers look for a <meta charset> in the first 1024 bytes; a little more costs nothing.
CHARSET_SNIFF_BYTES = 2048
META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:+-]+)", re.IGNORECASE)
XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]+encoding\s*=\s*[\"']([A-Za-z0-9_.:+-]+)[\"']")
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class FetchError(Exception):
    """Network trouble (timeout, connection, 5xx, 429): worth retrying later, as the task does."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Page:
    url: str  # final URL after redirects
    status: int  # 200, or 304 when not modified
    text: str  # decoded body ("" on 304)
    content_type: str  # media type only, e.g. "text/html"
    etag: str
    last_modified: str
    elapsed_ms: int  # time on the network, across redirects; throttle waits not counted

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Document:
    """What a link check learns about an official document, without keeping its body."""

    url: str
    final_url: str
    status: int
    content_type: str
    size: int
    sha256: str
    elapsed_ms: int


def check_url(url: str) -> str:
    """Return `url` normalised, or raise Refused unless it is one we may fetch.

    This is the guard against being turned into a proxy for someone else's requests (SSRF): a court
    host named exactly, and no private address behind it unless an operator allowed that host.
    A name that does not resolve raises FetchError, as DNS trouble is usually passing.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise Refused(f"not a valid URL: {url!r}") from error
    if parsed.scheme not in ("http", "https"):
        raise Refused(f"only http and https are fetched, not {url!r}")
    if parsed.userinfo:
        raise Refused(f"URL with credentials refused: {url!r}")
    host = parsed.host.lower()
    if host not in {allowed.lower() for allowed in settings.COURT_HOSTS}:
        raise Refused(f"{host!r} is not a court host we read (settings.COURT_HOSTS)")
    port = parsed.port
    if port is not None and not 0 < port < 65536:
        raise Refused(f"invalid port in {url!r}")
    if not _private_allowed(host):
        if _ip_literal(host):
            raise Refused(f"IP address {host!r} refused: court hosts are fetched by name")
        for address in _resolve(host, port or (443 if parsed.scheme == "https" else 80)):
            if not _is_public(address):
                raise Refused(f"{host!r} resolves to non-public address {address}")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[parsed.scheme]:
        netloc = f"{netloc}:{port}"
    return f"{parsed.scheme}://{netloc}{parsed.raw_path.decode('ascii') or '/'}"


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    accept: tuple[str, ...] = ("text/html",),
    max_bytes: int | None = None,
) -> Page:
    """GET a page, conditionally when a validator is given; a 304 comes back as Page(status=304, text="")."""
    limit = settings.FETCH_MAX_BYTES if max_bytes is None else max_bytes
    headers = {"Accept": ", ".join(accept)}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with _open(url, headers) as (response, clock):
        if response.status_code == 304:
            return Page(
                url=str(response.url),
                status=304,
                text="",
                content_type="",
                etag=response.headers.get("ETag", etag),
                last_modified=response.headers.get("Last-Modified", last_modified),
                elapsed_ms=clock.elapsed_ms(),
            )
        media_type, charset = _content_type(response)
        if media_type not in accept:
            raise Refused(f"{response.url} is {media_type or 'untyped'}, expected {' or '.join(accept)}")
        body = b"".join(_body(response, clock, limit))
        return Page(
            url=str(response.url),
            status=response.status_code,
            text=_decode(body, charset),
            content_type=media_type,
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
            elapsed_ms=clock.elapsed_ms(),
        )


def fetch_document(url: str, *, max_bytes: int | None = None) -> Document:
    """GET an official document to check the link: stream it through SHA-256, keep only size and digest.

    GET, not HEAD, because the courts' servers answer HEAD badly.
    """
    limit = settings.FETCH_MAX_DOCUMENT_BYTES if max_bytes is None else max_bytes
    # identity: the digest and size are of the file as published, and no decompression can balloon.
    headers = {"Accept": "application/pdf, */*;q=0.8", "Accept-Encoding": "identity"}
    with _open(url, headers) as (response, clock):
        digest = hashlib.sha256()
        size = 0
        for chunk in _body(response, clock, limit):
            digest.update(chunk)
            size += len(chunk)
        return Document(
            url=url,
            final_url=str(response.url),
            status=response.status_code,
            content_type=_content_type(response)[0],
            size=size,
            sha256=digest.hexdigest(),
            elapsed_ms=clock.elapsed_ms(),
        )


class _Clock:
    """The total time budget of one fetch, across its redirect hops.

    Time spent waiting for the throttle is ours, not the server's, so it is not counted.
    """

    def __init__(self, budget: float):
        self.budget = budget
        self.spent = 0.0
        self.started: float | None = None

    def start(self) -> None:
        self.started = time.monotonic()

    def stop(self) -> None:
        self.spent += time.monotonic() - self.started
        self.started = None

    def left(self) -> float:
        running = time.monotonic() - self.started if self.started is not None else 0.0
        return self.budget - self.spent - running

    def elapsed_ms(self) -> int:
        return round((self.budget - self.left()) * 1000)

    def timeout(self) -> httpx.Timeout:
        """Per-hop timeouts, never longer than what is left of the budget."""
        left = max(self.left(), 0.001)
        connect = min(settings.FETCH_CONNECT_TIMEOUT, left)
        read = min(settings.FETCH_READ_TIMEOUT, left)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One per process: building it loads the CA bundle, which cost each fetch 30 ms (a 304 takes less)."""
    return ssl.create_default_context(cafile=certifi.where())


@contextlib.contextmanager
def _open(url: str, headers: dict[str, str]) -> Iterator[tuple[httpx.Response, _Clock]]:
    """Send the GET and yield the final response, its body unread.

    Redirects are followed here rather than by httpx so that every hop is checked and throttled.
    Errors from the status (4xx, 5xx) are raised before the caller sees the response.
    """
    clock = _Clock(settings.FETCH_TOTAL_TIMEOUT)
    status = None
    try:
        current = check_url(url)
        # trust_env=False: no proxy from the environment, so the address checked is the one connected to.
        with httpx.Client(
            headers={"User-Agent": settings.FETCH_USER_AGENT},
            follow_redirects=False,
            trust_env=False,
            verify=_tls_context(),
        ) as client:
            for _hop in range(settings.FETCH_MAX_REDIRECTS + 1):
                host = httpx.URL(current).host
                throttle.wait_for_slot(host)
                clock.start()
                request = client.build_request("GET", current, headers=headers, timeout=clock.timeout())
                response = client.send(request, stream=True)
                try:
                    status = response.status_code
                    _check_peer(response, host)
                    location = response.headers.get("Location")
                    if status not in REDIRECT_STATUSES:
                        _raise_for_status(response, clock)
                        yield response, clock
                        logger.info("GET %s -> %s %s in %d ms", url, status, response.url, clock.elapsed_ms())
                        return
                    if not location:
                        raise SourceError(f"HTTP {status} without a Location from {current}")
                finally:
                    response.close()
                clock.stop()
                logger.info("GET %s -> %s redirect to %s", current, status, location)
                try:
                    target = httpx.URL(current).join(location)
                except httpx.InvalidURL as error:
                    raise SourceError(f"HTTP {status} with an invalid Location from {current}") from error
                current = check_url(str(target))
            raise Refused(f"more than {settings.FETCH_MAX_REDIRECTS} redirects from {url}")
    except httpx.TimeoutException as error:
        failure = FetchError(f"timed out fetching {url}: {type(error).__name__}")
        _log_failure(url, status, clock, failure)
        raise failure from error
    except httpx.HTTPError as error:
        failure = FetchError(f"could not fetch {url}: {type(error).__name__}: {error}")
        _log_failure(url, status, clock, failure)
        raise failure from error
    except (SourceError, FetchError) as error:
        _log_failure(url, status, clock, error)
        raise


def _log_failure(url: str, status: int | None, clock: _Clock, error: Exception) -> None:
    logger.warning("GET %s -> %s failed in %d ms: %s", url, status or "-", clock.elapsed_ms(), error)


def _raise_for_status(response: httpx.Response, clock: _Clock) -> None:
    status = response.status_code
    url = str(response.url)
    if 200 <= status < 300 or status == 304:
        return
    if status in (429, 503):
        retry_after = _retry_after(response.headers.get("Retry-After", ""))
        raise FetchError(f"HTTP {status} for {url}", status=status, retry_after=retry_after)
    # 408 is the server timing us out: network trouble like any other timeout.
    if status >= 500 or status == 408:
        raise FetchError(f"HTTP {status} for {url}", status=status)
    if response.headers.get("cf-mitigated", "").lower() == "challenge" or (
        status == 403 and _is_challenge(response, clock)
    ):
        error = Blocked(f"blocked by the court's bot wall (HTTP {status} challenge) at {url}")
    else:
        # Also what is neither a page nor an error (a 1xx, a 300 or 305): nothing we can read.
        error = SourceError(f"HTTP {status} for {url}")
    error.status = status  # for the SourceCheck; SourceError itself carries no status
    raise error


def _is_challenge(response: httpx.Response, clock: _Clock) -> bool:
    sniffed = bytearray()
    for chunk in _body(response, clock, limit=None):
        sniffed += chunk
        if len(sniffed) >= CHALLENGE_SNIFF_BYTES:
            break
    lowered = bytes(sniffed).lower()
    return any(marker in lowered for marker in CHALLENGE_MARKERS)


def _body(response: httpx.Response, clock: _Clock, limit: int | None) -> Iterator[bytes]:
    """Stream the body, cutting it at the size limit and at the fetch's total deadline.

    The deadline is checked as each chunk arrives, so a server dripping bytes just fast enough to
    beat the read timeout is cut within one read timeout of the deadline.
    """
    if limit is not None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Refused(f"response larger than {limit} bytes: {response.url}")
    received = 0
    for chunk in response.iter_bytes():
        received += len(chunk)
        if limit is not None and received > limit:
            raise Refused(f"response larger than {limit} bytes: {response.url}")
        if clock.left() <= 0:
            raise FetchError(f"{response.url} took longer than {settings.FETCH_TOTAL_TIMEOUT}s in total")
        yield chunk


def _content_type(response: httpx.Response) -> tuple[str, str]:
    """The media type and charset parameter of the response, both lowercased, "" when absent."""
    media_type, _, params = response.headers.get("Content-Type", "").partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    return media_type.strip().lower(), charset


def _decode(body: bytes, charset: str) -> str:
    """Decode as a browser would: BOM, then the header's charset, then the document's own declaration.

    Falls back to UTF-8, and bad bytes become U+FFFD: a garbled character must not lose a page.
    """
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    head = body[:CHARSET_SNIFF_BYTES]
    declared = XML_ENCODING.search(head) or META_CHARSET.search(head)
    for candidate in (charset, declared.group(1).decode("ascii") if declared else ""):
        if candidate:
            # A label Python does not know, or a codec that is not a text encoding, is ignored.
            with contextlib.suppress(LookupError, UnicodeError):
                return body.decode(candidate, errors="replace")
    return body.decode("utf-8", errors="replace")


def _retry_after(value: str) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _private_allowed(host: str) -> bool:
    return host in {allowed.lower() for allowed in settings.FETCH_ALLOW_PRIVATE_HOSTS}


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"could not resolve {host!r}: {error}") from error
    return [info[4][0] for info in infos]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def _check_peer(response: httpx.Response, host: str) -> None:
    """Refuse a response from a non-public address, closing the gap between check_url's lookup and the
    connection's own (a DNS answer that changes in between, as in DNS rebinding)."""
    if _private_allowed(host):
        return
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer and not _is_public(peer[0]):
        raise Refused(f"{host!r} connected to non-public address {peer[0]}")
