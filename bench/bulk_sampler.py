"""CPU, run-queue wait and peak RSS of named groups of processes, sampled over a run;
waiting for a pipeline to go idle; the pids of a supervised child, a server, a tree.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SAMPLE_S = 1.0
MACHINE = "machine (all processes)"
# the pipeline counts as idle below this CPU % of one core, held this long (the broker and
# the faust apps tick at a few % when nothing happens); give up waiting after the timeout
IDLE_BELOW_PCT = 15.0
IDLE_QUIET_S = 2.0
IDLE_TIMEOUT_S = 60.0


class ProcSampler:
    """CPU seconds, CPU% over time and peak RSS of named groups of processes (psutil, 0.5 s).

    A group is a function giving its pids now (a supervised child and its descendants, the
    broker, the PostgreSQL server and its backends ...). CPU of a pid is counted from its
    first sample (or from 0 when it was born after the sampler started)."""

    def __init__(self, interval_s: float = SAMPLE_S) -> None:
        self.interval_s = interval_s
        self.groups: dict[str, Callable[[], list[int]]] = {}
        self.series: dict[str, list[tuple[float, float, float]]] = {}
        self._first: dict[tuple[str, int], float] = {}
        self._last: dict[tuple[str, int], float] = {}
        self._procs: dict[int, Any] = {}
        self._peak_rss: dict[str, float] = {}
        self._peak_one: dict[str, float] = {}
        self._prev_cpu: dict[str, float] = {}
        self._wait_prev: dict[tuple[str, int], float] = {}
        self._waited: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # sample() runs on the sampler thread and, for a final sample, on the caller's
        self._lock = threading.Lock()
        self.started = 0.0
        self.stopped = 0.0

    def add(self, name: str, pids: Callable[[], list[int]]) -> None:
        self.groups[name] = pids

    @staticmethod
    def _machine_busy() -> float:
        import psutil

        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    def start(self) -> None:
        self.started = time.time()
        self._machine0 = self._machine_busy()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sample()  # the CPU since the last tick (up to half the run of a short process)
        self.stopped = time.time()
        return self.summary()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def _proc(self, pid: int) -> Any:
        import psutil

        proc = self._procs.get(pid)
        if proc is None:
            proc = self._procs[pid] = psutil.Process(pid)
        return proc

    def sample(self) -> None:
        """One sample of every group. Call it also just before processes end: the CPU they
        used since the last tick is lost once they are gone."""
        if not self.started:
            return
        with self._lock:
            self._sample()

    def _sample(self) -> None:
        import psutil

        now = time.time()
        for name, resolve in list(self.groups.items()):
            try:
                pids = resolve()
            except Exception:
                pids = []
            rss = 0.0
            for pid in pids:
                try:
                    proc = self._proc(pid)
                    with proc.oneshot():
                        times = proc.cpu_times()
                        mem = proc.memory_info().rss / 2**20
                        born = proc.create_time()
                except (psutil.Error, OSError):
                    self._procs.pop(pid, None)
                    continue
                cpu = times.user + times.system
                key = (name, pid)
                if key not in self._first:
                    self._first[key] = 0.0 if born >= self.started else cpu
                self._last[key] = cpu
                wait = run_queue_wait_s(pid)
                prev_wait = self._wait_prev.get(key)
                if prev_wait is not None and wait > prev_wait:
                    self._waited[name] = self._waited.get(name, 0.0) + wait - prev_wait
                self._wait_prev[key] = wait
                rss += mem
                self._peak_one[name] = max(self._peak_one.get(name, 0.0), mem)
            self._peak_rss[name] = max(self._peak_rss.get(name, 0.0), rss)
            total = self.cpu_s(name)
            series = self.series.setdefault(name, [])
            prev_t = series[-1][0] if series else self.started
            prev_cpu = self._prev_cpu.get(name, 0.0)
            pct = 100.0 * (total - prev_cpu) / max(now - prev_t, 1e-3) if series else 0.0
            self._prev_cpu[name] = total
            series.append((now, pct, rss))
        # the whole machine (every process, ours or not): the box is shared
        busy = self._machine_busy() - self._machine0
        series = self.series.setdefault(MACHINE, [])
        prev_t = series[-1][0] if series else self.started
        prev = self._prev_cpu.get(MACHINE, 0.0)
        series.append(
            (now, 100.0 * (busy - prev) / max(now - prev_t, 1e-3) if series else 0.0, 0.0)
        )
        self._prev_cpu[MACHINE] = busy

    def cpu_s(self, name: str) -> float:
        return sum(last - self._first[key] for key, last in self._last.items() if key[0] == name)

    def summary(self) -> dict[str, Any]:
        span = max((self.stopped or time.time()) - self.started, 1e-3)
        out: dict[str, Any] = {}
        for name in self.groups:
            pcts = sorted(p for _, p, _ in self.series.get(name, [])[1:])
            cpu = self.cpu_s(name)
            out[name] = {
                "cpu_s": round(cpu, 1),
                "avg_cpu_pct": round(100 * cpu / span, 1),
                "p90_cpu_pct": round(pcts[int(0.9 * (len(pcts) - 1))], 1) if pcts else None,
                "peak_rss_mb": round(self._peak_rss.get(name, 0.0), 1),
                "peak_rss_one_process_mb": round(self._peak_one.get(name, 0.0), 1),
                # runnable but not running (all its threads): CPU it wanted and did not get
                "run_queue_wait_s": round(self._waited.get(name, 0.0), 1),
            }
        machine = self._prev_cpu.get(MACHINE, 0.0)
        ours = sum(p["cpu_s"] for p in out.values())
        cores = os.cpu_count() or 1
        return {
            "span_s": round(span, 1),
            "processes": out,
            "machine_cpu_s": round(machine, 1),
            "machine_busy_pct_of_all_cores": round(100 * machine / span / cores, 1),
            "other_processes_cpu_s": round(max(machine - ours, 0.0), 1),
            "this_run_cpu_s": round(ours, 1),
        }

    def compact_series(self, t0: float) -> dict[str, list[list[float]]]:
        return {
            name: [[round(t - t0, 2), round(p, 1), round(r, 1)] for t, p, r in s]
            for name, s in self.series.items()
        }


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


def run_queue_wait_s(pid: int) -> float:
    """Seconds the process's threads spent runnable, waiting for a CPU (/proc schedstat)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


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
