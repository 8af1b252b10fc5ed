"""Figures, JSON, Markdown and PNG plots of ``bulkflow bench`` (bench/bulk_bench.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

GOALS = {
    "big_done_s": 60.0,  # all big uploads completed within (the full run: 500 x 10,000 XLSX)
    "rows_per_s": 85_000,
    "vs_baseline": 4.0,
    "vs_raw": 0.60,
    "small_p95_s": 3.0,
    "quick_wall_s": 180.0,
}


# --- figures ------------------------------------------------------------------------------


def records(system: dict[str, Any]) -> list[dict[str, Any]]:
    """Every upload of a system as {kind, rows, submitted, finished, ok, extrapolated}, on the
    system's own clock (seconds after its t0)."""
    t0 = system.get("t0", 0.0)
    out = []
    for item in system.get("uploads") or system.get("files") or []:
        finished = item.get("finished")
        ok = finished is not None and not item.get("error") and item.get("state") != "failed"
        out.append(
            {
                "kind": item["kind"],
                "rows": item.get("rows") or 0,
                "submitted": (item.get("submitted") or t0) - t0,
                "started": (item["started"] - t0) if item.get("started") else None,
                "finished": (finished - t0) if finished is not None else None,
                "ok": ok,
                "extrapolated": bool(item.get("extrapolated")),
            }
        )
    return out


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarise(system: dict[str, Any]) -> dict[str, Any]:
    recs = records(system)
    done = [r for r in recs if r["finished"] is not None]
    out: dict[str, Any] = {
        "uploads": len(recs),
        "completed": sum(r["ok"] for r in recs),
        "extrapolated": sum(r["extrapolated"] for r in recs),
        "not_completed": sum(r["finished"] is None for r in recs),
    }
    for kind in ("big", "small"):
        waits = [r["finished"] - r["submitted"] for r in done if r["kind"] == kind]
        out[kind] = {
            "n": len(waits),
            "p50_s": _r(pct(waits, 0.5)),
            "p95_s": _r(pct(waits, 0.95)),
            "max_s": _r(max(waits) if waits else None),
            "done_at_s": _r(max((r["finished"] for r in done if r["kind"] == kind), default=None)),
        }
    total_rows = sum(r["rows"] for r in recs)
    makespan = max((r["finished"] for r in done), default=None)
    out["total_rows"] = total_rows
    out["makespan_s"] = _r(makespan)
    complete = out["not_completed"] == 0
    out["rows_per_s"] = round(total_rows / makespan) if makespan and complete else None
    if not complete and makespan:  # a run that timed out: its rate over what it did
        rows_done = sum(r["rows"] for r in done)
        out["rows_per_s_partial"] = round(rows_done / makespan)
    ledger = system.get("ledger") or []
    if len(ledger) > 1:
        span = ledger[-1][0] - ledger[0][0]
        out["ledger_steady_rows_per_s"] = (
            round(sum(n for _, n in ledger[1:]) / span) if span else None
        )
        out["first_chunk_s"] = _r(ledger[0][0])
    if system.get("measured_rows_per_s"):
        out["measured_rows_per_s"] = system["measured_rows_per_s"]
    out["cpu"] = cpu_costs(system, sum(r["rows"] for r in done))
    return out


# the bench's own process is not part of any system's cost
NOT_THE_SYSTEM = ("bench-driver",)


def cpu_costs(system: dict[str, Any], rows_done: int) -> dict[str, Any]:
    """CPU µs per row of each process and of the whole system, and the whole system's CPU
    per chunk and per job (averages: all its CPU over its chunks or jobs)."""
    procs = system.get("resources", {}).get("processes", {})
    if not procs or not rows_done:
        return {}
    per_row = {
        name: round(p["cpu_s"] * 1e6 / rows_done, 2)
        for name, p in procs.items()
        if name not in NOT_THE_SYSTEM
    }
    total_s = sum(p["cpu_s"] for n, p in procs.items() if n not in NOT_THE_SYSTEM)
    out: dict[str, Any] = {
        "rows": rows_done,
        "total_cpu_s": round(total_s, 1),
        "us_per_row": round(total_s * 1e6 / rows_done, 2),
        "us_per_row_by_process": per_row,
    }
    uploads = system.get("uploads") or []
    chunks = sum((u.get("chunks") or [0, 0])[1] or 0 for u in uploads)
    if chunks:
        out["chunks"] = chunks
        out["ms_per_chunk"] = round(total_s * 1e3 / chunks, 1)
    if uploads:
        out["jobs"] = len(uploads)
        out["ms_per_job"] = round(total_s * 1e3 / len(uploads), 1)
    return out


