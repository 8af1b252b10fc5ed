"""The CPU probe: a fixed loop's CPU ns per pass, and its summary over a window."""

from __future__ import annotations

from bench.bulk_cpu_probe import probe_ns, summarise
from bench.bulk_instruments import machine_line
from bench.bulk_spread import run_figures


def test_a_probe_times_the_loop_in_nanoseconds_per_pass() -> None:
    ns = probe_ns()
    # a pass is a few Python bytecodes: nanoseconds, never microseconds or zero
    assert 1 < ns < 2_000


def test_the_summary_gives_the_median_and_the_tails() -> None:
    summary = summarise([40.0, 41.0, 42.0, 43.0, 90.0])
    assert summary == {"median_ns": 42.0, "p10_ns": 40.0, "p90_ns": 43.0, "samples": 5}
    assert summarise([]) is None


def _resources(probe: dict[str, float | int] | None) -> dict[str, object]:
    cpu = {f"{k}_pct": 0.0 for k in ("user", "system", "irq", "steal", "iowait", "idle")}
    load = {"load1": 1.0, "load5": 1.0, "load15": 1.0, "runnable": 1, "tasks": 9}
    machine = {"cores": 2, "cpu": {**cpu, "context_switches": 100}, "load_start": load}
    return {"span_s": 10.0, "machine": {**machine, "load_end": load, "cpu_probe": probe}}


def test_the_machine_line_and_the_spread_carry_the_probe() -> None:
    resources = _resources({"median_ns": 41.5, "p10_ns": 40.1, "p90_ns": 47.9, "samples": 30})
    line = machine_line(resources)
    assert line is not None and "fixed loop 41.5 ns per pass (p10 40.1, p90 47.9)" in line
    summary = {
        "big": {"done_at_s": 20.0},
        "small": {"p95_s": 0.5},
        "rows_per_s": 100.0,
        "not_completed": 0,
    }
    run = {"bulkflow": {"summary": summary, "resources": resources}}
    assert run_figures(run)["probe_ns"] == 41.5
    assert "fixed loop" not in (machine_line(_resources(None)) or "")
