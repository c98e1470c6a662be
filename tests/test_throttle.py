"""The per-host throttle, on both backends: a locked file per host, and Redis where REDIS_URL is set."""

import multiprocessing
import time
import uuid

import pytest
import redis

from cases.sources import throttle
from cases.sources.http import FetchError
from cases.sources.throttle import wait_for_slot

INTERVAL = 0.2
# Sleeping may overrun by a little, so a gap can fall short of the interval by the previous sleeper's lateness.
LATENESS = 0.05


@pytest.fixture(params=["file", "redis"])
def backend(request, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    if request.param == "file":
        settings.REDIS_URL = ""
    elif not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set; CI sets it and runs these against a real Redis")
    return request.param


@pytest.fixture
def host():
    return f"court-{uuid.uuid4().hex[:12]}.test"


def test_consecutive_waits_on_one_host_are_spaced(backend, host):
    times = []
    for _ in range(3):
        wait_for_slot(host, min_interval=INTERVAL)
        times.append(time.monotonic())
    assert all(later - earlier >= INTERVAL - 0.01 for earlier, later in zip(times, times[1:], strict=False))


def test_default_interval_comes_from_settings(backend, host, settings):
    settings.FETCH_MIN_INTERVAL = INTERVAL
    started = time.monotonic()
    wait_for_slot(host)
    wait_for_slot(host)
    assert time.monotonic() - started >= INTERVAL - 0.01


def test_zero_interval_never_waits(backend, host, settings):
    settings.FETCH_MIN_INTERVAL = 0
    started = time.monotonic()
    for _ in range(5):
        wait_for_slot(host)
    assert time.monotonic() - started < 0.05


def test_different_hosts_do_not_wait_for_each_other(backend, host):
    started = time.monotonic()
    wait_for_slot(host, min_interval=1.0)
    wait_for_slot(f"other-{host}", min_interval=1.0)
    assert time.monotonic() - started < 0.2


def test_host_names_are_case_insensitive(backend, host):
    started = time.monotonic()
    wait_for_slot(host, min_interval=INTERVAL)
    wait_for_slot(host.upper(), min_interval=INTERVAL)
    assert time.monotonic() - started >= INTERVAL - 0.01


def test_a_wait_longer_than_max_wait_raises_with_retry_after_and_reserves_nothing(backend, host):
    started = time.monotonic()
    wait_for_slot(host, min_interval=0.5)
    with pytest.raises(FetchError, match="throttled") as caught:
        wait_for_slot(host, min_interval=0.5, max_wait=0.1)
    assert 0.3 < caught.value.retry_after <= 0.5
    # The refused caller took no slot, so the next one is still half a second after the first.
    wait_for_slot(host, min_interval=0.5, max_wait=1.0)
    assert 0.5 - 0.01 <= time.monotonic() - started < 0.8


def _take_slots(host, count, results):
    for _ in range(count):
        wait_for_slot(host, min_interval=INTERVAL)
        results.put(time.monotonic())


def test_slots_are_shared_across_processes(backend, host):
    # fork: the children inherit the test's settings (VAR_DIR, REDIS_URL) as a worker's processes share theirs.
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_take_slots, args=(host, 3, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0
    times = sorted(results.get(timeout=1) for _ in range(6))
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert min(gaps) >= INTERVAL - LATENESS, gaps
    assert times[-1] - times[0] >= 5 * INTERVAL - LATENESS


def test_file_slot_left_by_a_clock_that_stepped_back_is_ignored(settings, tmp_path, host):
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    (tmp_path / "throttle").mkdir()
    (tmp_path / "throttle" / host).write_text(repr(time.time() + 10 * 86400))
    started = time.monotonic()
    wait_for_slot(host, min_interval=INTERVAL)
    assert time.monotonic() - started < 0.05


def test_redis_slot_is_one_expiring_key_per_host(settings, host):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set; CI sets it and runs this against a real Redis")
    wait_for_slot(host, min_interval=INTERVAL)
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert 0 < client.pttl(f"throttle:{host}") <= INTERVAL * 1000
    time.sleep(INTERVAL + 0.05)
    assert not client.exists(f"throttle:{host}")


def test_redis_unreachable_is_a_fetch_error_so_the_task_retries(settings, host):
    throttle._reserve_script.cache_clear()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(FetchError, match="throttle unavailable"):
        wait_for_slot(host, min_interval=INTERVAL)
