"""How fast a core runs for us right now: a fixed loop timed in its own thread's CPU time.

The loop touches a few hundred bytes, so a preemption costs it next to no cache refill, and
its thread's CPU time leaves out the time it waited: its nanoseconds per pass rise only when
the core itself is slower (a host shared with other machines, a busy hyperthread sibling, a
lower clock). Beside the pipeline's CPU per row it tells a slower core (the raw ceiling and
the probe slow down with it) from a pipeline that does more, or colder, work per row.
"""

from __future__ import annotations

import statistics
import time

PASSES = 10_000  # about 0.4 ms of one core
TRIES = 3  # the fastest of a few (an interrupt inside one try does not count): a tick a
# second costs the machine about 0.1% of a core


def probe_ns() -> float:
    """Nanoseconds of this thread's CPU per pass of the fixed loop (fastest of TRIES)."""
    best = float("inf")
    for _ in range(TRIES):
        began = time.thread_time_ns()
        acc = 0
        for i in range(PASSES):
            acc += i * i & 0xFF
        best = min(best, (time.thread_time_ns() - began) / PASSES)
    return best


def summarise(
    samples: list[float], unit: str = "ns", digits: int = 2
) -> dict[str, float | int] | None:
    """The median and the spread of one window's probes (None without any), as
    ``median_<unit>``, ``p10_<unit>``, ``p90_<unit>`` and ``samples``; every probe of the
    sampler is summarised so."""
    if not samples:
        return None
    ordered = sorted(samples)
    return {
        f"median_{unit}": round(statistics.median(ordered), digits),
        f"p10_{unit}": round(ordered[int(0.1 * (len(ordered) - 1))], digits),
        f"p90_{unit}": round(ordered[int(0.9 * (len(ordered) - 1))], digits),
        "samples": len(ordered),
    }
