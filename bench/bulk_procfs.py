"""Linux ``/proc`` counters the bulk bench reads: the machine's CPU split (``/proc/stat``), the
load average, each thread's scheduler counters (``/proc/<pid>/task/<tid>/sched`` and
``schedstat``), the role of a PostgreSQL process and the CPU of every process on the machine.

The parsers are pure functions of a file's text (unit-tested on fixtures); the readers
around them return ``None`` or an empty result when a file is gone (a process or thread that
ended between two reads) or absent (a kernel without ``CONFIG_SCHED_DEBUG`` has no ``sched``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

# the CPU columns of /proc/stat in order; guest and guest_nice are already inside user and
# nice, so they are left out of the total
CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_proc_stat(text: str) -> dict[str, int]:
    """The machine-wide ``cpu`` line of /proc/stat in clock ticks, and the context switches
    (``ctxt``) and forks (``processes``) since boot."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "cpu":
            out.update(
                zip(CPU_FIELDS, (int(v) for v in parts[1 : 1 + len(CPU_FIELDS)]), strict=False)
            )
        elif parts[0] in ("ctxt", "processes"):
            out[parts[0]] = int(parts[1])
    return out


def cpu_split(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """Where the machine's CPU time went between two /proc/stat readings: seconds and % of
    all cores for each column (irq and softirq summed), busy seconds (everything but idle
    and iowait) and the context switches per second of wall time."""
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in CPU_FIELDS}
    total = sum(delta.values()) or 1
    out: dict[str, float] = {}
    shares = {
        "user": delta["user"] + delta["nice"],
        "system": delta["system"],
        "irq": delta["irq"] + delta["softirq"],
        "steal": delta["steal"],
        "iowait": delta["iowait"],
        "idle": delta["idle"],
    }
    for name, ticks in shares.items():
        out[f"{name}_s"] = round(ticks / CLOCK_TICKS, 2)
        out[f"{name}_pct"] = round(100 * ticks / total, 1)
    out["busy_s"] = round((total - delta["idle"] - delta["iowait"]) / CLOCK_TICKS, 2)
    out["context_switches"] = after.get("ctxt", 0) - before.get("ctxt", 0)
    out["forks"] = after.get("processes", 0) - before.get("processes", 0)
    return out


def minor_faults(stat: str) -> int:
    """A process's minor page faults so far, from its /proc/<pid>/stat (the 10th field; the
    name in parentheses may hold spaces)."""
    return int(stat[stat.rindex(")") + 2 :].split()[7])


def parse_loadavg(text: str) -> dict[str, float]:
    """/proc/loadavg: the 1, 5 and 15 minute load averages and the runnable tasks now."""
    parts = text.split()
    running, _, total = parts[3].partition("/")
    return {
        "load1": float(parts[0]),
        "load5": float(parts[1]),
        "load15": float(parts[2]),
        "runnable": int(running),
        "tasks": int(total),
    }


@dataclass(frozen=True)
class ThreadCounters:
    """One thread's counters since it started: CPU time, time runnable but waiting for a CPU
    (run delay), context switches it asked for (voluntary: it blocked) and that it suffered
    (involuntary: preempted), and moves from one CPU to another (migrations)."""

    cpu_s: float
    run_delay_s: float
    voluntary: int
    involuntary: int
    migrations: int


# the lines of /proc/<pid>/sched the sampler keeps
SCHED_KEYS = ("se.nr_migrations", "nr_voluntary_switches", "nr_involuntary_switches")


def parse_sched(text: str, keys: tuple[str, ...] = SCHED_KEYS) -> dict[str, float]:
    """The ``name : value`` lines of /proc/<pid>/sched (a kernel with CONFIG_SCHED_DEBUG)
    named in ``keys``; a string search, since the sampler reads it for every thread."""
    out: dict[str, float] = {}
    for key in keys:
        at = text.find(f"\n{key} ")
        if at < 0:
            continue
        start = text.index(":", at) + 1
        end = text.find("\n", start)
        out[key] = float(text[start : end if end >= 0 else None])
    return out


def parse_schedstat(text: str) -> tuple[float, float, int]:
    """/proc/<pid>/schedstat: (seconds on a CPU, seconds runnable waiting for one, timeslices)."""
    on_cpu, waited, slices = text.split()[:3]
    return int(on_cpu) / 1e9, int(waited) / 1e9, int(slices)


