"""Request limits kept in the cache, each a counter over a fixed window: the follow forms', the search's, the API's.

A cache that is down lets requests through (and logs it): a limit protects the site, it must not take it down.
"""

import logging

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


def within_limit(key: str, limit: int, window: int) -> bool:
    """Count one more request under `key`; False once more than `limit` fell in the window since the first."""
    try:
        count = _count_in_window(f"limit:{key}", window)
    except Exception:  # noqa: BLE001 (the cache server may be down)
        logger.warning("cache unavailable: request limit %s not applied", key, exc_info=True)
        return True
    return count <= limit


def _count_in_window(key: str, window: int) -> int:
    if counter := getattr(cache, "count_in_window", None):  # Redis: one round trip (tracker/cache.py)
        return counter(key, window)
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, window)
        return 1


def client_ip(request) -> str:
    # REMOTE_ADDR, not X-Forwarded-For, which any client can write; behind a proxy, have it set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "")


class AnonRateLimit(SimpleRateThrottle):
    """The API's limit per address (REST_FRAMEWORK's "anon" rate) as one fixed-window counter, like the forms'.

    DRF's own throttle keeps the time of every request in the window and rewrites the whole list on each one: a
    read and a write growing with the rate. A counter is one increment, and lets requests through when the cache
    is down.
    """

    scope = "anon"

    def get_cache_key(self, request, view):
        return f"api:{self.get_ident(request)}"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        return within_limit(self.get_cache_key(request, view), self.num_requests, self.duration)

    def wait(self):
        # At most the whole window: the counter's own expiry is not read back.
        return self.duration
