"""``python -m bench fresh``: consecutive runs of the 500-user scenario, with PostgreSQL and/or
the broker started afresh before each run, to tell the state the servers carry from run to
run apart from the pipeline's own spread.

``--fresh pg,broker`` (the default) starts both before every run; ``--fresh pg`` keeps one
broker for all runs, ``--fresh broker`` one PostgreSQL, ``--fresh none`` is what
``python -m bench bulk --runs N`` does. Each run is bulkflow's main run of bench/bulk_bench.py
(the same files and pipeline, a fresh database and fresh topics). Prints, per run, the time
all big uploads were done and the CPU µs per row in all and per process, and before each run
the machine's speed for a fixed parse (bench/work_probe.py); writes nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench import bulk_figures
from bench.bulk_bench import PG_SETTINGS, ensure_postgres_binaries
from bench.bulk_output import log
from bench.bulk_pipeline import Context, run_bulkflow
from bench.bulk_servers import start_broker
from bench.bulk_workload import ensure_files, plan
from bench.work_probe import work_probe

SERVERS = ("pg", "broker")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench fresh", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument(
        "--fresh", default="pg,broker", help="servers started afresh before each run, or none"
    )
    args = parser.parse_args(argv)
    args.fresh = {s.strip() for s in args.fresh.split(",") if s.strip() and s.strip() != "none"}
    if args.fresh - set(SERVERS):
        parser.error(f"--fresh: {', '.join(sorted(args.fresh - set(SERVERS)))} (known: pg, broker)")
    return args


def main(argv: list[str] | None = None) -> int:
    from ops.devservers.postgres import start_postgres

    args = parse_args(argv)
    big, small = plan(args.users, 10_000, "xlsx", 7)
    ensure_files(big + small, echo=log)
    ensure_postgres_binaries()
    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-fresh-bench-"))
    pg: Any = None
    broker: Any = None
    per_run: list[float | None] = []
    probes: list[float | None] = []
    try:
        for n in range(args.runs):
            if pg is None or "pg" in args.fresh:
                if pg is not None:
                    pg.stop()
                pg = start_postgres(tmp / f"pg-{n}", settings=PG_SETTINGS)
            if broker is None or "broker" in args.fresh:
                if broker is not None:
                    broker.stop(echo=log)
                broker = start_broker(tmp / f"kafka-{n}")
            # the servers are up and idle: the machine's speed for a fixed parse, just before
            probes.append(work_probe([spec.path for spec in big]))
            ctx = Context(tmp, pg, broker.bootstrap, broker.status().pid, broker.data_dir)
            result = run_bulkflow(ctx, big, small, workers=2, producers=1, timeout_s=900.0)
            summary = bulk_figures.summarise(result)
            cpu = summary.get("cpu") or {}
            per_run.append(cpu.get("us_per_row"))
            figures = {
                "run": n + 1,
                "work_probe_us_per_row": probes[-1],
                "big_done_s": (summary.get("big") or {}).get("done_at_s"),
                "us_per_row": cpu.get("us_per_row"),
                "by_process": cpu.get("us_per_row_by_process"),
            }
            print(json.dumps(figures), flush=True)
    finally:
        if broker is not None:
            broker.stop(echo=log)
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    fresh = ", ".join(sorted(args.fresh)) or "none"
    print(f"fresh before each run: {fresh}; CPU µs per row by run: {per_run}")
    print(f"the fixed parse before each run, CPU µs per row: {probes}")
    return 0
