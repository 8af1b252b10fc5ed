"""What memory costs us right now, in two probes timed in their thread's CPU time.

* A copy between two buffers larger than the caches (``CopyProbe``). The fixed loop of
  bench/bulk_cpu_probe.py lives in a few hundred bytes, so it sees the core's speed and
  nothing else; the pipeline reads and writes megabytes a chunk. Other machines on the same
  host share its last-level cache and memory bandwidth, and when they are busy every process
  here is dearer per row while the fixed loop is not. The buffers are written when the probe
  is made, so no copy pays a page fault.
* A new file written into the page cache (``new_page_us_per_mib``). On a virtual machine
  whose host takes back the memory the guest leaves free (free page reporting, a balloon),
  the first write to a page the host took back faults into the host: 2,000 MB with ``dd``
  took 2.03 s of system CPU here, and 0.36 s when repeated at once after deleting the first
  file. A run of the 500-user bench puts about 4 GB of new file pages into memory
  (PostgreSQL's WAL and tables, the broker's logs), so this cost moves its CPU per row.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

COPY_MIB = 16  # each way: 32 MiB through the caches, 2-4 ms of one core a probe
NEW_PAGE_MIB = 2  # 0.3-5 ms of one core a probe; the file is gone before the next tick
_BLOCK = bytes(1 << 20)


class CopyProbe:
    def __init__(self, mib: int = COPY_MIB) -> None:
        # np.full writes every page (np.zeros would map them lazily, to fault in a probe)
        self.source = np.full(mib << 20, 1, np.uint8)
        self.target = np.full(mib << 20, 2, np.uint8)
        self.mib = mib

    def us_per_mib(self) -> float:
        """This thread's CPU µs per MiB copied."""
        began = time.thread_time_ns()
        np.copyto(self.target, self.source)
        return (time.thread_time_ns() - began) / 1000 / self.mib


def new_page_us_per_mib(folder: str | None = None) -> float | None:
    """This thread's CPU µs per MiB written into a new file's page cache (the kernel's
    copies are charged to the writer); None when the folder cannot be written."""
    try:
        fd, path = tempfile.mkstemp(prefix="page-probe-", dir=folder)
    except OSError:
        return None
    try:
        began = time.thread_time_ns()
        for _ in range(NEW_PAGE_MIB):
            os.write(fd, _BLOCK)
        spent = time.thread_time_ns() - began
    except OSError:
        return None
    finally:
        os.close(fd)
        os.unlink(path)
    return spent / 1000 / NEW_PAGE_MIB