def parse_status_switches(text: str) -> tuple[int, int]:
    """(voluntary, involuntary) context switches from /proc/<pid>/status."""
    found = dict.fromkeys(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"), 0)
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in found:
            found[key] = int(value.strip())
    return found["voluntary_ctxt_switches"], found["nonvoluntary_ctxt_switches"]


def counters_from(schedstat: str, sched: str | None, status: str | None) -> ThreadCounters:
    """One thread's counters from its files' text: ``sched`` gives the switches and the
    migrations; without it (no CONFIG_SCHED_DEBUG) ``status`` gives the switches alone."""
    on_cpu, waited, _ = parse_schedstat(schedstat)
    if sched is not None:
        fields = parse_sched(sched)
        return ThreadCounters(
            cpu_s=on_cpu,
            run_delay_s=waited,
            voluntary=int(fields.get("nr_voluntary_switches", 0)),
            involuntary=int(fields.get("nr_involuntary_switches", 0)),
            migrations=int(fields.get("se.nr_migrations", 0)),
        )
    voluntary, involuntary = parse_status_switches(status or "")
    return ThreadCounters(on_cpu, waited, voluntary, involuntary, 0)


def _read(path: str) -> str | None:
    # os.read over open(): the sampler reads a few files per thread every second
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 65536).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def thread_ids(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except (OSError, ValueError):
        return []


def read_thread(pid: int, tid: int) -> ThreadCounters | None:
    base = f"/proc/{pid}/task/{tid}"
    schedstat = _read(f"{base}/schedstat")
    if schedstat is None:
        return None
    sched = _read(f"{base}/sched")
    status = None if sched is not None else _read(f"{base}/status")
    try:
        return counters_from(schedstat, sched, status)
    except (ValueError, IndexError):
        return None


def thread_name(pid: int, tid: int) -> str:
    return (_read(f"/proc/{pid}/task/{tid}/comm") or "?").strip()


_NUMBERS = re.compile(r"\d+")


def thread_kind(name: str) -> str:
    """A thread's name with its numbers masked, so a pool's threads count as one kind:
    ``data-plane-kafka-request-handler-3`` -> ``data-plane-kafka-request-handler-#``."""
    return _NUMBERS.sub("#", name) or "?"


# the process titles PostgreSQL gives its processes ("postgres: checkpointer", ...)
_PG_ROLES = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "autovacuum worker",
    "logical replication launcher",
    "archiver",
    "stats collector",
)


def postgres_role(cmdline: str) -> str:
    """What a PostgreSQL process does, from its process title: a role above, ``backend``
    for a client connection (``postgres: user db host(port) state``), ``postmaster`` for the
    server's first process (its command line is the binary's path)."""
    title = cmdline.replace("\0", " ").strip()
    if not title.startswith("postgres:"):
        return "postmaster"
    rest = title[len("postgres:") :].strip()
    for role in _PG_ROLES:
        if rest.startswith(role):
            return role
    return "backend"


def cmdline(pid: int) -> str:
    return _read(f"/proc/{pid}/cmdline") or ""


def parse_pid_stat(text: str) -> tuple[str, float, int]:
    """(command name, user + system CPU ticks, start time in ticks after boot) of
    /proc/<pid>/stat; the name sits in parentheses and may itself hold spaces and
    parentheses. A pid with another start time is another process."""
    left, right = text.index("("), text.rindex(")")
    fields = text[right + 2 :].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15, starttime 22
    return text[left + 1 : right], float(int(fields[11]) + int(fields[12])), int(fields[19])


def all_process_cpu() -> dict[int, tuple[str, float, int]]:
    """Every process on the machine now: pid -> (command name, CPU seconds so far, start
    time). Command names only, never command lines: another program's arguments may hold
    secrets."""
    out: dict[int, tuple[str, float, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        text = _read(f"/proc/{entry}/stat")
        if text is None:
            continue
        try:
            name, ticks, started = parse_pid_stat(text)
        except (ValueError, IndexError):
            continue
        out[int(entry)] = (name, ticks / CLOCK_TICKS, started)
    return out


def others_cpu(
    before: dict[int, tuple[str, float, int]],
    after: dict[int, tuple[str, float, int]],
    ours: set[int],
    top: int = 6,
) -> list[list[object]]:
    """CPU seconds between two ``all_process_cpu`` readings of the processes that are not
    ours, summed by their later command name, largest first: [[name, seconds, processes],
    ...]. A process born in between counts from zero; one that ended in between is not
    seen. A kernel worker renames itself for the work it picks up, so a process is known by
    its pid and start time, not by its name."""
    by_name: dict[str, list[float]] = {}
    for pid, (name, cpu, started) in after.items():
        if pid in ours:
            continue
        prev = before.get(pid)
        used = cpu - prev[1] if prev is not None and prev[2] == started else cpu
        if used <= 0:
            continue
        entry = by_name.setdefault(name, [0.0, 0])
        entry[0] += used
        entry[1] += 1
    ranked = sorted(by_name.items(), key=lambda kv: -kv[1][0])[:top]
    return [[name, round(s, 2), int(n)] for name, (s, n) in ranked]
