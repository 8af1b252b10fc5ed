"""``python -m bench cluster``: the 500-user scenario of ``python -m bench bulk`` on the
single open broker, on one secured node (SASL_SSL with SCRAM, ACLs, one copy), on an open
3-node cluster with three copies of every topic, and on the local secured 3-node cluster
(SASL_SSL with SCRAM, TLS between nodes, ACLs, three copies, two in sync), in the same run,
alternating.

Run from the repo root: ``.venv/bin/python -m bench cluster [--quick] [--rounds 2]``.
Each run is bulkflow's main run of bench/bulk_bench.py (the same files, the pipeline of
``bulkflow serve`` with 2 workers, a fresh PostgreSQL database); the brokers run only
during their own runs, and their CPU is summed. Prints and writes, per run, the completion
time and the CPU µs per row of each process, and the ratios of the whole system's CPU per
row to the open broker's (TLS alone, replication alone, and both); with the load average, since
the machine may be shared. The brokers are warmed up before each run (``--warm-mb``): a
broker that runs for days is past its JIT's warm-up, a fresh one is not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import bulk_figures
from bench.bulk_bench import ensure_postgres_binaries
from bench.bulk_output import RESULTS, log
from bench.bulk_pipeline import Context, run_bulkflow
from bench.bulk_servers import start_broker
from bench.bulk_workload import ensure_files, plan
from schemas.settings import load_settings

# the open single broker, one secured node (TLS and SCRAM's price alone), an open 3-node
# cluster with three copies (replication's price alone), and the secured 3-node cluster
# (replication and TLS, SCRAM, ACLs)
KINDS = ("open", "tls", "replicated", "secured")
SECURED = ("tls", "secured")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench cluster", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--users", type=int, default=None, help="default 500; --quick: 50")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["csv", "xlsx", "mixed"], default="xlsx")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="pairs of runs, alternating")
    parser.add_argument(
        "--kinds", default=",".join(KINDS),
        help=f"the Kafkas to run on, comma-separated (default {','.join(KINDS)})",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--stall", type=float, default=120.0)
    parser.add_argument(
        "--warm-mb", type=int, default=300,
        help="MB sent through the brokers and read back before each run (0: cold brokers)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.users = args.users or (50 if args.quick else 500)
    args.timeout = args.timeout or (300.0 if args.quick else 900.0)
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = sorted(set(args.kinds) - set(KINDS))
    if unknown or not args.kinds:
        parser.error(f"--kinds: {', '.join(unknown) or 'none given'} (known: {', '.join(KINDS)})")
    return args


@contextmanager
def kafka(kind: str, home: Path) -> Iterator[tuple[str, int | None, dict[str, Any], list[int]]]:
    """The open single broker or a local cluster (one secured node for ``tls``, else three
    nodes), on free ports, for one run: its bootstrap, the settings a client needs besides
    it, and the brokers' pids."""
    from ops.devservers.cluster import LocalCluster
    from ops.devservers.cluster_clients import client_settings
    from ops.devservers.localhost import free_port_block

    if kind == "open":
        broker = start_broker(home)
        try:
            pid = broker.status().pid
            yield broker.bootstrap, pid, {}, [pid] if pid else []
        finally:
            broker.stop(echo=lambda m: log(f"  {m}"))
        return
    cluster = LocalCluster(load_settings(home=home, broker_port=free_port_block(12)))
    nodes = 1 if kind == "tls" else 3
    cluster.start(nodes, secure=kind in SECURED, echo=lambda m: log(f"  {m}"))
    try:
        admin = client_settings(cluster, cluster.settings)
        names = ["kafka_security_protocol", "replication_factor", "min_insync_replicas"]
        if kind in SECURED:
            names += [
                "kafka_sasl_mechanism",
                "kafka_sasl_username",
                "kafka_sasl_password_file",
                "kafka_ssl_ca_file",
            ]
        fields = {name: getattr(admin, name) for name in names}
        pids = [p for p in (cluster.node_pid(i) for i in range(nodes)) if p]
        yield admin.kafka_bootstrap, None, fields, pids
    finally:
        cluster.stop(echo=lambda m: log(f"  {m}"))


def warm_brokers(bootstrap: str, fields: dict[str, Any], megabytes: int) -> float:
    """Send ``megabytes`` of 1 MiB records through the brokers and read them back, before
    the measured window: a long-running broker is past its JIT's warm-up (for TLS, the
    C2-compiled ciphers), a freshly started one is not. The brokers' CPU seconds it took
    are returned (not counted in the run)."""
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    from messaging.clients import admin_config, consumer_config, producer_config

    settings = load_settings(kafka_bootstrap=bootstrap, **fields)
    topic = "bench-warm-up"
    spec = NewTopic(topic, 4, settings.replication_factor, config={"max.message.bytes": "4194304"})
    admin = AdminClient(admin_config(settings))
    admin.create_topics([spec])[topic].result(60)
    producer = Producer(producer_config(settings))
    value = os.urandom(1 << 20)
    sent_by = time.monotonic() + 300
    for i in range(megabytes):
        while True:
            try:
                producer.produce(topic, value, key=str(i))
                break
            except BufferError:  # the queue is full: wait for deliveries, not forever
                if time.monotonic() > sent_by:
                    raise RuntimeError(f"warm-up: {i} of {megabytes} MB sent in 300 s") from None
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(300)
    consumer = Consumer(consumer_config(settings, "bench-warm-up", offsets_reset="earliest"))
    consumer.subscribe([topic])
    read, deadline = 0, time.monotonic() + 300
    while read < megabytes and time.monotonic() < deadline:
        read += sum(m.error() is None for m in consumer.consume(50, 1.0))
    consumer.close()
    return read


