"""The spread of ``bulkflow bench --runs N`` and the goals judged on the worst run, no I/O.

Each run is the main bulkflow configuration beside the two raw ceilings (bare, and keyed:
the dataset's unique key index), each system already summarised (bench/bulk_figures.py).
The figures of a run, their min / median / max over the runs, and the goals: a goal on a
time or a cost is judged on the run where it is largest, a goal on a rate or a ratio on the
run where it is smallest.
"""

from __future__ import annotations

import statistics
from typing import Any

# the goals of the 500-user scenario on 2 cores (issue 28: worst of consecutive runs)
GOALS = {
    "big_done_s": 30.0,  # all big uploads completed within (the full run: 500 x 10,000 XLSX)
    "small_p95_s": 1.5,
    "us_per_row": 9.0,  # CPU of every process of the pipeline per row (the full run)
    "rows_per_s": 85_000,
    "vs_baseline": 4.0,
    "vs_raw": 0.50,  # in the worst run
    "vs_raw_median": 0.60,
    "quick_wall_s": 180.0,  # per run
}

# metric -> (label, True when larger is better, decimals in the table)
METRICS: dict[str, tuple[str, bool, int]] = {
    "big_done_s": ("all big uploads done (s)", False, 2),
    "small_p95_s": ("small uploads p95 (s)", False, 2),
    "rows_per_s": ("rows/s end to end", True, 0),
    "us_per_row": ("CPU µs per row, bulkflow", False, 2),
    "vs_raw": ("bulkflow / raw ceiling", True, 3),
    "vs_raw_keyed": ("bulkflow / keyed raw ceiling", True, 3),
    "raw_us_per_row": ("CPU µs per row, raw ceiling", False, 2),
    "raw_keyed_us_per_row": ("CPU µs per row, keyed ceiling", False, 2),
    "system_us_per_row": ("system CPU µs per row, bulkflow (in the CPU above)", False, 2),
    "system_pct": ("machine: system share of all CPU (%)", False, 1),
    "other_cpu_s": ("other processes' CPU s (not ours)", False, 1),
    "involuntary_per_krow": ("our involuntary switches per 1,000 rows", False, 1),
    "waited_per_cpu_s": ("our s waiting for a CPU per CPU s", False, 2),
    "load_at_start": ("load average at the start", False, 2),
    "probe_ns": ("CPU probe: ns per pass of a fixed loop", False, 1),
    "copy_us_per_mib": ("copy probe: CPU µs per MiB through memory", False, 0),
    "page_us_per_mib": ("page probe: CPU µs per MiB into a new file", False, 0),
}


def _rate(summary: dict[str, Any] | None) -> float | None:
    if not summary:
        return None
    return summary.get("rows_per_s") or summary.get("rows_per_s_partial")


def _us(summary: dict[str, Any] | None) -> float | None:
    return ((summary or {}).get("cpu") or {}).get("us_per_row")


def run_figures(run: dict[str, Any]) -> dict[str, Any]:
    """The figures of one run: {"bulkflow": system, "raw": system?, "raw_keyed": system?},
    every system with its "summary"."""
    bf = run["bulkflow"]["summary"]
    raw = (run.get("raw") or {}).get("summary")
    keyed = (run.get("raw_keyed") or {}).get("summary")
    rate, raw_rate, keyed_rate = _rate(bf), _rate(raw), _rate(keyed)
    resources = run["bulkflow"].get("resources") or {}
    machine = resources.get("machine") or {}
    load = (machine.get("load_start") or {}).get("load1")
    return {
        "big_done_s": bf["big"]["done_at_s"],
        "small_p95_s": bf["small"]["p95_s"],
        "rows_per_s": rate,
        "us_per_row": _us(bf),
        "vs_raw": round(rate / raw_rate, 3) if rate and raw_rate else None,
        "vs_raw_keyed": round(rate / keyed_rate, 3) if rate and keyed_rate else None,
        "raw_us_per_row": _us(raw),
        "raw_keyed_us_per_row": _us(keyed),
        "system_us_per_row": system_per_row(resources, (bf.get("cpu") or {}).get("rows")),
        "system_pct": (machine.get("cpu") or {}).get("system_pct"),
        "other_cpu_s": resources.get("other_processes_cpu_s"),
        **contention(resources, (bf.get("cpu") or {}).get("rows")),
        "load_at_start": load,
        "probe_ns": (machine.get("cpu_probe") or {}).get("median_ns"),
        "copy_us_per_mib": (machine.get("copy_probe") or {}).get("median_us_per_mib"),
        "page_us_per_mib": (machine.get("page_probe") or {}).get("median_us_per_mib"),
        "not_completed": bf["not_completed"],
        "us_per_row_by_process": (bf.get("cpu") or {}).get("us_per_row_by_process", {}),
    }


def system_per_row(resources: dict[str, Any], rows: int | None) -> float | None:
    """The pipeline's system CPU (the kernel's work for it: page faults, file and socket
    writes) in µs per row: where runs on a machine whose new pages cost more differ."""
    procs = [p for n, p in (resources.get("processes") or {}).items() if n not in NOT_OURS]
    known = [p["system_cpu_s"] for p in procs if p.get("system_cpu_s") is not None]
    return round(sum(known) * 1e6 / rows, 2) if rows and known else None


