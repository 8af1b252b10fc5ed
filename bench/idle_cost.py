"""``python -m bench.idle_cost``: the fixed CPU costs of the pipeline, per process.

1. Idle: the pipeline of ``bulkflow serve`` (api, producer, workers, aggregator) and a local
   broker, warmed up and gone quiet, sampled for ``--idle`` seconds with nothing to do:
   CPU % of one core per process.
2. Per job: ``--jobs`` small uploads (200-row XLSX, the quick bench's small files), one after
   the other, each waited on until final: CPU ms per upload and process, the idle share of
   the phase taken off.

Run from the repo root with the worktree first on the path, e.g.
``PYTHONPATH=$PWD .venv/bin/python -m bench.idle_cost --idle 30 --jobs 20``.
Everything started is stopped in ``finally``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bulk_output import log
from bench.bulk_pids import child_pids, postgres_pids, tree, wait_until_idle
from bench.bulk_pipeline import pipeline_supervisor
from bench.bulk_uploads import API_KEY
from bench.bulk_workload import ensure_files, plan

TENANT = "bench"
SPY_ARGS = ["--rate", "200", "--gil", "--format", "raw", "--nonblocking", "--output"]


def cpu_of(groups: dict[str, Any]) -> dict[str, float]:
    """CPU seconds so far of every live process of each group."""
    import psutil

    out: dict[str, float] = {}
    for name, resolve in groups.items():
        total = 0.0
        for pid in resolve():
            try:
                t = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system
        out[name] = total
    return out


def thread_cpu(pids: list[int]) -> dict[str, float]:
    """CPU seconds so far per thread name (digits dropped: a pool counts as one), from /proc."""
    import re

    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            name = re.sub(r"[\d#-]+", "", stat[stat.index("(") + 1 : stat.rindex(")")]).strip()
            fields = stat[stat.rindex(")") + 2 :].split()
            out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return out


def top_threads(before: dict[str, float], after: dict[str, float], span: float) -> dict[str, float]:
    """The busiest thread names of a phase, CPU % of one core."""
    used = {n: 100 * (s - before.get(n, 0.0)) / span for n, s in after.items()}
    return {n: round(p, 2) for n, p in sorted(used.items(), key=lambda x: -x[1])[:8] if p > 0}


def profile_jobs(supervisor: Any, out_dir: str) -> list[subprocess.Popen[bytes]]:
    """py-spy (GIL holders only: CPU in Python) on every supervised child until stopped."""
    from bench.bulk_profiles import py_spy

    spy = py_spy()
    if spy is None:
        log("--profile: py-spy is not installed; no profiles")
        return []
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [spy, "record", "--pid", str(child.proc.pid), *SPY_ARGS, f"{out_dir}/{name}.txt"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, child in supervisor.children.items()
        if child.proc is not None
    ]


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ops.client import ApiClient
    from ops.devservers.broker import LocalBroker, free_port
    from ops.devservers.postgres import create_database, start_postgres
    from ops.devservers.sample_data import write_orders_csv
    from schemas.settings import load_settings

    _big, small = plan(1, 10, "xlsx", 7)
    ensure_files(small, echo=log)
    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-idle-"))
    pg = broker = supervisor = None
    result: dict[str, Any] = {"idle_s": args.idle, "jobs": args.jobs}
    try:
        pg = start_postgres(tmp / "pg")
        broker = LocalBroker(
            load_settings(
                home=tmp / "kafka-home", broker_port=free_port(), controller_port=free_port()
            )
        )
        broker.start(echo=lambda m: log(f"  {m}"))
        broker_pid = broker.status().pid
        base = pg.url.rsplit("/", 1)[0]
        create_database(f"{base}/postgres", "idle")
        _settings, supervisor, port = pipeline_supervisor(
            f"{base}/idle", "idle", tmp / "home", broker.bootstrap, args.workers, 1
        )
        groups: dict[str, Any] = {n: child_pids(c) for n, c in supervisor.children.items()}
        groups["kafka-broker"] = lambda: tree(broker_pid)
        groups["postgres"] = postgres_pids(pg)
        supervisor.start()
        client = ApiClient(f"http://127.0.0.1:{port}", API_KEY)
        try:
            client.wait_ready(120)
            warm = write_orders_csv(tmp / "warm-up.csv", 20, start_id=2_000_000_000)
            client.wait_final(client.upload(warm, "orders")["job_id"], timeout_s=120)
            waited = wait_until_idle(list(groups.values()))
            log(f"pipeline idle after {waited} s; sampling {args.idle} s of idle ...")
            threads = {n: groups[n] for n in args.threads.split(",") if n in groups}
            t0, c0 = time.monotonic(), cpu_of(groups)
            th0 = {n: thread_cpu(r()) for n, r in threads.items()}
            time.sleep(args.idle)
            idle_span = time.monotonic() - t0
            idle = delta(c0, cpu_of(groups))
            result["idle_threads_pct"] = {
                n: top_threads(th0[n], thread_cpu(r()), idle_span) for n, r in threads.items()
            }
            result["idle_pct"] = {n: round(100 * s / idle_span, 2) for n, s in idle.items()}
            log(f"{args.jobs} small uploads, one at a time ...")
            t0, c0 = time.monotonic(), cpu_of(groups)
            th0 = {n: thread_cpu(r()) for n, r in threads.items()}
            spies = profile_jobs(supervisor, args.profile) if args.profile else []
            for spec in (small * (1 + args.jobs // len(small)))[: args.jobs]:
                accepted = client.upload(spec.path, "orders")
                client.wait_final(accepted["job_id"], timeout_s=60)
            span = time.monotonic() - t0
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
                spy.wait(30)
            used = delta(c0, cpu_of(groups))
            result["jobs_threads_pct"] = {
                n: top_threads(th0[n], thread_cpu(r()), span) for n, r in threads.items()
            }
            result["jobs_span_s"] = round(span, 2)
            result["ms_per_job"] = {
                n: round(1000 * (s - idle[n] * span / idle_span) / args.jobs, 2)
                for n, s in used.items()
            }
            result["ms_per_job_gross"] = {
                n: round(1000 * s / args.jobs, 2) for n, s in used.items()
            }
        finally:
            client.close()
    finally:
        if supervisor is not None:
            supervisor.stop()
        if broker is not None:
            broker.stop(echo=lambda m: log(f"  {m}"))
        if pg is not None:
            pg.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle_cost", description=__doc__)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle sampled")
    parser.add_argument("--jobs", type=int, default=20, help="small uploads, one at a time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", default="kafka-broker", help="processes to break down by thread name"
    )
    parser.add_argument("--profile", default="", metavar="DIR", help="py-spy the uploads here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    args = parser.parse_args(argv)
    result = run(args)
    idle, per_job = result.get("idle_pct", {}), result.get("ms_per_job", {})
    print(f"{'process':14} {'idle CPU %':>10} {'ms/job (net)':>13} {'ms/job (gross)':>15}")
    for name in idle:
        gross = result.get("ms_per_job_gross", {}).get(name, 0.0)
        print(f"{name:14} {idle[name]:10.2f} {per_job.get(name, 0.0):13.2f} {gross:15.2f}")
    print(f"{'total':14} {sum(idle.values()):10.2f} {sum(per_job.values()):13.2f}")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
