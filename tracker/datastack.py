"""Run a request in a chunk of CPython's frame stack of its own, so that it never maps and unmaps one mid-way.

Since 3.11 CPython keeps frames in 16 KB chunks: a call that does not fit the current chunk maps a new one,
and the chunk is unmapped as soon as that call returns. Code whose call depth goes back and forth across a
chunk's end pays an mmap, a page fault and a munmap each time (python/cpython#142183, fixed in 3.13 and
3.14 by keeping one chunk). Under gunicorn, the largest case page crossed about 1,300 times a request, a
fifth of its CPU; the same page in a test process, whose stack starts at another depth, hardly ever did.

`in_own_chunk` calls through a frame that claims ROOM more of evaluation stack than it uses: no chunk has
that room, so CPython maps one with the room to spare, and the request's calls (about a hundred deep) all
fit in it. One mapping a request, whatever the depths.
"""

import functools

# Bytes of frames the call gets; a frame takes some 100 to 400 bytes.
ROOM = 64 * 1024


def in_own_chunk(function):
    """`function`, called so that all its calls fit one chunk of the frame stack."""

    def call(*args, **kwargs):
        return function(*args, **kwargs)

    # A larger stack than the code needs is always safe: the interpreter only reserves the space.
    call.__code__ = call.__code__.replace(co_stacksize=call.__code__.co_stacksize + ROOM // 8)
    return functools.wraps(function)(call)
