"""Whole public pages from the cache, keyed on versions of the records they show, with conditional GET.

A page depends on one version key: a case's own pages (the case page, its feeds) on `v:case:<slug>`,
every other public page (home, lists, search, courts, persons, site feeds, the API) on `v:site`. A
version is the time of the last change in nanoseconds, so it is also the page's Last-Modified. Writers
bump versions (services after a refresh, signals after admin saves); a stored page whose version is no
longer current is simply rendered again. PAGE_CACHE_SECONDS bounds what a version cannot see: "New"
marks and "upcoming" lists that change with the clock.

A hit costs one cache round trip and no query: the version alone when this process holds a copy of the
page (LOCAL_PAGES of them, least recently used out), else the page and its version in one get_many. A version
read is trusted for PAGE_VERSION_TRUST_SECONDS (a second), so a busy process asks once a second rather than
once a request; a change made in another process shows that much later, one made in this one at once. A reader
who sends the ETag back gets a 304 without the body. Only anonymous GETs are cached, and a response
that set a cookie or used the CSRF token is never stored, so nothing personal is served to anyone else.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language

SITE = "v:site"
# Headers a stored page keeps; the middleware outside the view (locale, security) adds its own again.
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "X-Robots-Tag", "Link")


def case_version_key(slug: str) -> str:
    return f"v:case:{slug}"


_last_version = 0
_version_lock = threading.Lock()


def _now() -> int:
    """A new version: the time in nanoseconds, but always above the last this process made, since a clock can
    stand still (a frozen test clock) or step back, and an old version number must never come back."""
    global _last_version
    with _version_lock:
        _last_version = max(time.time_ns(), _last_version + 1)
        return _last_version


def bump(*keys: str) -> None:
    """Make every page that depends on these version keys stale. Never fails a write: a cache that is
    down only means pages are rendered afresh, and PAGE_CACHE_SECONDS limits how long anything is stale."""
    if not keys:
        return
    now = _now()
    for key in keys:
        _forget_version(key)
    try:
        cache.set_many(dict.fromkeys(keys, now), timeout=None)
    except Exception:  # noqa: BLE001 (the cache server may be down; the write it follows must still land)
        _log_cache_down()


def bump_case(*slugs: str, site: bool = True) -> None:
    """A case changed: its own pages, and unless only its "last checked" line moved, every listing."""
    bump(*(case_version_key(slug) for slug in slugs if slug), *([SITE] if site else []))


def bump_site() -> None:
    bump(SITE)


def _log_cache_down() -> None:
    import logging

    logging.getLogger(__name__).warning("cache unavailable: page versions not bumped", exc_info=True)


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or settings.PAGE_CACHE_SECONDS <= 0:
        return False
    # Staff (a session) and a pending flash message see a page of their own.
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _page_key(request: HttpRequest, language: str) -> str:
    # The host too: feeds and calendars write absolute links.
    address = f"{request.get_host()}{request.get_full_path()}"
    digest = hashlib.blake2b(address.encode(), digest_size=16).hexdigest()
    return f"page:{language}:{digest}"


def _etag(version: int, language: str, page_key: str) -> str:
    return quote_etag(hashlib.blake2b(f"{page_key}:{version}:{language}".encode(), digest_size=10).hexdigest())


def _validators(response: HttpResponse, version: int, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(version / 1e9)
    # Shared caches may keep a copy, but must ask again before using it: the ETag makes that cheap.
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    patch_vary_headers(response, ("Cookie",))
    return response


def cached_page(version_key: Callable[..., str] | None = None):
    """Decorate a view whose anonymous GET response depends only on the given version key.

    version_key(request, *args, **kwargs) names the key; by default the site's.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            key = version_key(request, *args, **kwargs) if version_key else SITE
            return serve(request, key, lambda: view(request, *args, **kwargs))

        return wrapper

    return decorator


def serve(request: HttpRequest, key: str, render: Callable[[], HttpResponse], variant: str = "") -> HttpResponse:
    """The page from the cache if its version is current, else render() (and keep it when it may be shared).

    `variant` tells apart responses to one address that differ otherwise, as the API's formats do.
    """
    if not _cacheable_request(request):
        return render()
    language = get_language()
    page_key = _page_key(request, language) + variant
    local = _local_get(page_key)
    version = _trusted_version(key) if local else None
    found = {}
    if version is None:
        try:
            # With a copy here, only the version is asked for (a few bytes); else the page comes in the same read.
            found = cache.get_many([key] if local else [page_key, key])
            version = found.get(key)
            if version is None:
                # First sight of this key (or the cache lost it): from now on, pages stored before are stale.
                cache.add(key, _now(), timeout=None)
                version = cache.get(key) or _now()
        except Exception:  # noqa: BLE001 (a cache that is down costs speed, never the page)
            _log_cache_down()
            return render()
        _trust_version(key, version)
    etag = _etag(version, language, page_key)
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(version / 1e9))
    if not_modified is not None:
        return _validators(not_modified, version, etag)
    stored = local if local and local[0] == version else found.get(page_key)
    if stored is None and local:
        stored = _shared_copy(page_key)  # the copy here is stale: the shared one may be current
    if stored is not None and stored[0] == version:
        if stored is not local:
            _local_put(page_key, stored)
        response = HttpResponse(stored[1])
        for name, value in stored[2]:
            response[name] = value
        return _validators(response, version, etag)
    response = render()
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if _storable(request, response):
        headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
        record = (version, response.content, headers)
        _local_put(page_key, record)
        try:
            cache.set(page_key, record, timeout=settings.PAGE_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 (the version was trusted without asking; the cache may have gone since)
            _log_cache_down()
    if response.status_code == 200:
        _validators(response, version, etag)
    return response


def _shared_copy(page_key: str) -> tuple | None:
    try:
        return cache.get(page_key)
    except Exception:  # noqa: BLE001 (as in serve)
        _log_cache_down()
        return None


# The versions this process read lately: the cache's own key (its prefix included) -> (version, monotonic expiry).
_versions: dict[str, tuple[int, float]] = {}


def _trusted_version(key: str) -> int | None:
    entry = _versions.get(cache.make_key(key))
    return entry[0] if entry is not None and entry[1] > time.monotonic() else None


def _trust_version(key: str, version: int) -> None:
    if settings.PAGE_VERSION_TRUST_SECONDS > 0:
        _versions[cache.make_key(key)] = (version, time.monotonic() + settings.PAGE_VERSION_TRUST_SECONDS)


def _forget_version(key: str) -> None:
    _versions.pop(cache.make_key(key), None)


# The pages this process served lately: page key -> (stored record, monotonic expiry). A hit here reads at most the
# version from the shared cache, never the page (up to ~100 KB for a big case), which no pickle has to copy.
LOCAL_PAGES = 128
_local: OrderedDict[str, tuple[tuple, float]] = OrderedDict()
_local_lock = threading.Lock()


def _local_get(page_key: str) -> tuple | None:
    with _local_lock:
        entry = _local.get(page_key)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            del _local[page_key]
            return None
        _local.move_to_end(page_key)
        return entry[0]


def _local_put(page_key: str, record: tuple) -> None:
    with _local_lock:
        _local[page_key] = (record, time.monotonic() + settings.PAGE_CACHE_SECONDS)
        _local.move_to_end(page_key)
        while len(_local) > LOCAL_PAGES:
            _local.popitem(last=False)


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    # Only a page: not a redirect (whose Location is not kept) nor a 404 (anyone could fill the cache).
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    return not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")


def case_key(request, slug: str, *args, **kwargs) -> str:
    return case_version_key(slug)
