import copy
import uuid

import pytest
from django.core.management import call_command


@pytest.fixture
def seeded(db):
    """The real seed cases, loaded as `make run` loads them."""
    call_command("seed_cases", verbosity=0)


pytest_plugins = ["tests.court_server"]


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Each test its own cache namespace, so rate limits and cached pages never leak between tests.

    Where REDIS_URL is set the cache is a Redis that outlives the test run (and holds the broker's
    queues, so it is never flushed): a fresh key prefix is the clean slate.
    """
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches
