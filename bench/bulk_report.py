"""JSON, Markdown and PNG plots of ``bulkflow bench`` (bench/bulk_bench.py); figures in
bench/bulk_figures.py, plots in bench/bulk_plots.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import bulk_instruments, bulk_spread
from bench.bulk_figures import ratios, summarise
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
    runs = report.get("runs") or []
    for run in runs:
        for system in run.values():
            system["summary"] = summarise(system)
    report["ratios"] = ratios(report)
    report["spread"] = bulk_spread.spread([bulk_spread.run_figures(r) for r in runs])
    report["goals"] = judge(report)
    written = []
    pngs = []
    try:
        pngs = plot(report, results, stem)
    except Exception as exc:  # a plot must never lose the figures
        report["plot_error"] = f"{type(exc).__name__}: {exc}"
    report["plots"] = [p.name for p in pngs]
    json_path = results / f"{stem}.json"
    saved = {**report, "runs": [compact(run) for run in runs]}
    json_path.write_text(json.dumps(saved, indent=1, default=str) + "\n")
    md_path = results / f"{stem}.md"
    md_path.write_text(markdown(report))
    written += [json_path, md_path, *pngs]
    return written


def judge(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The goals, each judged on the worst of the runs."""
    w = report["workload"]
    runs = report.get("runs") or []
    return bulk_spread.goals(
        report.get("spread") or {},
        full=w["big_files"] >= 500 and w["rows_per_big_file"] >= 10_000,
        runs=len(runs),
        baseline_ratio=report.get("ratios", {}).get("throughput_vs_baseline"),
        quick_wall_s=report.get("wall_s") if report.get("quick") else None,
        not_completed=sum(r["bulkflow"]["summary"]["not_completed"] for r in runs),
    )


# what a run's entry in the JSON leaves out: per-upload and per-second lists (run 1's are
# under "systems")
HEAVY = ("uploads", "files", "ledger", "timeline", "cpu_series", "log_tails")


def compact(run: dict[str, Any]) -> dict[str, Any]:
    return {name: {k: v for k, v in sys_.items() if k not in HEAVY} for name, sys_ in run.items()}


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
    runs = report.get("runs") or []
    if len(runs) > 1:
        lines += [
            "",
            f"The table gives run 1 of {len(runs)}. The spread gives every run of the main "
            "configuration; the raw ceilings run once per run, after the bulkflow runs.",
        ]
    if report.get("spread"):
        lines += [
            "",
            f"## Spread over {len(runs)} run(s)",
            "",
            *bulk_spread.table(report["spread"]),
        ]
    rat = report.get("ratios", {})
    lines += [
        "",
        "## Ratios",
        "",
        f"- bulkflow / baseline throughput: **{_fmt(rat.get('throughput_vs_baseline'), 2)}×**",
        f"- bulkflow / raw ceiling: **{_fmt(rat.get('throughput_vs_raw'), 3)}**",
        f"- bulkflow / keyed raw ceiling (the unique key index too): "
        f"**{_fmt(rat.get('throughput_vs_raw_keyed'), 3)}**",
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
        lines += bulk_instruments.section(system, f"Processes: {system.get('label', key)}")
    for i, run in enumerate(report.get("runs") or []):
        if i == 0:
            continue  # run 1 is the one above
        for key, system in run.items():
            title = f"Run {i + 1}: {system.get('label', key)}"
            lines += bulk_instruments.section(system, title)
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
    runs = report.get("runs") or []
    if report.get("spread"):
        print(f"\nSpread over {len(runs)} run(s) (min / median / max, then each run):")
        for line in bulk_spread.table(report["spread"]):
            print("  " + line)
    for i, run in enumerate(runs):
        system = run["bulkflow"]
        print(f"\nInstruments, run {i + 1} ({system.get('label')}):")
        for line in bulk_instruments.lines(system):
            print("  " + line if line else "")
    print("\nGoals:")
    for g in report.get("goals", []):
        met = {True: "PASS", False: "MISS", None: "n/a"}[g["met"]]
        print(f"  {met:<4} {g['goal']}: {_fmt(g['measured'], 2)}")
    ext = " (baseline extrapolated)" if rat.get("small_p95_baseline_extrapolated") else ""
    print("\nRatios:")
    print(f"  bulkflow / baseline throughput : {_fmt(rat.get('throughput_vs_baseline'), 2)}x")
    print(f"  bulkflow / raw ceiling         : {_fmt(rat.get('throughput_vs_raw'), 3)}")
    print(f"  bulkflow / keyed raw ceiling   : {_fmt(rat.get('throughput_vs_raw_keyed'), 3)}")
    print(
        f"  small-upload p95 wait          : bulkflow {_fmt(rat.get('small_p95_bulkflow_s'), 2)} s"
        f" vs baseline {_fmt(rat.get('small_p95_baseline_s'), 1)} s{ext}",
        flush=True,
    )
