"""A request's calls fit one chunk of CPython's frame stack, whatever depth the server starts it at."""

import resource
import sys

import pytest

from tracker.datastack import in_own_chunk
from tracker.wsgi import application

pytestmark = pytest.mark.skipif(
    sys.implementation.name != "cpython" or not sys.platform.startswith("linux"),
    reason="CPython's frame stack, counted in Linux's page faults",
)

CALLS = 2000


def _leaf():
    return None


def _work():
    """A hot loop of calls one frame deeper: where that frame starts a chunk, each call maps one."""
    for _ in range(CALLS):
        _leaf()


def _faults_at(depth, work):
    if depth:
        return _faults_at(depth - 1, work)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    work()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _worst(work, depths=range(1, 200)):
    """The most page faults the work costs, over the depths a server might call it at."""
    return max(_faults_at(depth, work) for depth in depths)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="CPython 3.13 and later keep a chunk (gh-142183)")
def test_plain_calls_map_a_chunk_each_time_at_the_wrong_depth():
    """The fault the module works around, so that the next test measures something."""
    assert _worst(_work) >= CALLS


def test_calls_in_their_own_chunk_never_map_one():
    assert _worst(in_own_chunk(_work)) < CALLS / 100


def test_the_wsgi_application_runs_in_its_own_chunk():
    assert application.__code__.co_stacksize > 8000
    assert application.__wrapped__.__class__.__name__ == "WSGIHandler"
