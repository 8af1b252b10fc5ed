"""``python -m bench soak --minutes 30``: ``bulkflow serve`` on PostgreSQL under a steady
mixed load, watched for what grows.

The load (bench/soak_load.py): a small upload (200 rows, 10 invalid) every
``--small-every`` seconds, a large one (``--large-rows``) every ``--large-every``, every
fifth with an Idempotency-Key; SSE clients following recent jobs and dropping them after
0.5-5 s; status and list polling. Every ``--interval`` seconds (bench/soak_sampler.py): RSS
and open descriptors per process, database connections and size, bookkeeping rows, spool
bytes, topic bytes. The verdict is taken over the last ``--window`` minutes (the rest is
warm-up): the slope of each series and the growth it makes over the window.

The run uses short retention so that the bounds are reached inside it: row errors kept
``--row-errors-days`` (0.005 d, 7.2 min), `bulkflow gc` every 60 s, idempotency keys 5 min,
the aggregator's grace 2 min, the API's recent window 1,000 finished jobs. At the end, the
SSE storm: ``--sse-storm`` event streams on a running job, ``--sse-concurrency`` at a time,
each dropped after its first event; the API's descriptors and RSS before and after.

Goal: no process grows more than 20 MB over the window; descriptors flat; spool and
bookkeeping tables bounded by their settings; after the storm the API's descriptors and
RSS back where they were. Writes bench/results/soak_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bulk_output import RESULTS, log
from bench.bulk_pids import child_pids, postgres_pids, tree
from bench.soak_load import API_KEY, TENANT, SoakLoad, sse_storm
from bench.soak_sampler import SoakSampler, folder_bytes, pg_gauges

RSS_GROWTH_GOAL_MB = 20.0
PIPELINE = ("api", "producer-1", "worker-1", "aggregator", "gc")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--window", type=float, default=20.0, help="minutes judged, at the end")
    p.add_argument("--small-every", type=float, default=0.5)
    p.add_argument("--large-every", type=float, default=60.0)
    p.add_argument("--large-rows", type=int, default=50_000)
    p.add_argument("--row-errors-days", type=float, default=0.005)
    p.add_argument("--interval", type=float, default=10.0)
    p.add_argument("--sse-storm", type=int, default=10_000)
    p.add_argument("--sse-concurrency", type=int, default=200)
    return p.parse_args()


def main() -> int:
    args = parse_args()
    from messaging.topics import create_topics
    from ops.devservers.broker import LocalBroker, free_port
    from ops.devservers.postgres import start_postgres
    from ops.devservers.sample_data import write_orders_csv
    from ops.serve import build_supervisor
    from schemas.settings import load_settings, packaged_datasets_dir

    window_s = min(args.window, args.minutes * 2 / 3) * 60
    result: dict[str, Any] = {"args": vars(args), "load_average_at_start": os.getloadavg()}
    log(f"load average at start: {os.getloadavg()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    broker = pg = supervisor = sampler = load = engine = None
    try:
        broker = LocalBroker(
            load_settings(home=tmp / "broker", broker_port=free_port(), controller_port=free_port())
        )
        broker.start(echo=log)
        pg = start_postgres(tmp / "pg")
        datasets = tmp / "datasets"
        datasets.mkdir()
        orders = (packaged_datasets_dir() / "orders.yaml").read_text()
        retention = f"retention: {{row_errors_days: {args.row_errors_days}}}\n"
        (datasets / "orders.yaml").write_text(orders + retention)
        port = free_port()
        settings = load_settings(
            topic_prefix=f"soak{random.getrandbits(24):06x}",
            home=tmp / "home",
            kafka_bootstrap=broker.bootstrap,
            database_url=pg.url,
            api_keys=f"{TENANT}:{API_KEY}",
            datasets_dir=datasets,
            gc_interval_s=60,
            finished_job_grace_s=120,
            status_recent_jobs=1_000,
            idempotency_ttl_s=300,
        )
        create_topics(settings, ["orders"])
        supervisor = build_supervisor(settings, host="127.0.0.1", port=port, log_dir=tmp / "logs")
        supervisor.start()
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(base_url)
        log(f"bulkflow serve ready: {', '.join(supervisor.children)}")

        sampler = SoakSampler(args.interval)
        for name, child in supervisor.children.items():
            sampler.process(name, child_pids(child))
        sampler.process("kafka-broker", lambda: tree(broker.status().pid))
        sampler.process("postgres", postgres_pids(pg))
        gauges, engine = pg_gauges(pg.url)
        for name, read in gauges.items():
            sampler.gauge(name, read)
        sampler.gauge("spool_mb", lambda: folder_bytes(settings.spool_path) / 2**20)
        prefix = settings.topic_prefix
        sampler.gauge("topics_mb", lambda: folder_bytes(broker.data_dir, prefix) / 2**20)

        small = write_orders_csv(tmp / "small.csv", 200, invalid_every=20)
        large = write_orders_csv(tmp / "large.csv", args.large_rows, invalid_every=1_000)
        load = SoakLoad(
            base_url, small, large, small_every_s=args.small_every, large_every_s=args.large_every
        )
        sampler.start()
        load.start()
        started = time.monotonic()
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(60)
            s = load.stats
            log(
                f"{(time.monotonic() - started) / 60:.0f} min: {s.uploads} uploads "
                f"({s.upload_errors} errors, {s.refused_full} refused: spool full), "
                f"{s.polls} polls ({s.poll_errors} errors), {s.sse_opened} streams "
                f"({s.sse_errors} errors); load {os.getloadavg()[0]:.1f}"
                + (f"; last error {s.last_error}" if s.last_error else "")
            )
        load.stop()
        sampler.stop()
        elapsed = time.monotonic() - sampler.t0
        result["load"] = {k: v for k, v in vars(load.stats).items() if k != "latencies"}
        lat = sorted(load.stats.latencies)
        if lat:
            result["load"]["upload_accept_p95_s"] = round(lat[int(0.95 * len(lat))], 3)
        result["window_minutes"] = round(window_s / 60, 1)
        result["window"] = sampler.window(elapsed - window_s)
        result["series"] = sampler.compact()
        api = supervisor.children["api"]
        result["sse_storm"] = _storm(settings, engine, api, port, args)
        result["load_average_at_end"] = os.getloadavg()
        result["verdict"] = _verdict(result, settings)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "soak_bench.json").write_text(json.dumps(result, indent=1) + "\n")
        _report(result)
        log(f"written {RESULTS / 'soak_bench.json'}")
        return 0
    finally:
        if load is not None:
            load.stop()
        if sampler is not None:
            sampler.stop()
        if supervisor is not None:
            supervisor.stop()
        if engine is not None:
            engine.dispose()
        if pg is not None:
            pg.stop()
        if broker is not None:
            broker.stop(echo=log)
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_ready(base_url: str, timeout_s: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the API at {base_url} was not ready within {timeout_s:.0f}s")


def _storm(
    settings: Any, engine: Any, api: Any, port: int, args: argparse.Namespace
) -> dict[str, Any]:
    """A job that stays queued (its status published as the API would, no upload record), so
    every stream stays open until the client drops it."""
    import psutil
    from confluent_kafka import Producer

    from database.job_statuses import record_queued
    from messaging.clients import producer_config
    from messaging.names import topic_names
    from schemas.records import UploadStatus, utcnow

    status = UploadStatus(
        job_id=f"soak-storm-{random.getrandbits(32):08x}",
        tenant=TENANT,
        dataset="orders",
        filename="never.csv",
        tier="high",
        state="queued",
        submitted_at=utcnow(),
    )
    record_queued(engine, status)
    producer = Producer(producer_config(settings))
    producer.produce(
        topic_names(settings).progress, status.model_dump_json().encode(), status.job_id.encode()
    )
    producer.flush(10)
    time.sleep(3)

    def measure() -> dict[str, float]:
        pids = child_pids(api)()
        procs = [psutil.Process(p) for p in pids]
        return {
            "fds": sum(p.num_fds() for p in procs),
            "rss_mb": round(sum(p.memory_info().rss for p in procs) / 2**20, 1),
        }

    before = measure()
    run = sse_storm("127.0.0.1", port, status.job_id, args.sse_storm, args.sse_concurrency)
    time.sleep(10)  # the server notices the last dropped streams
    after = measure()
    log(f"SSE storm: {run}; API before {before}, after {after}")
    return {**run, "before": before, "after": after}


def _verdict(result: dict[str, Any], settings: Any) -> dict[str, Any]:
    window = result["window"]
    verdict: dict[str, Any] = {}
    for name in PIPELINE:
        rss = window.get(f"rss_mb.{name}")
        if rss is not None:
            ok = rss["growth_over_window"] <= RSS_GROWTH_GOAL_MB
            verdict[f"rss {name}"] = (rss["growth_over_window"], "PASS" if ok else "MISS")
        fds = window.get(f"fds.{name}")
        if fds is not None:
            verdict[f"fds {name}"] = (
                fds["growth_over_window"],
                "PASS" if fds["growth_over_window"] <= 5 else "MISS",
            )
    spool = window.get("spool_mb")
    if spool is not None:
        bounded = spool["max"] * 2**20 <= settings.spool_max_bytes
        verdict["spool"] = (spool["max"], "PASS" if bounded else "MISS")
    storm = result["sse_storm"]
    fds_back = storm["after"]["fds"] - storm["before"]["fds"] <= 5
    rss_back = storm["after"]["rss_mb"] - storm["before"]["rss_mb"] <= RSS_GROWTH_GOAL_MB
    verdict["sse storm fds"] = (
        storm["after"]["fds"] - storm["before"]["fds"],
        "PASS" if fds_back else "MISS",
    )
    verdict["sse storm rss"] = (
        round(storm["after"]["rss_mb"] - storm["before"]["rss_mb"], 1),
        "PASS" if rss_back else "MISS",
    )
    return verdict


def _report(result: dict[str, Any]) -> None:
    log(f"over the last {result['window_minutes']} min (first -> last, slope per min, growth):")
    for key, w in sorted(result["window"].items()):
        log(
            f"  {key:<34} {w['first']:>10} -> {w['last']:<10} "
            f"{w['slope_per_min']:>+10.3f}/min {w['growth_over_window']:>+10.1f}"
        )
    for key, (value, word) in result["verdict"].items():
        log(f"  {word}: {key} {value}")


if __name__ == "__main__":
    raise SystemExit(main())