def figures(kind: str, result: dict[str, Any], load: tuple[float, float]) -> dict[str, Any]:
    s = bulk_figures.summarise(result)
    cpu = s.get("cpu") or {}
    by_process = cpu.get("us_per_row_by_process", {})
    grouped: dict[str, float] = {}
    for name, us in by_process.items():
        group = name.rstrip("0123456789").rstrip("-") if name.startswith("worker") else name
        grouped[group] = round(grouped.get(group, 0.0) + us, 2)
    return {
        "kafka": kind,
        "load_avg": [round(load[0], 2), round(load[1], 2)],
        "uploads": s["uploads"],
        "completed": s["completed"],
        "makespan_s": s["makespan_s"],
        "rows_per_s": s.get("rows_per_s"),
        "us_per_row": cpu.get("us_per_row"),
        "us_per_row_by_process": grouped,
        "broker_peak_rss_mb_one_node": result.get("resources", {})
        .get("processes", {})
        .get("kafka-broker", {})
        .get("peak_rss_one_process_mb"),
    }


def over_open(medians: dict[str, float], kind: str) -> float | None:
    """The median CPU per row on ``kind`` over the open broker's (None unless both ran)."""
    if kind not in medians or "open" not in medians:
        return None
    return round(medians[kind] / medians["open"], 3)


def table(runs: list[dict[str, Any]]) -> list[str]:
    names = sorted({n for r in runs for n in r["us_per_row_by_process"]})
    head = ["kafka", "load", "completed", "last at s", "total µs/row", *names]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in runs:
        cells = [
            r["kafka"],
            f"{r['load_avg'][0]:.1f}-{r['load_avg'][1]:.1f}",
            f"{r['completed']}/{r['uploads']}",
            str(r["makespan_s"]),
            str(r["us_per_row"]),
            *(str(r["us_per_row_by_process"].get(n, "")) for n in names),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    big, small = plan(args.users, args.rows, args.format, args.seed)
    ensure_files(big + small, echo=log)
    ensure_postgres_binaries()
    from ops.devservers.postgres import start_postgres

    tmp = Path(tempfile.mkdtemp(prefix="bulkflow-cluster-bench-"))
    runs: list[dict[str, Any]] = []
    pg = start_postgres(tmp / "pg")
    try:
        for n in range(args.rounds):
            for kind in args.kinds if n % 2 == 0 else args.kinds[::-1]:
                log(f"round {n + 1}: bulkflow on the {kind} Kafka, load {os.getloadavg()[0]:.1f}")
                with kafka(kind, tmp / f"{kind}-{n}") as (bootstrap, pid, fields, pids):
                    if args.warm_mb:
                        log(
                            f"  warming the brokers up: {warm_brokers(bootstrap, fields, args.warm_mb)} MB"
                        )
                    load_before = os.getloadavg()[0]
                    ctx = Context(tmp, pg, bootstrap, pid, kafka=fields, broker_pids=pids)
                    result = run_bulkflow(
                        ctx, big, small, workers=args.workers, producers=1,
                        timeout_s=args.timeout, stall_s=args.stall,
                        label=f"bulkflow, {kind} Kafka",
                    )  # fmt: skip
                    runs.append(figures(kind, result, (load_before, os.getloadavg()[0])))
                log(f"  {bulk_figures.one_line(result)}; {runs[-1]['us_per_row']} µs/row")
    finally:
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    medians = {
        kind: round(
            statistics.median(
                r["us_per_row"] for r in runs if r["kafka"] == kind and r["us_per_row"]
            ),
            2,
        )
        for kind in args.kinds
    }
    ratio = over_open(medians, "secured")
    tls = over_open(medians, "tls")
    replicated = over_open(medians, "replicated")
    compression = load_settings().stream_compression
    report = {
        "benchmark": "bulkflow on four Kafkas: open, one secured node, 3 copies, secured 3 nodes",
        "args": vars(args),
        "cpu_count": os.cpu_count(),
        "stream_compression": compression,
        "runs": runs,
        "median_us_per_row": medians,
        "secured_over_open": ratio,
        "tls_over_open": tls,
        "replicated_over_open": replicated,
        "warm_mb": args.warm_mb,
        "wall_s": round(time.time() - started, 1),
    }
    named = ", ".join(f"{kind} {us}" for kind, us in medians.items())
    lines = [
        *table(runs),
        "",
        f"CPU per row, secured / open: {ratio}; one secured node / open: {tls}; "
        f"open 3 copies / open: {replicated} "
        f"(medians µs: {named}; brokers warmed with {args.warm_mb} MB before each run; "
        f"results compression {compression})",
    ]
    print("\n".join(lines))
    if list(args.kinds) == list(KINDS):  # bench/results keeps the whole comparison only
        stem = "bulk_cluster-quick" if args.quick else "bulk_cluster"
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=1))
        (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    return 0
