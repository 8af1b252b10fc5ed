"""The Arrow memory pool of a long-running process, chosen when its command starts.

pyarrow's default pool (mimalloc here) hands freed pages back to the kernel and faults them
in again for the next chunk, so a worker spends a good part of its chunk handling in page
faults. jemalloc keeps them for its decay time, so a process that decodes and encodes
chunks all day reuses the same memory.
"""

from __future__ import annotations

import os

# an operator's ARROW_DEFAULT_MEMORY_POOL wins over ours
OPERATOR_CHOICE = "ARROW_DEFAULT_MEMORY_POOL"
PREFERRED_BACKENDS = ("jemalloc", "mimalloc")


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
        return str(pool.backend_name)
    return pa.default_memory_pool().backend_name
