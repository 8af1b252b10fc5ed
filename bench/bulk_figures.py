"""The figures of a ``bulkflow bench`` report: per-system summaries, CPU costs, rates and
ratios (bench/bulk_bench.py), no I/O; the spread over runs and the goals are in
bench/bulk_spread.py.
"""

from __future__ import annotations

import math
from typing import Any


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
        "total_cpu_s": round(total_s, 2),
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
    keyed = systems.get("raw_keyed", {}).get("summary")
    if keyed and bf_rate and keyed.get("rows_per_s"):
        out["throughput_vs_raw_keyed"] = round(bf_rate / keyed["rows_per_s"], 3)
    return out


def one_line(system: dict[str, Any]) -> str:
    s = summarise(system)
    rate = s.get("rows_per_s") or s.get("rows_per_s_partial") or s.get("measured_rows_per_s")
    extra = f", {s['extrapolated']} extrapolated" if s["extrapolated"] else ""
    return (
        f"{system.get('label', '?')}: {s['completed']}/{s['uploads']} uploads completed"
        f"{extra}; last at {s['makespan_s']} s; {rate or 0:,} rows/s; big p95 "
        f"{s['big']['p95_s']} s; small p95 {s['small']['p95_s']} s"
    )
