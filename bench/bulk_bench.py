"""``python -m bench bulk``: bulkflow end to end, the seed's baseline and the raw ceiling.

Run from the repo root: ``.venv/bin/python -m bench bulk [--quick]`` (``make bench``,
``make bench-quick``), e.g. ``--users 500 --rows 10000 --format xlsx``.

1. Workload (bench/bulk_workload.py): N ``orders`` files (~1% invalid rows) plus 50 small
   files of 200 rows, cached under ``bench/.work/bulk/``.
2. One PostgreSQL server (Debian's binaries, installed by deploy/ensure-postgres.sh when
   missing), a fresh database per system. A local Kafka broker on free ports in a temp home
   (or ``BULKFLOW_KAFKA_BOOTSTRAP``).
3. bulkflow: the pipeline of ``bulkflow serve`` (api, producer, worker(s), aggregator) as
   supervised processes; a warm-up upload; then every big file is uploaded at once through
   the HTTP API, and the small files the moment the last big one is accepted (the backlog's
   peak). Per upload: client submit -> the server's ``finished_at``. Rows per second over
   time from the chunk ledger. CPU and peak RSS of every process, sampled every 0.5 s.
   Repeated with 1 and 2 worker processes (scale-out).
4. Baseline and raw ceiling (bench/bulk_systems.py), same files, same server.
5. bench/results/bulk_bench[-quick].json, .md and PNG plots, replacing the previous run's
   (bench/bulk_report.py); ratios last.

Every wait has a timeout and everything started is stopped in ``finally``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import bulk_baseline, bulk_figures, bulk_report
from bench.bulk_comparison import run_ceilings, run_other_system
from bench.bulk_output import RESULTS, ROOT, log
from bench.bulk_pipeline import Context, run_bulkflow
from bench.bulk_servers import start_broker
from bench.bulk_workload import ensure_files, plan

BASELINE_WORKERS = 4
# The server's WAL for one 500-user run is 1.2 GB: past the default max_wal_size (1 GB) it
# asks for two checkpoints inside the burst. A larger one keeps them out (docs/postgres.md).
PG_SETTINGS = {"max_wal_size": "4GB", "checkpoint_timeout": "30min"}


# --- orchestration ------------------------------------------------------------------------


def ensure_postgres_binaries() -> None:
    from ops.devservers.postgres import ENV_URL, PostgresUnavailable, find_bindir

    if os.environ.get(ENV_URL):
        return
    try:
        find_bindir()
    except PostgresUnavailable:
        log("PostgreSQL binaries missing: running deploy/ensure-postgres.sh ...")
        subprocess.run(
            ["bash", str(ROOT / "deploy" / "ensure-postgres.sh")], check=True, timeout=1200
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench bulk", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--users",
        type=int,
        default=None,
        help="big files uploaded at once (default 500; --quick: 50)",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="rows per big file")
    parser.add_argument("--format", choices=["csv", "xlsx", "mixed"], default="xlsx")
    parser.add_argument("--quick", action="store_true", help="50 users, shorter caps")
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes of the main bulkflow run"
    )
    parser.add_argument(
        "--scale",
        default="1,2",
        help="worker counts of the scale-out runs (the main run's is reused)",
    )
    parser.add_argument("--producers", type=int, default=1)
    parser.add_argument(
        "--separate-spools",
        action="store_true",
        help="every process on a spool of its own, as on machines of their own: the "
        "producers fetch each upload from Kafka",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--baseline-cap",
        type=float,
        default=None,
        help="seconds the baseline may run before it is extrapolated",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds one bulkflow run may take"
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=120.0,
        help="give up on a bulkflow run after this long without progress",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="consecutive runs of the main configuration, each with a fresh database and "
        "fresh topics and followed by both raw ceilings; the report gives min / median / max "
        "and judges the goals on the worst run",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="py-spy record the main run's processes for SECONDS",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if args.users is None:
        args.users = 50 if args.quick else 500
    if args.baseline_cap is None:
        args.baseline_cap = 60.0 if args.quick else 240.0
    if args.timeout is None:
        args.timeout = 300.0 if args.quick else 900.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminate(signum: int, _frame: Any) -> None:
        # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so every `finally` stops what it started
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        return run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    started = time.time()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    cpus = os.cpu_count() or 1
    log(
        f"bulkflow bench: {args.users} x {args.rows:,} rows ({args.format}) + 50 x 200 rows; "
        f"{cpus} CPUs; load average {os.getloadavg()[0]:.2f}"
    )
    big, small = plan(args.users, args.rows, args.format, args.seed)
    gen_s = ensure_files(big + small, echo=log)
    report: dict[str, Any] = {
        "benchmark": "bulkflow bench",
        "started_utc": stamp,
        "quick": args.quick,
        "args": vars(args),
        "cpu_count": cpus,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "load_avg_start": list(os.getloadavg()),
        "workload": {
            "big_files": len(big),
            "rows_per_big_file": args.rows,
            "small_files": len(small),
            "rows_per_small_file": small[0].rows,
            "format": args.format,
            "seed": args.seed,
            "invalid_every": 100,
            "total_rows": sum(s.rows for s in big + small),
            "bytes": sum(s.path.stat().st_size for s in big + small),
            "generated_s": round(gen_s, 1),
        },
        "systems": {},
        "runs": [],
    }
    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-bench-"))
    pg = broker = None
    rc = 0
    try:
        ensure_postgres_binaries()
        from ops.devservers.postgres import start_postgres

        pg = start_postgres(tmp / "pg", settings=PG_SETTINGS)
        log(
            f"PostgreSQL at {pg.url.split('@')[-1]} (fsync=off, "
            + ", ".join(f"{k}={v}" for k, v in PG_SETTINGS.items())
            + "; one database per system)"
        )
        bootstrap = os.environ.get("BULKFLOW_KAFKA_BOOTSTRAP", "")
        broker_pid = None
        if not bootstrap:
            broker = start_broker(tmp / "kafka-home")
            bootstrap = broker.bootstrap
            broker_pid = broker.status().pid
        ctx = Context(tmp, pg, bootstrap, broker_pid, broker.data_dir if broker else None)
        counts = [args.workers] * args.runs
        if not args.skip_scale:
            counts += [int(w) for w in args.scale.split(",") if int(w) != args.workers]
        for n, workers in enumerate(counts):
            key = f"bulkflow_w{workers}"
            which = f" (run {n + 1} of {args.runs})" if n < args.runs and args.runs > 1 else ""
            log(
                f"bulkflow with {workers} worker process(es), {args.producers} producer(s)"
                f"{which} ..."
            )
            res = run_bulkflow(
                ctx,
                big,
                small,
                workers=workers,
                producers=args.producers,
                timeout_s=args.timeout,
                profile_s=args.profile if n == 0 else 0,
                stall_s=args.stall,
                separate_spools=args.separate_spools,
            )
            res["main"] = n == 0
            if n < args.runs:
                report["runs"].append({"bulkflow": res})
            if n == 0 or n >= args.runs:
                report["systems"][key] = res
            log(f"  {bulk_figures.one_line(res)}")
        if broker is not None:  # the comparison systems use no Kafka: free its CPU
            broker.stop(echo=lambda m: log(f"  {m}"))
            broker = None
        main_run = report["systems"][f"bulkflow_w{args.workers}"]
        small_at = float(main_run.get("peak_s") or 0.0)
        if not args.skip_baseline:
            log(
                f"baseline: {BASELINE_WORKERS} processes, whole files from a FIFO queue, "
                f"pandas + to_sql; small files at +{small_at:.1f} s; cap {args.baseline_cap:.0f} s"
            )
            report["systems"]["baseline"] = run_other_system(
                "baseline",
                pg,
                lambda url, on_start, on_done: bulk_baseline.run_baseline(
                    url,
                    big,
                    small,
                    workers=BASELINE_WORKERS,
                    small_at_s=small_at,
                    cap_s=args.baseline_cap,
                    on_start=on_start,
                    on_done=on_done,
                    echo=log,
                ),
            )
            log(f"  {bulk_figures.one_line(report['systems']['baseline'])}")
        if not args.skip_raw:
            run_ceilings(report, pg, big + small, processes=cpus, timeout_s=args.timeout)
    except Exception as exc:
        import traceback

        log(f"bench failed: {type(exc).__name__}: {exc}")
        report["error"] = traceback.format_exc()
        rc = 1
    finally:
        if broker is not None:
            with contextlib.suppress(Exception):
                broker.stop(echo=lambda m: log(f"  {m}"))
        if pg is not None:
            with contextlib.suppress(Exception):
                pg.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report["load_avg_end"] = list(os.getloadavg())
    report["wall_s"] = round(time.time() - started, 1)
    written = bulk_report.write(report, RESULTS)
    for path in written:
        log(f"wrote {path.relative_to(ROOT)}")
    bulk_report.print_ratios(report)
    return rc


if __name__ == "__main__":
    sys.exit(main())
