"""Where CI points the tests at PostgreSQL and Redis, they must really be used: fail, never skip."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tracker.celery import app


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="DATABASE_URL not set: SQLite is the embedded default")
def test_database_url_is_the_database_in_use(db):
    expected = os.environ["DATABASE_URL"].split(":", 1)[0]
    assert connection.vendor == {"postgres": "postgresql", "postgresql": "postgresql"}.get(expected, expected)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: local memory is the embedded default")
def test_redis_url_is_the_cache_and_broker_in_use():
    assert settings.CACHES["default"]["BACKEND"] == "tracker.cache.RedisCache"
    cache.set("ci-probe", "answer", 10)
    assert cache.get("ci-probe") == "answer"
    assert app.conf.broker_url == os.environ["REDIS_URL"]
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)


def test_the_redis_cache_makes_one_client_a_connection_pool_not_one_a_call():
    """Django's makes a redis.Redis a call, and redis-py spends longer building one than the round trip takes."""
    from tracker.cache import RedisCache

    backend = RedisCache("redis://127.0.0.1:6379/1;redis://127.0.0.1:6379/2", {})
    writer = backend._cache.get_client(write=True)
    assert backend._cache.get_client(write=True) is writer
    assert backend._cache.get_client("key") is backend._cache.get_client("key") is not writer  # the replica's
    assert writer.connection_pool is backend._cache._get_connection_pool(write=True)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: local memory is the embedded default")
def test_the_redis_cache_counts_a_window_in_one_command(monkeypatch):
    """A request limit costs one round trip, where Django's add and incr take three."""
    import redis

    from cases.ratelimit import within_limit

    commands = []
    real = redis.Redis.execute_command

    def execute_command(self, *args, **options):
        commands.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", execute_command)

    assert within_limit("probe", limit=2, window=30)
    assert within_limit("probe", limit=2, window=30)
    assert not within_limit("probe", limit=2, window=30)

    assert commands == ["EVALSHA"] * 3
    assert cache.get("limit:probe") == 3  # an integer Django's cache reads back
    client = cache._cache.get_client(write=True)
    assert 0 < client.ttl(cache.make_key("limit:probe")) <= 30


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: local memory is the embedded default")
def test_a_window_counter_always_expires_and_survives_a_server_that_lost_the_script():
    client = cache._cache.get_client(write=True)
    cache.set("limit:stuck", 5, timeout=None)  # a counter left without an expiry would block its client for ever

    assert cache.count_in_window("limit:stuck", 30) == 6
    assert 0 < client.ttl(cache.make_key("limit:stuck")) <= 30

    client.script_flush()  # as after a restart of Redis
    assert cache.count_in_window("limit:stuck", 30) == 7


def test_embedded_defaults_need_no_server(monkeypatch):
    """Without the two variables the settings fall back to SQLite and the filesystem broker."""
    import importlib

    import tracker.settings as tracker_settings

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    reloaded = importlib.reload(tracker_settings)
    try:
        assert reloaded.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        assert "journal_mode=WAL" in reloaded.DATABASES["default"]["OPTIONS"]["init_command"]
        assert reloaded.CELERY_BROKER_URL == "filesystem://"
        assert reloaded.CACHES["default"]["BACKEND"].endswith("FileBasedCache")
        assert reloaded.CELERY_TASK_SERIALIZER == "json"
    finally:
        monkeypatch.undo()
        importlib.reload(tracker_settings)


def test_production_mode_requires_a_secret_key(monkeypatch):
    import importlib

    import environ

    import tracker.settings as tracker_settings

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DEBUG", raising=False)
    try:
        with pytest.raises(environ.ImproperlyConfigured):
            importlib.reload(tracker_settings)
    finally:
        monkeypatch.undo()
        importlib.reload(tracker_settings)