def _r(value: float | None, nd: int = 2) -> float | None:
    return None if value is None else round(value, nd)


def rate_series(system: dict[str, Any], bin_s: float = 2.0) -> tuple[list[float], list[float]]:
    """Rows per second over time: the chunk ledger where there is one, else each file's rows
    spread evenly over its [started, finished] (measured files only)."""
    events: list[tuple[float, float, int]] = []
    if system.get("ledger"):
        events = [(t, t, n) for t, n in system["ledger"]]
    else:
        for r in records(system):
            if r["finished"] is not None and not r["extrapolated"] and r["ok"]:
                events.append((r["started"] or r["finished"], r["finished"], r["rows"]))
    if not events:
        return [], []
    end = max(e[1] for e in events)
    bins = [0.0] * (int(end // bin_s) + 1)
    for a, b, n in events:
        a = max(a, 0.0)
        if b <= a:
            bins[int(b // bin_s)] += n
            continue
        t = a
        while t < b:
            edge = min((math.floor(t / bin_s) + 1) * bin_s, b)
            bins[int(t // bin_s)] += n * (edge - t) / (b - a)
            t = edge
    return [i * bin_s + bin_s / 2 for i in range(len(bins))], [v / bin_s for v in bins]


def ratios(report: dict[str, Any]) -> dict[str, Any]:
    systems = report["systems"]
    main_key = next((k for k, v in systems.items() if v.get("main")), None)
    if main_key is None:
        return {}
    main = systems[main_key]["summary"]
    out: dict[str, Any] = {"bulkflow": main_key}
    bf_rate = main.get("rows_per_s") or main.get("rows_per_s_partial")
    base = systems.get("baseline", {}).get("summary")
    raw = systems.get("raw", {}).get("summary")
    if base and bf_rate:
        base_rate = base.get("rows_per_s") or base.get("measured_rows_per_s")
        out["throughput_vs_baseline"] = round(bf_rate / base_rate, 2) if base_rate else None
        small_bf, small_base = main["small"]["p95_s"], base["small"]["p95_s"]
        out["small_p95_bulkflow_s"] = small_bf
        out["small_p95_baseline_s"] = small_base
        out["small_p95_baseline_extrapolated"] = bool(base.get("extrapolated"))
        if small_bf and small_base:
            out["small_p95_baseline_over_bulkflow"] = round(small_base / small_bf, 1)
    if raw and bf_rate and raw.get("rows_per_s"):
        out["throughput_vs_raw"] = round(bf_rate / raw["rows_per_s"], 3)
    return out


def goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    systems = report["systems"]
    main_key = next((k for k, v in systems.items() if v.get("main")), None)
    if main_key is None:
        return []
    main = systems[main_key]["summary"]
    rat = report.get("ratios", {})
    w = report["workload"]
    full = w["big_files"] >= 500 and w["rows_per_big_file"] >= 10_000
    rate = main.get("rows_per_s") or main.get("rows_per_s_partial")
    rows: list[dict[str, Any]] = [
        {
            "goal": f"all big uploads completed <= {GOALS['big_done_s']:.0f} s"
            + ("" if full else " (set for 500 x 10,000: n/a here)"),
            "measured": main["big"]["done_at_s"],
            "met": (
                None
                if not full
                else False
                if main["not_completed"]
                else _le(main["big"]["done_at_s"], GOALS["big_done_s"])
            ),
        },
        {
            "goal": f"end-to-end rows/s >= {GOALS['rows_per_s']:,}",
            "measured": rate,
            "met": rate is not None and rate >= GOALS["rows_per_s"],
        },
        {
            "goal": f"throughput >= {GOALS['vs_baseline']:.0f}x baseline",
            "measured": rat.get("throughput_vs_baseline"),
            "met": _ge(rat.get("throughput_vs_baseline"), GOALS["vs_baseline"]),
        },
        {
            "goal": f">= {GOALS['vs_raw']:.0%} of the raw ceiling",
            "measured": rat.get("throughput_vs_raw"),
            "met": _ge(rat.get("throughput_vs_raw"), GOALS["vs_raw"]),
        },
        {
            "goal": f"small uploads during the backlog: p95 <= {GOALS['small_p95_s']:.0f} s",
            "measured": main["small"]["p95_s"],
            "met": _le(main["small"]["p95_s"], GOALS["small_p95_s"]),
        },
    ]
    if report.get("quick"):
        rows.append(
            {
                "goal": f"--quick run <= {GOALS['quick_wall_s']:.0f} s end to end",
                "measured": report.get("wall_s"),
                "met": _le(report.get("wall_s"), GOALS["quick_wall_s"]),
            }
        )
    return rows


def _le(v: float | None, goal: float) -> bool | None:
    return None if v is None else v <= goal


def _ge(v: float | None, goal: float) -> bool | None:
    return None if v is None else v >= goal


def one_line(system: dict[str, Any]) -> str:
    s = summarise(system)
    rate = s.get("rows_per_s") or s.get("rows_per_s_partial") or s.get("measured_rows_per_s")
    extra = f", {s['extrapolated']} extrapolated" if s["extrapolated"] else ""
    return (
        f"{system.get('label', '?')}: {s['completed']}/{s['uploads']} uploads completed"
        f"{extra}; last at {s['makespan_s']} s; {rate or 0:,} rows/s; big p95 "
        f"{s['big']['p95_s']} s; small p95 {s['small']['p95_s']} s"
    )


# --- output -------------------------------------------------------------------------------


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


def plot(report: dict[str, Any], results: Path, stem: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = report["systems"]
    out = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, kind, title in (
        (axes[0], "big", "big uploads (low tier)"),
        (axes[1], "small", "small uploads submitted at the backlog peak (high tier)"),
    ):
        for key, system in systems.items():
            recs = [r for r in records(system) if r["kind"] == kind and r["finished"] is not None]
            waits = sorted(max(r["finished"] - r["submitted"], 1e-3) for r in recs)
            if not waits:
                continue
            ys = [(i + 1) / len(waits) for i in range(len(waits))]
            label = system.get("label", key)
            if any(r["extrapolated"] for r in recs):
                label += " (partly extrapolated)"
            ax.step(
                waits, ys, where="post", label=label, linestyle="--" if key == "baseline" else "-"
            )
        ax.set_xscale("log")
        ax.set_xlabel("submitted → completed (s, log scale)")
        ax.set_ylabel("fraction of uploads completed")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[1].axvline(GOALS["small_p95_s"], color="grey", linestyle=":", label="goal p95 3 s")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    out.append(_save(fig, results / f"{stem}-completion.png"))

    fig, ax = plt.subplots(figsize=(10, 4.5))
    for key, system in systems.items():
        xs, ys = rate_series(system)
        if xs:
            ax.plot(xs, ys, label=system.get("label", key))
    ax.axhline(GOALS["rows_per_s"], color="grey", linestyle=":", label="goal 85,000 rows/s")
    _label_time_axes(ax, "rows per second (2 s bins)", "rows per second over time")
    out.append(_save(fig, results / f"{stem}-throughput.png"))

    main = next((v for v in systems.values() if v.get("main")), None)
    if main and main.get("cpu_series"):
        fig, ax = plt.subplots(figsize=(10, 4.5))
        for name, series in main["cpu_series"].items():
            if series and max(p for _, p, _ in series) > 5:
                style = ":" if name.startswith("machine") else "-"
                ax.plot([t for t, _, _ in series], [p for _, p, _ in series], style, label=name)
        _label_time_axes(ax, "CPU % (100 = one core)", f"CPU per process: {main.get('label')}")
        out.append(_save(fig, results / f"{stem}-cpu.png"))
    return out


def _label_time_axes(ax: Any, ylabel: str, title: str) -> None:
    ax.set_xlabel("seconds after the first upload")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
