"""CPU, peak RSS and the scheduler's counters of named groups of processes and the machine's
CPU split, sampled over a run; waiting for a pipeline to go idle; the pids of a supervised
child, a server, a tree.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from bench import bulk_cpu_probe, bulk_memory_probe
from bench import bulk_procfs as procfs
from bench.bulk_sched import SchedBook

SAMPLE_S = 1.0
MACHINE = "machine (all processes)"
# a part named after the parent process (PostgreSQL's postmaster, whose title a backend shows
# until it sets its own) is not cached: the process may be a fresh fork
UNSETTLED_PART = "postmaster"


class ProcSampler:
    """CPU seconds, CPU% over time, peak RSS and the scheduler's counters of named groups of
    processes, and the machine around them, sampled every second.

    A group is a function giving its pids now (a supervised child and its descendants, the
    broker, the PostgreSQL server and its backends ...), optionally with a function naming
    each process's part (PostgreSQL's roles). CPU of a pid is counted from its first sample
    (or from 0 when it was born after the sampler started). Each thread's context switches,
    CPU migrations and time waiting for a CPU go into the group's ``SchedBook``."""

    def __init__(self, interval_s: float = SAMPLE_S) -> None:
        self.interval_s = interval_s
        self.groups: dict[str, Callable[[], list[int]]] = {}
        self.part_of: dict[str, Callable[[int], str]] = {}
        self.series: dict[str, list[tuple[float, float, float]]] = {}
        # each process's first and latest reading: (CPU s, system CPU s, minor page faults)
        self._first: dict[tuple[str, int], tuple[float, float, int]] = {}
        self._last: dict[tuple[str, int], tuple[float, float, int]] = {}
        self._procs: dict[int, Any] = {}
        self._parts: dict[int, str] = {}
        self._kinds: dict[tuple[int, int], str] = {}
        self._peak_rss: dict[str, float] = {}
        self._peak_one: dict[str, float] = {}
        self._prev_cpu: dict[str, float] = {}
        self.books: dict[str, SchedBook] = {}
        self.seen_pids: set[int] = set()
        self._samples = 0
        self._runnable: list[int] = []
        self._probes: list[float] = []
        self._page_probes: list[float] = []
        self._copy_probes: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # sample() runs on the sampler thread and, for a final sample, on the caller's
        self._lock = threading.Lock()
        self.started = 0.0
        self.stopped = 0.0

    def add(
        self, name: str, pids: Callable[[], list[int]], part: Callable[[int], str] | None = None
    ) -> None:
        self.groups[name] = pids
        if part is not None:
            self.part_of[name] = part

    def start(self) -> None:
        self.started = time.time()
        self._stat0 = self._stat_prev = procfs.parse_proc_stat(_read("/proc/stat"))
        self._load0 = procfs.parse_loadavg(_read("/proc/loadavg"))
        self._everyone0 = procfs.all_process_cpu()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sample()  # the CPU since the last tick (up to half the run of a short process)
        self.stopped = time.time()
        self._stat1 = procfs.parse_proc_stat(_read("/proc/stat"))
        self._load1 = procfs.parse_loadavg(_read("/proc/loadavg"))
        self._everyone1 = procfs.all_process_cpu()
        return self.summary()

    def _run(self) -> None:
        copy = bulk_memory_probe.CopyProbe()
        while not self._stop.is_set():
            self.sample()
            self._probes.append(bulk_cpu_probe.probe_ns())
            self._copy_probes.append(copy.us_per_mib())
            page = bulk_memory_probe.new_page_us_per_mib()
            if page is not None:
                self._page_probes.append(page)
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
            self._samples += 1

    def _sample(self) -> None:
        import psutil

        now = time.time()
        first = self._samples == 0
        for name, resolve in list(self.groups.items()):
            try:
                pids = resolve()
            except Exception:
                pids = []
            rss = 0.0
            book = self.books.setdefault(name, SchedBook())
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
                self.seen_pids.add(pid)
                reading = (times.user + times.system, times.system, _faults(pid))
                key = (name, pid)
                if key not in self._first:
                    self._first[key] = (0.0, 0.0, 0) if born >= self.started else reading
                self._last[key] = reading
                self._threads(name, book, pid, baseline=first and born < self.started)
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
        stat = procfs.parse_proc_stat(_read("/proc/stat"))
        split = procfs.cpu_split(self._stat_prev, stat)
        self._stat_prev = stat
        cores = os.cpu_count() or 1
        busy = split["busy_s"]
        self._prev_cpu[MACHINE] = self._prev_cpu.get(MACHINE, 0.0) + busy
        series = self.series.setdefault(MACHINE, [])
        prev_t = series[-1][0] if series else self.started
        pct = 100.0 * busy / max(now - prev_t, 1e-3) if series else 0.0
        series.append((now, pct, split["steal_pct"] * cores))
        with contextlib.suppress(OSError, ValueError, IndexError):
            self._runnable.append(int(procfs.parse_loadavg(_read("/proc/loadavg"))["runnable"]))

    def _threads(self, name: str, book: SchedBook, pid: int, *, baseline: bool) -> None:
        """Every thread of one process into its group's book."""
        part = None
        if name in self.part_of:
            part = self._parts.get(pid)
            if part is None:
                part = self.part_of[name](pid)
                # a process just forked still shows its parent's title: ask again next time
                if part != UNSETTLED_PART:
                    self._parts[pid] = part
        for tid in procfs.thread_ids(pid):
            counters = procfs.read_thread(pid, tid)
            if counters is None:
                continue
            kind = self._kinds.get((pid, tid))
            if kind is None:
                kind = self._kinds[(pid, tid)] = procfs.thread_kind(procfs.thread_name(pid, tid))
            book.add(pid, tid, counters, kind=kind, part=part, baseline=baseline)

    def cpu_s(self, name: str) -> float:
        return self._since_start(name, _CPU)

    def _since_start(self, name: str, field: int) -> float:
        """One reading's ``field`` summed over a group's processes since the window began."""
        return sum(
            last[field] - self._first[key][field]
            for key, last in self._last.items()
            if key[0] == name
        )

    def summary(self) -> dict[str, Any]:
        span = max((self.stopped or time.time()) - self.started, 1e-3)
        out: dict[str, Any] = {}
        for name in self.groups:
            pcts = sorted(p for _, p, _ in self.series.get(name, [])[1:])
            cpu = self.cpu_s(name)
            sched = self.books.get(name, SchedBook()).summary()
            out[name] = {
                "cpu_s": round(cpu, 2),
                "avg_cpu_pct": round(100 * cpu / span, 1),
                "p90_cpu_pct": round(pcts[int(0.9 * (len(pcts) - 1))], 1) if pcts else None,
                "system_cpu_s": round(self._since_start(name, _SYSTEM), 2),
                "page_faults": int(self._since_start(name, _FAULTS)),
                "peak_rss_mb": round(self._peak_rss.get(name, 0.0), 1),
                "peak_rss_one_process_mb": round(self._peak_one.get(name, 0.0), 1),
                # runnable but not running (all its threads): CPU it wanted and did not get
                "run_queue_wait_s": sched["run_delay_s"],
                "sched": sched,
            }
        ours = sum(p["cpu_s"] for p in out.values())
        cores = os.cpu_count() or 1
        machine = self._machine(span, cores)
        busy = machine["cpu"]["busy_s"] if machine else self._prev_cpu.get(MACHINE, 0.0)
        return {
            "span_s": round(span, 1),
            "processes": out,
            "machine_cpu_s": round(busy, 2),
            "machine_busy_pct_of_all_cores": round(100 * busy / span / cores, 1),
            "other_processes_cpu_s": round(max(busy - ours, 0.0), 2),
            "this_run_cpu_s": round(ours, 2),
            **({"machine": machine} if machine else {}),
        }

    def _machine(self, span: float, cores: int) -> dict[str, Any] | None:
        """The machine over the window: its CPU split, load average at start and end, the
        runnable tasks seen by the samples and the busiest processes that are not ours."""
        if not hasattr(self, "_stat1"):
            return None
        runnable = sorted(self._runnable)
        ours = self.seen_pids | {os.getpid()}
        return {
            "cores": cores,
            "cpu": procfs.cpu_split(self._stat0, self._stat1),
            "load_start": self._load0,
            "load_end": self._load1,
            "runnable_mean": round(sum(runnable) / len(runnable), 1) if runnable else None,
            "runnable_max": runnable[-1] if runnable else None,
            "others_top": procfs.others_cpu(self._everyone0, self._everyone1, ours),
            # a fixed loop's CPU ns, timed each tick: the core's own speed over the window
            "cpu_probe": bulk_cpu_probe.summarise(self._probes),
            # a new file's first MiBs, timed each tick: what a new page of memory costs
            "page_probe": bulk_cpu_probe.summarise(self._page_probes, "us_per_mib", 1),
            # a copy through memory, timed each tick: the caches and memory we get now
            "copy_probe": bulk_cpu_probe.summarise(self._copy_probes, "us_per_mib", 1),
        }

    def compact_series(self, t0: float) -> dict[str, list[list[float]]]:
        return {
            name: [[round(t - t0, 2), round(p, 1), round(r, 1)] for t, p, r in s]
            for name, s in self.series.items()
        }


# the fields of a process's reading: (CPU s, system CPU s, minor page faults)
_CPU, _SYSTEM, _FAULTS = 0, 1, 2


def _faults(pid: int) -> int:
    """Minor page faults of a process so far (0 when its stat cannot be read)."""
    try:
        return procfs.minor_faults(_read(f"/proc/{pid}/stat"))
    except (OSError, ValueError, IndexError):
        return 0


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()
