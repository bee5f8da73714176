"""Keep freed memory in the process for the next tensor of the same size.

glibc's malloc hands every allocation over its mmap threshold (128 KB at first, raised as such
blocks are freed, to 32 MB at most) straight to the kernel, and gives it back when freed. A batched
optimisation step allocates and frees tensors of 1-50 MB dozens of times, so each step paid for
hundreds of thousands of page faults: on 2 cores, a third of feature visualization's time was
system time (16 units of blocks.6.dw, 32 steps: 0.7 million minor faults, 1.0 of 3.1 s). Raising
both thresholds keeps those blocks in the heap for reuse: no faults, no system time. Unbatched
work (lucent's one image at a time: tensors under 2 MB) barely faults either way. Where the C
library is not glibc, nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util

KEEP_BYTES = 1 << 30  # blocks up to 1 GiB come from the heap; up to 1 GiB free at its top is kept
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
_applied = False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to KEEP_BYTES for this process (once; later calls do
    nothing). Returns whether they are in force."""
    global _applied
    if not _applied:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # not glibc (macOS, musl, Windows): its own allocator
            return False
        _applied = bool(mallopt(_M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES))
    return _applied
