"""The pids of what the bulk bench measures (a supervised child and its descendants, a
server, a process tree), a PostgreSQL process's role, and waiting for a pipeline to go idle.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import bulk_procfs as procfs

# the pipeline counts as idle below this CPU % of one core, held this long (the broker and
# the faust apps tick at a few % when nothing happens); give up waiting after the timeout
IDLE_BELOW_PCT = 15.0
IDLE_QUIET_S = 2.0
IDLE_TIMEOUT_S = 60.0


def wait_until_idle(
    groups: list[Callable[[], list[int]]],
    *,
    busy_pct: float = IDLE_BELOW_PCT,
    quiet_s: float = IDLE_QUIET_S,
    timeout_s: float = IDLE_TIMEOUT_S,
) -> float:
    """Wait until the processes of ``groups`` together use less than ``busy_pct`` of one core
    for ``quiet_s`` (consumer groups joined, rebalances over, start-up done), so the measured
    window holds the work alone; return the seconds waited (``timeout_s`` at most)."""
    import psutil

    def cpu_now() -> float:
        total = 0.0
        for resolve in groups:
            for pid in resolve():
                with contextlib.suppress(psutil.Error, OSError):
                    t = psutil.Process(pid).cpu_times()
                    total += t.user + t.system
        return total

    began = time.monotonic()
    quiet_since = time.monotonic()
    prev, prev_t = cpu_now(), time.monotonic()
    while time.monotonic() - began < timeout_s:
        time.sleep(0.5)
        now_cpu, now_t = cpu_now(), time.monotonic()
        pct = 100.0 * (now_cpu - prev) / max(now_t - prev_t, 1e-3)
        prev, prev_t = now_cpu, now_t
        if pct >= busy_pct:
            quiet_since = now_t
        elif now_t - quiet_since >= quiet_s:
            break
    return round(time.monotonic() - began, 1)


def tree(pid: int | None) -> list[int]:
    import psutil

    if pid is None:
        return []
    try:
        return [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:
        return []


def child_pids(child: Any) -> Callable[[], list[int]]:
    """A supervised child and its descendants (the child may be restarted: read it live)."""
    return lambda: tree(child.proc.pid if child.proc else None)


def one_pid(pid: int) -> Callable[[], list[int]]:
    return lambda: [pid]


def postgres_pids(server: Any) -> Callable[[], list[int]]:
    def resolve() -> list[int]:
        if server.data_dir is None:
            return []
        try:
            pid = int((Path(server.data_dir) / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return tree(pid)

    return resolve


def postgres_part(pid: int) -> str:
    """A PostgreSQL process's role (backend, checkpointer, autovacuum worker ...)."""
    return procfs.postgres_role(procfs.cmdline(pid))
