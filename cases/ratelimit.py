"""Request limits kept in the cache: the follow forms' and the search's (a fixed window), and the API's.

A cache that is down lets requests through (and logs it): a limit protects the site, it must not take it down.
"""

import logging

from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle

logger = logging.getLogger(__name__)


def within_limit(key: str, limit: int, window: int) -> bool:
    """Count one more request under `key`; False once more than `limit` fell in the window since the first."""
    full_key = f"limit:{key}"
    try:
        cache.add(full_key, 0, window)
        try:
            count = cache.incr(full_key)
        except ValueError:  # the window ended between add and incr
            cache.set(full_key, 1, window)
            count = 1
    except Exception:  # noqa: BLE001 (the cache server may be down)
        logger.warning("cache unavailable: request limit %s not applied", key, exc_info=True)
        return True
    return count <= limit


def client_ip(request) -> str:
    # REMOTE_ADDR, not X-Forwarded-For, which any client can write; behind a proxy, have it set REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "")


class FailOpenAnonRateThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, letting requests through (and logging it) when the cache is down."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 (the cache server may be down)
            logger.warning("cache unavailable: API throttle not applied", exc_info=True)
            return True
