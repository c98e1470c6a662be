import pytest
from django.core.management import call_command


@pytest.fixture
def seeded(db):
    """The real seed cases, loaded as `make run` loads them."""
    call_command("seed_cases", verbosity=0)


pytest_plugins = ["tests.court_server"]
