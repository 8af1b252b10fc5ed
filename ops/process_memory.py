"""How a long-running process keeps the memory it frees, set when its command starts.

A worker decodes, validates and encodes a chunk every few hundred milliseconds, a producer
parses an upload after another: each frees megabytes and asks for as much again at once.
Memory handed back to the kernel comes back as page faults, and on a virtual machine whose
host takes back the guest's free memory (free page reporting) each such fault goes to the
host (docs/decisions.md has the figures). So both allocators keep what they free for the
length of a burst:

* Arrow's buffers come from jemalloc (pyarrow's default pool, mimalloc here, returns them
  at once), and the arenas jemalloc makes from then on (one per new thread, as in the
  worker's chunk pool) keep freed pages ``ARROW_KEEP_FREED_MS`` instead of Arrow's 1 s.
* glibc's ``malloc`` (Python objects, numpy, the Rust XLSX reader, librdkafka) serves blocks
  up to ``MMAP_THRESHOLD_BYTES`` from its heaps instead of fresh mappings, and shrinks a
  heap only past ``TRIM_THRESHOLD_BYTES`` free at its top.

An operator's ``ARROW_DEFAULT_MEMORY_POOL``, ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` win over ours.
"""

from __future__ import annotations

import ctypes
import os

# an operator's ARROW_DEFAULT_MEMORY_POOL wins over ours
OPERATOR_CHOICE = "ARROW_DEFAULT_MEMORY_POOL"
PREFERRED_BACKENDS = ("jemalloc", "mimalloc")
# How long jemalloc keeps a freed page for reuse (ms; Arrow's own setting is 1,000): longer
# than the pause between two chunks under load, short enough that an idle process gives a
# burst's memory back within a minute.
ARROW_KEEP_FREED_MS = 30_000
# glibc: blocks up to this size come from the heap, not a mapping of their own that a free
# unmaps (bytes; glibc's largest, HEAP_MAX_SIZE / 2; its default starts at 128 KiB).
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
# glibc: a heap shrinks when this much is free at its top (bytes; glibc's default is twice
# the mmap threshold, 256 KiB at first).
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


def keep_freed_memory() -> str:
    """Set both allocators to keep freed memory; return the Arrow pool's name."""
    _glibc_keeps_freed_memory()
    return use_pooling_allocator()


def use_pooling_allocator() -> str:
    """Make the preferred pool pyarrow's default for this process; return its name."""
    import pyarrow as pa

    if os.environ.get(OPERATOR_CHOICE):
        return pa.default_memory_pool().backend_name
    for backend in PREFERRED_BACKENDS:
        try:
            pool = getattr(pa, f"{backend}_memory_pool")()
        except (NotImplementedError, AttributeError):
            continue  # this pyarrow build lacks it
        pa.set_memory_pool(pool)
        if backend == "jemalloc":
            pa.jemalloc_set_decay_ms(ARROW_KEEP_FREED_MS)
        return str(pool.backend_name)
    return pa.default_memory_pool().backend_name


def _glibc_keeps_freed_memory() -> None:
    """mallopt both thresholds, unless the C library is not glibc or the operator set them."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # not glibc (musl, macOS): its allocator, its defaults
    for env, param, value in (
        ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        ("MALLOC_TRIM_THRESHOLD_", _M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
    ):
        if env not in os.environ:
            mallopt(ctypes.c_int(param), ctypes.c_int(value))
