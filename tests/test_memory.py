"""The processes keep freed memory for the next parse or page (tracker/memory.py), on glibc."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

# A fresh interpreter (whose glibc has freed no large block yet) mallocs 4 MB and says whether glibc gave the
# block an mmap of its own, as it does by default for anything over 128 KB.
PROBE = """
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "tracker":
    import tracker
before = libc.mallinfo2().hblks
block = libc.malloc(4 * 1024 * 1024)
print(libc.mallinfo2().hblks - before)
libc.free(block)
"""


def mmapped_blocks_for_4_mb(importing: str) -> int:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE, importing],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_once_the_project_is_imported_a_large_block_comes_from_the_heap():
    assert mmapped_blocks_for_4_mb("nothing") == 1  # glibc's default: an mmap, unmapped again when freed
    assert mmapped_blocks_for_4_mb("tracker") == 0
