"""The instruments of one measured window as report lines, no I/O: the machine's CPU split,
each process's CPU, waits for a CPU, context switches and migrations with its busiest
threads, PostgreSQL by role and its checkpoints, WAL and autovacuum, the broker's GC and
bytes per topic. The figures come from bench/bulk_sampler.py, bench/bulk_pgstats.py and
bench/bulk_broker_stats.py, gathered in ``system["resources"]`` and ``system["instruments"]``.
"""

from __future__ import annotations

from typing import Any


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def machine_line(resources: dict[str, Any]) -> str | None:
    m = resources.get("machine")
    if not m:
        return None
    cpu = m["cpu"]
    span = max(resources.get("span_s") or 1.0, 1e-3)
    split = ", ".join(
        f"{name} {cpu[f'{name}_pct']}%"
        for name in ("user", "system", "irq", "steal", "iowait", "idle")
    )
    others = ", ".join(f"{name} {s}" for name, s, _n in m.get("others_top", []))
    load0, load1 = m["load_start"], m["load_end"]
    probe = m.get("cpu_probe")
    speed = (
        f"; the CPU probe's fixed loop {probe['median_ns']} ns per pass (p10 {probe['p10_ns']}, "
        f"p90 {probe['p90_ns']})"
        if probe
        else ""
    )
    copy = m.get("copy_probe")
    if copy:
        speed += (
            f"; a copy through memory {copy['median_us_per_mib']:,.0f} µs of CPU per MiB "
            f"(p10 {copy['p10_us_per_mib']:,.0f}, p90 {copy['p90_us_per_mib']:,.0f})"
        )
    page = m.get("page_probe")
    if page:
        speed += (
            f"; a new file's page cache {page['median_us_per_mib']:,.0f} µs of CPU per MiB "
            f"(p10 {page['p10_us_per_mib']:,.0f}, p90 {page['p90_us_per_mib']:,.0f})"
        )
    return (
        f"Machine over {resources.get('span_s')} s ({m['cores']} cores): {split}; "
        f"{cpu['context_switches'] / span:,.0f} context switches/s; load average "
        f"{load0['load1']:.2f} at start, {load1['load1']:.2f} at end; runnable tasks "
        f"mean {m.get('runnable_mean')}, max {m.get('runnable_max')}; other processes "
        f"{resources.get('other_processes_cpu_s')} CPU s"
        + (f" ({others})" if others else "")
        + speed
        + "."
    )


