"""A comparison system (baseline or raw ceiling) on its own database, sampled like bulkflow;
the two raw ceilings after each bulkflow run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from bench import bulk_figures, bulk_systems
from bench.bulk_counters import clean_start, instruments_now, instruments_since
from bench.bulk_output import log
from bench.bulk_pids import one_pid, postgres_part, postgres_pids
from bench.bulk_pipeline import count_or_none
from bench.bulk_sampler import ProcSampler


def run_other_system(name: str, pg: Any, body: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Run a comparison system on its own database with the process sampler around it."""
    from ops.devservers.postgres import create_database

    db = f"{name}_{uuid.uuid4().hex[:6]}"
    base = pg.url.rsplit("/", 1)[0]
    create_database(f"{base}/postgres", db)
    url = f"{base}/{db}"
    sampler = ProcSampler()
    sampler.add("postgres", postgres_pids(pg), postgres_part)
    sampler.add("bench-driver", lambda: [os.getpid()])

    def on_start(pids: list[int]) -> None:
        for i, pid in enumerate(pids):
            sampler.add(f"{name}-{i + 1}", one_pid(pid))
        sampler.start()

    cleaned = clean_start(url)
    before = instruments_now(None, url, None)
    try:
        result = body(url, on_start, sampler.sample)
    finally:
        samples = sampler.stop() if sampler.started else {"processes": {}}
    result["instruments"] = instruments_since(before, instruments_now(None, url, None))
    result["resources"] = samples
    result["clean_start"] = cleaned
    result["cpu_series"] = sampler.compact_series(result.get("t0", sampler.started))
    table, label = LABELS[name]
    result["db_rows"] = count_or_none(url, table)
    result["label"] = label
    return result


# system -> (its table, its label in the report)
LABELS = {
    "baseline": (bulk_systems.BASELINE_TABLE, "baseline (4 procs, pandas + to_sql)"),
    "raw": (bulk_systems.RAW_TABLE, "raw ceiling (fastexcel/pyarrow + COPY)"),
    "raw_keyed": (
        bulk_systems.RAW_KEYED_TABLE,
        "keyed raw ceiling (the same + the unique key index)",
    ),
}


def run_ceilings(
    report: dict[str, Any], pg: Any, specs: list[Any], *, processes: int, timeout_s: float
) -> None:
    """The raw ceiling and the keyed raw ceiling once per bulkflow run of the report, into
    that run's entry (and run 1's into the report's systems)."""
    for i, this_run in enumerate(report["runs"]):
        for name, keyed in (("raw", False), ("raw_keyed", True)):
            log(
                f"{'keyed ' if keyed else ''}raw ceiling (for run {i + 1}): {processes} "
                "processes, fastexcel / pyarrow CSV + COPY, no Kafka"
                + (", into a table with the unique key index" if keyed else "")
            )
            this_run[name] = run_other_system(
                name,
                pg,
                lambda url, on_start, on_done, keyed=keyed: bulk_systems.run_raw(
                    url,
                    specs,
                    processes=processes,
                    timeout_s=timeout_s,
                    on_start=on_start,
                    on_done=on_done,
                    echo=log,
                    keyed=keyed,
                ),
            )
            if i == 0:
                report["systems"][name] = this_run[name]
            log(f"  {bulk_figures.one_line(this_run[name])}")
