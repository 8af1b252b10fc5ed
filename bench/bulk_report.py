"""JSON, Markdown and PNG plots of ``bulkflow bench`` (bench/bulk_bench.py); figures in
bench/bulk_figures.py, plots in bench/bulk_plots.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.bulk_figures import (
    goals,
    ratios,
    summarise,
)
from bench.bulk_plots import plot

PLOTS = ("completion", "throughput", "cpu")


def result_stem(report: dict[str, Any]) -> str:
    """The fixed file name of a run's results: each run replaces the last one of its kind, so
    ``bench/results/`` holds the latest full and the latest ``--quick`` run (git keeps the rest).
    """
    return "bulk_bench-quick" if report.get("quick") else "bulk_bench"


def write(report: dict[str, Any], results: Path) -> list[Path]:
    results.mkdir(parents=True, exist_ok=True)
    stem = result_stem(report)
    for kind in PLOTS:  # a plot this run skips must not linger from the previous one
        (results / f"{stem}-{kind}.png").unlink(missing_ok=True)
    for system in report["systems"].values():
        system["summary"] = summarise(system)
    report["ratios"] = ratios(report)
    report["goals"] = goals(report)
    written = []
    pngs = []
    try:
        pngs = plot(report, results, stem)
    except Exception as exc:  # a plot must never lose the figures
        report["plot_error"] = f"{type(exc).__name__}: {exc}"
    report["plots"] = [p.name for p in pngs]
    json_path = results / f"{stem}.json"
    json_path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    md_path = results / f"{stem}.md"
    md_path.write_text(markdown(report))
    written += [json_path, md_path, *pngs]
    return written


def _fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return str(v)


def markdown(report: dict[str, Any]) -> str:
    w = report["workload"]
    lines = [
        f"# bulkflow bench — {report['started_utc']}{' (quick)' if report.get('quick') else ''}",
        "",
        f"Workload: {w['big_files']} × {w['rows_per_big_file']:,}-row `{w['format']}` files "
        f"uploaded at once + {w['small_files']} × {w['rows_per_small_file']} rows submitted at the "
        f"backlog's peak; ~1% invalid rows; {w['total_rows']:,} rows, {w['bytes'] / 1e6:,.0f} MB. "
        f"Machine: {report['cpu_count']} CPUs, Python {report['python']}; load average "
        f"{report['load_avg_start'][0]:.2f} at start, {report['load_avg_end'][0]:.2f} at end "
        f"(the machine is shared: other work may run beside the bench). Whole run {report.get('wall_s')} s.",
        "",
        "| system | uploads done | all big done (s) | rows/s end to end | big p50 / p95 (s) "
        "| small p50 / p95 / max (s) | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, system in report["systems"].items():
        s = system["summary"]
        rate = s.get("rows_per_s")
        notes = []
        if s["extrapolated"]:
            notes.append(
                f"**{s['extrapolated']} uploads extrapolated** after a "
                f"{system.get('cap_s', 0):.0f} s cap (measured rate "
                f"{_fmt(system.get('measured_rows_per_s'))} rows/s)"
            )
        if s["not_completed"]:
            why = "stalled" if system.get("stalled_after_s") else "timeout"
            notes.append(f"**{s['not_completed']} not completed ({why})**")
            rate = s.get("rows_per_s_partial")
        if s.get("ledger_steady_rows_per_s"):
            notes.append(
                f"ledger steady {_fmt(s['ledger_steady_rows_per_s'])} rows/s; "
                f"start-up {system.get('startup_s')} s (not counted)"
            )
        lines.append(
            f"| {system.get('label', key)} | {s['completed']}/{s['uploads']} | "
            f"{_fmt(s['big']['done_at_s'])} | {_fmt(rate)} | {_fmt(s['big']['p50_s'])} / "
            f"{_fmt(s['big']['p95_s'])} | {_fmt(s['small']['p50_s'], 2)} / {_fmt(s['small']['p95_s'], 2)}"
            f" / {_fmt(s['small']['max_s'], 2)} | {'; '.join(notes)} |"
        )
    rat = report.get("ratios", {})
    lines += [
        "",
        "## Ratios",
        "",
        f"- bulkflow / baseline throughput: **{_fmt(rat.get('throughput_vs_baseline'), 2)}×**",
        f"- bulkflow / raw ceiling: **{_fmt(rat.get('throughput_vs_raw'), 3)}**",
        f"- small-upload p95 wait: bulkflow **{_fmt(rat.get('small_p95_bulkflow_s'), 2)} s** vs "
        f"baseline **{_fmt(rat.get('small_p95_baseline_s'), 1)} s**"
        + (" (extrapolated)" if rat.get("small_p95_baseline_extrapolated") else ""),
        "",
        "## Goals",
        "",
        "| goal | measured | met |",
        "| --- | --- | --- |",
    ]
    for g in report.get("goals", []):
        met = {True: "PASS", False: "MISS", None: "-"}[g["met"]]
        lines.append(f"| {g['goal']} | {_fmt(g['measured'], 2)} | {met} |")
    for key, system in report["systems"].items():
        procs = system.get("resources", {}).get("processes", {})
        if not procs:
            continue
        lines += [
            "",
            f"## Processes: {system.get('label', key)}",
            "",
            "| process | CPU s | avg CPU % | p90 CPU % | waited for a CPU (s) "
            "| peak RSS MB (all its processes) |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, p in procs.items():
            lines.append(
                f"| {name} | {_fmt(p['cpu_s'])} | {_fmt(p['avg_cpu_pct'])} | "
                f"{_fmt(p['p90_cpu_pct'])} | {_fmt(p.get('run_queue_wait_s'))} | "
                f"{_fmt(p['peak_rss_mb'])} |"
            )
        cpu = summarise(system).get("cpu") or {}
        if cpu:
            by_process = ", ".join(
                f"{name} {us}" for name, us in cpu["us_per_row_by_process"].items()
            )
            lines.append(
                f"\nCPU per row: **{cpu['us_per_row']} µs** in all ({cpu['total_cpu_s']} CPU s / "
                f"{cpu['rows']:,} rows); by process (µs): {by_process}."
            )
            if "ms_per_chunk" in cpu:
                lines.append(
                    f"Averages: {cpu['ms_per_chunk']} ms of CPU per chunk ({cpu['chunks']} "
                    f"chunks), {cpu['ms_per_job']} ms per job ({cpu['jobs']} jobs)."
                )
        res = system["resources"]
        if "machine_cpu_s" in res:
            lines.append(
                f"\nOver {res['span_s']} s the machine was {res['machine_busy_pct_of_all_cores']}% "
                f"busy (all cores): {res['this_run_cpu_s']} CPU s in this run's processes, "
                f"{res['other_processes_cpu_s']} CPU s in other processes on the machine."
            )
        for name, prof in (system.get("profiles") or {}).items():
            incl = ", ".join(f"`{f}` {p}%" for f, p in prof["top_project_inclusive_pct"][:8])
            leaf = ", ".join(f"`{f}` {p}%" for f, p in prof["top_self_pct"][:6])
            lines.append(
                f"\npy-spy `{name}` ({prof['samples']} samples at 50 Hz, idle threads included): "
                f"project code (inclusive): {incl}; leaf functions (self): {leaf}"
            )
    for key, system in report["systems"].items():
        if system.get("stuck"):
            lines += [
                "",
                f"## Uploads that never completed: {system.get('label', key)}",
                "",
                "| file | job | state | chunks done / total | rows ok |",
                "| --- | --- | --- | --- | --- |",
            ]
            for u in system["stuck"]:
                done, total = (u.get("chunks") or [None, None])[:2]
                lines.append(
                    f"| {u['name']} | {(u.get('job_id') or '')[:12]} | {u.get('state')} "
                    f"| {_fmt(done)} / {_fmt(total)} | {_fmt(u.get('rows_ok'))} |"
                )
    if report.get("plots"):
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in report["plots"]]
    if report.get("error"):
        lines += ["", "## Error", "", "```", report["error"], "```"]
    return "\n".join(lines) + "\n"


def print_ratios(report: dict[str, Any]) -> None:
    rat = report.get("ratios", {})
    print("\nGoals:")
    for g in report.get("goals", []):
        met = {True: "PASS", False: "MISS", None: "n/a"}[g["met"]]
        print(f"  {met:<4} {g['goal']}: {_fmt(g['measured'], 2)}")
    ext = " (baseline extrapolated)" if rat.get("small_p95_baseline_extrapolated") else ""
    print("\nRatios:")
    print(f"  bulkflow / baseline throughput : {_fmt(rat.get('throughput_vs_baseline'), 2)}x")
    print(f"  bulkflow / raw ceiling         : {_fmt(rat.get('throughput_vs_raw'), 3)}")
    print(
        f"  small-upload p95 wait          : bulkflow {_fmt(rat.get('small_p95_bulkflow_s'), 2)} s"
        f" vs baseline {_fmt(rat.get('small_p95_baseline_s'), 1)} s{ext}",
        flush=True,
    )