def process_table(resources: dict[str, Any], rows: int | None) -> list[str]:
    procs = resources.get("processes") or {}
    if not procs:
        return []
    lines = [
        "| process | CPU s | µs/row | p90 CPU % | waited for a CPU (s) | voluntary / "
        "involuntary switches | migrations | system CPU s | page faults | peak RSS MB | "
        "busiest threads: CPU s / waited s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, p in procs.items():
        sched = p.get("sched") or {}
        threads = "; ".join(
            f"{kind} {t['cpu_s']:.2f}/{t['run_delay_s']:.2f}"
            for kind, t in list((sched.get("threads") or {}).items())[:4]
        )
        per_row = f"{p['cpu_s'] * 1e6 / rows:.2f}" if rows else "-"
        lines.append(
            f"| {name} | {p['cpu_s']} | {per_row} | {p.get('p90_cpu_pct')} | "
            f"{sched.get('run_delay_s', p.get('run_queue_wait_s'))} | "
            f"{sched.get('voluntary', 0):,} / {sched.get('involuntary', 0):,} | "
            f"{sched.get('migrations', 0):,} | {p.get('system_cpu_s', '-')} | "
            f"{p.get('page_faults', 0):,} | {p.get('peak_rss_mb')} | {threads} |"
        )
    return lines


def postgres_roles_line(resources: dict[str, Any]) -> str | None:
    pg = (resources.get("processes") or {}).get("postgres") or {}
    parts = (pg.get("sched") or {}).get("parts") or {}
    if not parts:
        return None
    ranked = sorted(parts.items(), key=lambda kv: -kv[1]["cpu_s"])
    return "PostgreSQL by role (CPU s / waited s / involuntary switches): " + ", ".join(
        f"{role} {p['cpu_s']:.2f} / {p['run_delay_s']:.2f} / {p['involuntary']:,}"
        for role, p in ranked
    )


def postgres_line(pg: dict[str, Any] | None, rows: int | None) -> str | None:
    if not pg:
        return None
    av = ", ".join(
        f"{t} {r.get('autovacuum_count', 0)}/{r.get('autoanalyze_count', 0)}"
        for t, r in pg.get("autovacuum_tables", {}).items()
    )
    per_row = f" ({pg['wal_bytes'] / rows:,.0f} bytes per row)" if rows else ""
    backend = pg.get("buffers_backend")
    return (
        f"PostgreSQL over {pg['window_s']} s: {pg['checkpoints_timed']} timed and "
        f"{pg['checkpoints_requested']} requested checkpoints, buffers written by checkpoints "
        f"{pg['buffers_checkpoint']:,}, by the background writer {pg.get('buffers_bgwriter')}"
        + (f", by backends {backend:,}" if backend is not None else "")
        + f"; WAL {_mb(pg['wal_bytes'])}{per_row}; autovacuum {pg['autovacuum_runs']} and "
        f"autoanalyze {pg['autoanalyze_runs']} runs"
        + (f" (table vacuum/analyze: {av})" if av else "")
        + "."
    )


def broker_line(instruments: dict[str, Any], rows: int | None) -> str | None:
    gc = instruments.get("broker_gc") or {}
    written = instruments.get("topic_bytes") or {}
    if not gc and not written:
        return None
    parts = []
    if gc:
        parts.append(
            "GC "
            + ", ".join(
                f"{name}: {g['count']} in {g['time_s']:.2f} s"
                for name, g in gc.items()
                if name != "total"
            )
        )
    if written:
        total = written.get("total", 0)
        top = ", ".join(f"{t} {_mb(n)}" for t, n in written.items() if t != "total")
        per_row = f" = {total / rows:,.0f} bytes per row" if rows else ""
        parts.append(f"bytes written {_mb(total)}{per_row} ({top})")
    return "Broker: " + "; ".join(parts) + "."


def lines(system: dict[str, Any]) -> list[str]:
    """Every instrument of one system's measured window, as Markdown."""
    resources = system.get("resources") or {}
    instruments = system.get("instruments") or {}
    rows = ((system.get("summary") or {}).get("cpu") or {}).get("rows")
    out: list[str] = []
    for line in (
        machine_line(resources),
        postgres_roles_line(resources),
        postgres_line(instruments.get("postgres"), rows),
        broker_line(instruments, rows),
    ):
        if line:
            out += [line, ""]
    table = process_table(resources, rows)
    return out + table


def section(system: dict[str, Any], title: str) -> list[str]:
    """A system's Markdown section: its instruments, its CPU per row and its profiles."""
    if not (system.get("resources") or {}).get("processes"):
        return []
    out = ["", f"## {title}", "", *lines(system)]
    cpu = (system.get("summary") or {}).get("cpu") or {}
    if cpu:
        by_process = ", ".join(f"{n} {us}" for n, us in cpu["us_per_row_by_process"].items())
        out.append(
            f"\nCPU per row: **{cpu['us_per_row']} µs** in all ({cpu['total_cpu_s']} CPU s / "
            f"{cpu['rows']:,} rows); by process (µs): {by_process}."
        )
        if "ms_per_chunk" in cpu:
            out.append(
                f"Averages: {cpu['ms_per_chunk']} ms of CPU per chunk ({cpu['chunks']} "
                f"chunks), {cpu['ms_per_job']} ms per job ({cpu['jobs']} jobs)."
            )
    res = system["resources"]
    if "machine_cpu_s" in res:
        out.append(
            f"\nOver {res['span_s']} s the machine was {res['machine_busy_pct_of_all_cores']}% "
            f"busy (all cores): {res['this_run_cpu_s']} CPU s in this run's processes, "
            f"{res['other_processes_cpu_s']} CPU s in other processes on the machine."
        )
    for name, prof in (system.get("profiles") or {}).items():
        incl = ", ".join(f"`{f}` {p}%" for f, p in prof["top_project_inclusive_pct"][:8])
        leaf = ", ".join(f"`{f}` {p}%" for f, p in prof["top_self_pct"][:6])
        out.append(
            f"\npy-spy `{name}` ({prof['samples']} samples at 50 Hz, idle threads included): "
            f"project code (inclusive): {incl}; leaf functions (self): {leaf}"
        )
    return out
