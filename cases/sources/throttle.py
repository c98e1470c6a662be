"""No more than one request a second to any court's host, across all workers.

Each caller atomically reserves the next free slot for the host ("next allowed time" moves on by
one interval) and then sleeps until its slot, so no lock is held while waiting and callers are
served in the order they asked. With REDIS_URL set the reservation lives in Redis, shared by every
machine and timed by Redis's clock; otherwise in a locked file per host under VAR_DIR, shared by
the worker's processes on one machine.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import time

import redis
from django.conf import settings

from cases.sources import http

# A reserved slot is never further ahead than max_wait plus one interval; one an hour ahead can only
# be left by a wall clock that has since stepped back, and would otherwise stall the host for that long.
STALE_AHEAD = 3600.0

# Returns the wait in milliseconds; negative when it would exceed the caller's max_wait, in which
# case nothing is reserved. The key expires once its slot has passed, so idle hosts leave nothing.
RESERVE_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_at)
local wait = slot - now
if wait > max_wait then
    return -wait
end
redis.call('SET', KEYS[1], slot + interval, 'PX', wait + interval)
return wait
"""


def wait_for_slot(host: str, *, min_interval: float | None = None, max_wait: float = 30.0) -> None:
    """Block until this process may send a request to `host`.

    Raises FetchError with retry_after instead of waiting longer than max_wait, so a task gives its
    worker back and retries later rather than sleeping through its time limit.
    """
    interval = settings.FETCH_MIN_INTERVAL if min_interval is None else min_interval
    if interval <= 0:
        return
    host = host.lower()
    reserve = _reserve_redis if settings.REDIS_URL else _reserve_file
    wait = reserve(host, interval, max_wait)
    if wait > 0:
        time.sleep(wait)


def _too_long(host: str, wait: float, max_wait: float) -> http.FetchError:
    return http.FetchError(
        f"throttled: next request to {host} in {wait:.1f}s, longer than {max_wait:.1f}s", retry_after=wait
    )


def _reserve_redis(host: str, interval: float, max_wait: float) -> float:
    # max(…, 1): a sub-millisecond interval still has to reserve something for PX to be valid.
    interval_ms = max(round(interval * 1000), 1)
    try:
        wait_ms = _reserve_script(settings.REDIS_URL)(keys=[f"throttle:{host}"], args=[interval_ms, max_wait * 1000])
    except redis.RedisError as error:
        # Sending unthrottled would be impolite to the court; treat it as network trouble and retry later.
        raise http.FetchError(f"throttle unavailable (Redis): {error}") from error
    if wait_ms < 0:
        raise _too_long(host, -wait_ms / 1000, max_wait)
    return wait_ms / 1000


@functools.cache
def _reserve_script(url: str) -> redis.commands.core.Script:
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return client.register_script(RESERVE_SCRIPT)


def _reserve_file(host: str, interval: float, max_wait: float) -> float:
    directory = settings.VAR_DIR / "throttle"
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / re.sub(r"[^a-z0-9.-]", "_", host), os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+") as slot_file:
        fcntl.flock(slot_file, fcntl.LOCK_EX)  # released when the file is closed
        now = time.time()
        try:
            next_at = float(slot_file.read() or 0)
        except ValueError:
            next_at = 0.0
        if next_at > now + STALE_AHEAD:
            next_at = 0.0
        slot = max(now, next_at)
        wait = slot - now
        if wait > max_wait:
            raise _too_long(host, wait, max_wait)
        slot_file.seek(0)
        slot_file.truncate()
        slot_file.write(repr(slot + interval))
    return wait
