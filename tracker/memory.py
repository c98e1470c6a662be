"""Freed memory kept in the process for the next court page or web page, rather than given back at once.

glibc gives the top of its heap back to the system as soon as 128 KB of it is free, and serves a large
allocation with an mmap of its own, unmapped when freed. A 500 KB court page parses into megabytes of lexbor
nodes, freed at the end: each parse the memory went back and was faulted in again page by page, a third of
the parse's time. Fixed thresholds keep up to TRIM_THRESHOLD free in the process (its peak memory, which it
reaches anyway, does not grow). Only glibc has mallopt; elsewhere nothing changes.
"""

import ctypes
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 64 * 1024 * 1024
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest


def keep_freed_memory() -> bool:
    """Set the thresholds; whether they were set (glibc only)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