def contention(resources: dict[str, Any], rows: int | None) -> dict[str, float | None]:
    """How much the pipeline's processes were preempted and kept waiting: involuntary
    context switches per 1,000 rows, seconds runnable without a CPU per CPU second. A
    contended run shows both higher, and its CPU per row with them (caches refilled after
    every preemption)."""
    procs = {n: p for n, p in (resources.get("processes") or {}).items() if n not in NOT_OURS}
    scheds = [p.get("sched") or {} for p in procs.values()]
    cpu = sum(p.get("cpu_s") or 0.0 for p in procs.values())
    involuntary = sum(s.get("involuntary", 0) for s in scheds)
    waited = sum(s.get("run_delay_s", 0.0) for s in scheds)
    return {
        "involuntary_per_krow": round(involuntary * 1000 / rows, 1) if rows and scheds else None,
        "waited_per_cpu_s": round(waited / cpu, 2) if cpu and scheds else None,
    }


# the bench's own process: not part of the pipeline
NOT_OURS = ("bench-driver",)


def spread(figures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """min / median / max and the worst value of each metric over the runs (runs without
    the figure left out), with every run's value in order."""
    out: dict[str, dict[str, Any]] = {}
    for metric, (_label, larger_better, _nd) in METRICS.items():
        values = [f.get(metric) for f in figures]
        known = [v for v in values if v is not None]
        if not known:
            continue
        out[metric] = {
            "min": min(known),
            "median": round(statistics.median(known), 3),
            "max": max(known),
            "worst": min(known) if larger_better else max(known),
            "runs": values,
        }
    processes = sorted({p for f in figures for p in f.get("us_per_row_by_process", {})})
    for name in processes:
        values = [f.get("us_per_row_by_process", {}).get(name) for f in figures]
        known = [v for v in values if v is not None]
        out[f"us_per_row:{name}"] = {
            "min": min(known),
            "median": round(statistics.median(known), 3),
            "max": max(known),
            "worst": max(known),
            "runs": values,
        }
    return out


def goals(
    spread_: dict[str, dict[str, Any]],
    *,
    full: bool,
    runs: int,
    baseline_ratio: float | None,
    quick_wall_s: float | None,
    not_completed: int,
) -> list[dict[str, Any]]:
    """Every goal with the value it is judged on (the worst run's) and PASS/MISS/None.
    Goals set for the full scenario (500 x 10,000 XLSX) are n/a on a smaller one."""
    worst = {m: s["worst"] for m, s in spread_.items()}
    n_a = "" if full else " (set for 500 x 10,000: n/a here)"
    of = f" (worst of {runs} runs)" if runs > 1 else ""
    rows = [
        {
            "goal": f"all big uploads completed <= {GOALS['big_done_s']:.0f} s{of}{n_a}",
            "measured": worst.get("big_done_s"),
            "met": (
                None
                if not full
                else False
                if not_completed
                else _le(worst.get("big_done_s"), GOALS["big_done_s"])
            ),
        },
        {
            "goal": f"small uploads during the backlog: p95 <= {GOALS['small_p95_s']} s{of}",
            "measured": worst.get("small_p95_s"),
            "met": _le(worst.get("small_p95_s"), GOALS["small_p95_s"]),
        },
        {
            "goal": f"CPU <= {GOALS['us_per_row']:.0f} µs per row{of}{n_a}",
            "measured": worst.get("us_per_row"),
            "met": _le(worst.get("us_per_row"), GOALS["us_per_row"]) if full else None,
        },
        {
            "goal": f"end-to-end rows/s >= {GOALS['rows_per_s']:,}{of}",
            "measured": worst.get("rows_per_s"),
            "met": _ge(worst.get("rows_per_s"), GOALS["rows_per_s"]),
        },
        {
            "goal": f"throughput >= {GOALS['vs_baseline']:.0f}x baseline",
            "measured": baseline_ratio,
            "met": _ge(baseline_ratio, GOALS["vs_baseline"]),
        },
        {
            "goal": f"bulkflow / raw ceiling >= {GOALS['vs_raw']}{of}",
            "measured": worst.get("vs_raw"),
            "met": _ge(worst.get("vs_raw"), GOALS["vs_raw"]),
        },
        {
            "goal": f"bulkflow / raw ceiling, median >= {GOALS['vs_raw_median']}",
            "measured": (spread_.get("vs_raw") or {}).get("median"),
            "met": _ge((spread_.get("vs_raw") or {}).get("median"), GOALS["vs_raw_median"]),
        },
    ]
    if quick_wall_s is not None:
        rows.append(
            {
                "goal": f"--quick run <= {GOALS['quick_wall_s']:.0f} s end to end, per run",
                "measured": round(quick_wall_s / max(runs, 1), 1),
                "met": _le(quick_wall_s / max(runs, 1), GOALS["quick_wall_s"]),
            }
        )
    return rows


def _le(v: float | None, goal: float) -> bool | None:
    return None if v is None else v <= goal


def _ge(v: float | None, goal: float) -> bool | None:
    return None if v is None else v >= goal


def _cell(v: Any, nd: int) -> str:
    return "-" if v is None else f"{v:,.{nd}f}"


def table(spread_: dict[str, dict[str, Any]]) -> list[str]:
    """The spread as Markdown table rows (the terminal prints the same lines)."""
    if not spread_:
        return []
    runs = len(next(iter(spread_.values()))["runs"])
    head = " | ".join(f"run {i + 1}" for i in range(runs))
    lines = [
        f"| figure | min | median | max | {head} |",
        "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in range(runs)) + " |",
    ]
    for metric, s in spread_.items():
        label, _, nd = METRICS.get(metric, (f"µs per row, {metric.split(':')[-1]}", False, 2))
        cells = " | ".join(_cell(v, nd) for v in s["runs"])
        lines.append(
            f"| {label} | {_cell(s['min'], nd)} | {_cell(s['median'], nd)} "
            f"| {_cell(s['max'], nd)} | {cells} |"
        )
    return lines
