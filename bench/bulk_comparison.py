"""A comparison system (baseline or raw ceiling) on its own database, sampled like bulkflow."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from bench import bulk_systems
from bench.bulk_pipeline import count_or_none
from bench.bulk_sampler import ProcSampler, one_pid, postgres_pids


def run_other_system(name: str, pg: Any, body: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Run a comparison system on its own database with the process sampler around it."""
    from ops.devservers.postgres import create_database

    db = f"{name}_{uuid.uuid4().hex[:6]}"
    base = pg.url.rsplit("/", 1)[0]
    create_database(f"{base}/postgres", db)
    url = f"{base}/{db}"
    sampler = ProcSampler()
    sampler.add("postgres", postgres_pids(pg))
    sampler.add("bench-driver", lambda: [os.getpid()])

    def on_start(pids: list[int]) -> None:
        for i, pid in enumerate(pids):
            sampler.add(f"{name}-{i + 1}", one_pid(pid))
        sampler.start()

    try:
        result = body(url, on_start, sampler.sample)
    finally:
        samples = sampler.stop() if sampler.started else {"processes": {}}
    result["resources"] = samples
    result["cpu_series"] = sampler.compact_series(result.get("t0", sampler.started))
    table = bulk_systems.BASELINE_TABLE if name == "baseline" else bulk_systems.RAW_TABLE
    result["db_rows"] = count_or_none(url, table)
    result["label"] = (
        "baseline (4 procs, pandas + to_sql)"
        if name == "baseline"
        else "raw ceiling (fastexcel/pyarrow + COPY)"
    )
    return result
