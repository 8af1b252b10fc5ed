"""A measured window's resources carrying the sampler's probes, as the report reads them."""

from __future__ import annotations

from typing import Any

from bench.bulk_spread import run_figures


def window(**probes: dict[str, float | int] | None) -> dict[str, Any]:
    """The resources of a 10 s window on 2 cores whose machine carries ``probes`` (for
    example ``cpu_probe=...``)."""
    cpu = {f"{k}_pct": 0.0 for k in ("user", "system", "irq", "steal", "iowait", "idle")}
    load = {"load1": 1.0, "load5": 1.0, "load15": 1.0, "runnable": 1, "tasks": 9}
    machine = {"cores": 2, "cpu": {**cpu, "context_switches": 100}, "load_start": load}
    return {"span_s": 10.0, "machine": {**machine, "load_end": load, **probes}}


def figures_of(resources: dict[str, Any]) -> dict[str, Any]:
    """The spread's figures of a run measured in ``resources``."""
    summary = {
        "big": {"done_at_s": 20.0},
        "small": {"p95_s": 0.5},
        "rows_per_s": 100.0,
        "not_completed": 0,
    }
    return run_figures({"bulkflow": {"summary": summary, "resources": resources}})
