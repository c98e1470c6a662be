"""Django's Redis cache with one redis-py client per connection pool, where Django makes one per call.

Django's RedisCacheClient.get_client makes a new redis.Redis for every cache call, and redis-py builds its
table of some 165 response callbacks in each (redis/redis-py#3624): about 170 µs a call, more than the
round trip to Redis, on every page served from the cache. A client is safe to share between threads, as
each command takes a connection of its own from the pool.

The cache also counts requests in a window (cases/ratelimit.py) in one round trip, where Django's add and
incr take three (incr asks whether the key exists first).
"""

from django.core.cache.backends import redis

# One command and one reply, run whole on the server, so no window can end between the increment and the
# expiry; an expiry is set wherever one is missing, so that no counter can outlive its window for ever.
COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # connection pool -> its client
        self._count_in_window = None

    def count_in_window(self, key, window):
        client = self.get_client(key, write=True)
        if self._count_in_window is None:
            self._count_in_window = client.register_script(COUNT_IN_WINDOW)
        # EVALSHA; redis-py loads the script again where the server has lost it (a restart, SCRIPT FLUSH).
        return self._count_in_window(keys=[key], args=[window], client=client)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_in_window(self, key, window, version=None) -> int:
        """One more under `key`, whose window of `window` seconds starts with the first: the count so far."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.count_in_window(key, window)
