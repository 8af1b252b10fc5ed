"""``bulkflow demo``: broker, topics, pipeline, sample uploads through the API at once,
live progress, a summary; then it stops what it started."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console

from messaging.preflight import check_kafka
from messaging.topics import create_topics
from ops.client import ApiClient
from ops.devservers.broker import LocalBroker, free_port
from ops.devservers.sample_data import write_orders_csv, write_orders_xlsx
from ops.errors import OpsError
from ops.progress_ui import follow_jobs, summary_table
from ops.serve import build_supervisor
from schemas.errors import BulkflowError
from schemas.records import UploadStatus
from schemas.settings import Settings

# (file name, rows, every n-th row invalid)
SAMPLES = [
    ("small-clean.csv", 200, 0),
    ("small-with-errors.xlsx", 600, 50),
    ("medium-with-errors.csv", 3_000, 100),
    ("medium.xlsx", 4_000, 0),
    ("large-with-errors.csv", 60_000, 200),
    ("large.xlsx", 25_000, 500),
]


def make_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows, bad in SAMPLES:
        path = folder / name
        if not path.exists():
            writer = write_orders_xlsx if name.endswith(".xlsx") else write_orders_csv
            writer(path, rows, invalid_every=bad)
        paths.append(path)
    broken = folder / "missing-order-id.csv"
    broken.write_text("customer_email,ordered_at,amount\nann@example.com,2026-01-02,3.50\n")
    paths.append(broken)
    return paths


def unsettled(finals: dict[str, UploadStatus]) -> list[str]:
    """The jobs still under way: neither final nor paused for a person to map columns."""
    return [j for j, s in finals.items() if not s.is_final and s.state != "needs_mapping"]


def run_demo(base: Settings, console: Console) -> int:
    """On the local broker (started if need be), or on the Kafka the settings name (a
    cluster's: the identity needs to create topics, as its admin can)."""
    started = time.monotonic()
    broker = LocalBroker(base)
    local = base.kafka_security_protocol == "PLAINTEXT" and base.kafka_bootstrap == broker.bootstrap
    we_started_broker = local and not broker.status().running
    if we_started_broker:
        broker.start(echo=console.print)
    elif not local:
        check_kafka(base)
        console.print(f"Kafka at {base.kafka_bootstrap} ({base.kafka_security_protocol})")
    settings = base.model_copy(update={"topic_prefix": f"demo{int(time.time())}"})
    key = next(iter(settings.api_key_map()))
    port = free_port()
    supervisor = build_supervisor(
        settings, host="127.0.0.1", port=port, log_dir=settings.home / "demo-logs", restart=True
    )
    client = ApiClient(f"http://127.0.0.1:{port}", key)
    try:
        report = create_topics(settings, ["orders"])
        console.print(f"topics: {len(report.created)} created under prefix {settings.topic_prefix}")
        files = make_samples(settings.home / "demo-files")
        supervisor.start()
        client.wait_ready(90)
        console.print(
            f"pipeline up: {', '.join(supervisor.children)} "
            f"(API on http://127.0.0.1:{port}, logs in {supervisor.log_dir})"
        )
        with ThreadPoolExecutor(len(files)) as pool:  # everyone uploads at once
            answers = list(pool.map(lambda p: _upload(client, p), files))
        jobs = {a["job_id"]: p.name for p, a in zip(files, answers, strict=True) if a}
        for path, answer in zip(files, answers, strict=True):
            if answer:
                console.print(
                    f"  {path.name:<26} -> job {answer['job_id'][:8]} ({answer['tier']} tier)"
                )
        finals = follow_jobs(client, jobs, console, timeout_s=150)
        console.print(summary_table(finals, jobs))
        for job, status in finals.items():
            if status.error:
                console.print(f"[yellow]{jobs[job]}[/]: {status.error}")
            if status.state == "needs_mapping":  # settled: it waits for a person
                console.print(
                    f"[yellow]{jobs[job]}[/]: paused until its columns are mapped: "
                    f"bulkflow map {job} --map 'File header=column' (its page shows them)"
                )
        sample_errors = next((j for j, s in finals.items() if s.rows_failed), None)
        if sample_errors:
            console.print(
                f"row errors as CSV: curl -H 'Authorization: Bearer {key}' "
                f"http://127.0.0.1:{port}/v1/uploads/{sample_errors}/errors"
            )
        total = sum(s.rows_ok + s.rows_failed for s in finals.values())
        console.print(
            f"{len(finals)} uploads, {total:,} rows in "
            f"{time.monotonic() - started:.0f}s (including start-up)"
        )
        return 1 if unsettled(finals) else 0
    except BulkflowError as exc:
        console.print(f"[bold red]demo failed:[/] {exc}")
        for name in supervisor.children:
            console.print(f"--- {name} log ---\n{supervisor.log_tail(name, 15)}")
        return 1
    finally:
        client.close()
        supervisor.stop()
        if we_started_broker:
            broker.stop(echo=console.print)


def _upload(client: ApiClient, path: Path) -> dict[str, str] | None:
    try:
        return client.upload(path, "orders")
    except OpsError as exc:
        print(f"{path.name}: rejected: {exc}")
        return None
