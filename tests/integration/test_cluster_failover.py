"""Failover on the local secured 3-node cluster, with every process logged in as its own
role: the leader of the busiest chunk partitions SIGKILLed mid-run, and a rolling restart
of all three nodes during a stream of uploads. Every job ends exact (database and result
topic), no job stalls for long, and no bulkflow process is restarted or aborts."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient

from database.engine import make_engine
from database.reports import count_rows, ledger_counts
from messaging.clients import admin_config, consumer_config
from messaging.names import topic_names
from ops.devservers.cluster_health import wait_in_sync, wait_up
from ops.devservers.sample_data import write_orders_csv
from schemas.dataset import DatasetRegistry
from schemas.headers import H_ROW_COUNT
from schemas.records import UploadStatus
from schemas.settings import Settings
from tests.integration.crash_support import Served
from tests.support.cluster_fixtures import SecureCluster, pipeline_settings, serve_as_roles
from tests.support.kafka_read import read_topic

pytestmark = [pytest.mark.integration, pytest.mark.cluster, pytest.mark.slow]

BIG_ROWS, SMALL_ROWS, INVALID_EVERY = 200_000, 5_000, 1_000
MAX_STALL_S = 15.0
UPLOAD_TIMEOUT_S = 120.0
STREAM_MAX, STREAM_EVERY_S = 60, 2.0  # the stream's uploads at most, and how often
POLL_S = 0.3


@dataclass
class Progress:
    """Each job's chunks done over time, as the API reports them."""

    pipeline: Served
    jobs: list[str]
    seen: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    final: dict[str, UploadStatus] = field(default_factory=dict)

    def poll(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            if job in self.final:
                continue
            status = self.pipeline.status(job)
            if status is None:
                continue
            self.seen.setdefault(job, []).append((now, status.chunks_done))
            if status.is_final:
                self.final[job] = status

    def most_done(self) -> int:
        self.poll()
        return max((marks[-1][1] for marks in self.seen.values()), default=0)

    def all_final(self) -> bool:
        self.poll()
        return len(self.final) == len(self.jobs)

    def stall_s(self, job: str) -> float:
        """The longest time the job went without a chunk done, from its first chunk to
        its end."""
        marks = self.seen[job]
        changes = [t for (_t0, before), (t, done) in pairwise(marks) if done != before]
        return max((b - a for a, b in pairwise(changes)), default=0.0)


def exact(settings: Settings, status: UploadStatus, rows: int) -> None:
    """The job's rows in the database and on results.orders: each once, none missing."""
    ok, failed = rows - rows // INVALID_EVERY, rows // INVALID_EVERY
    assert status.state == "completed_with_errors", status
    assert (status.rows_ok, status.rows_failed) == (ok, failed), status
    engine = make_engine(settings.db_url)
    try:
        orders = DatasetRegistry(settings.datasets_dir).get("orders")
        assert count_rows(engine, orders, status.job_id) == ok
        assert ledger_counts(engine, status.job_id) == (status.chunks_total, ok, failed)
    finally:
        engine.dispose()


def results_on_topic(settings: Settings, statuses: list[UploadStatus]) -> dict[str, int]:
    """Valid rows per job on results.orders, each chunk counted once (a chunk seen again
    after a failover is the same chunk: at least once, duplicates recognisable)."""
    want = {s.job_id: s.chunks_total for s in statuses}
    chunks: dict[str, dict[str, int]] = {job: {} for job in want}

    def complete(messages: list) -> bool:
        for msg in messages[sum(len(c) for c in chunks.values()) :]:
            key = (msg.key() or b"").decode()
            job, _, chunk = key.partition(":")
            if job in chunks:
                headers = dict(msg.headers() or [])
                chunks[job][chunk] = int(headers[H_ROW_COUNT])
        return all(len(chunks[j]) >= n for j, n in want.items())

    read_topic(settings, topic_names(settings).results("orders"), until=complete, timeout_s=90)
    return {job: sum(c.values()) for job, c in chunks.items()}


def orders_files(folder: Path, count: int, rows: int) -> list[Path]:
    """Files of distinct orders: orders has a business key, so the same file uploaded twice
    would update the first upload's rows instead of adding its own."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_orders_csv(
            folder / f"orders-{rows}-{i}.csv", rows, invalid_every=INVALID_EVERY, start_id=i * rows
        )
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("failover-data")


@pytest.fixture(scope="module")
def cluster_pipeline(
    secure_cluster: SecureCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, Settings]]:
    home = tmp_path_factory.mktemp("failover-home")
    settings = pipeline_settings(
        home / "home", secure_cluster, chunk_partitions=6, topic_partitions=3
    )
    pipeline = serve_as_roles(settings, secure_cluster, home / "logs")
    try:
        yield pipeline, settings
    finally:
        pipeline.close()


def upload(pipeline: Served, path: Path) -> str:
    """An upload through the API, given the time a 15 MB file takes to reach three brokers
    over TLS on a busy machine."""
    with path.open("rb") as f:
        response = pipeline.http.post(
            "/v1/uploads",
            files={"file": (path.name, f)},
            data={"dataset": "orders"},
            timeout=UPLOAD_TIMEOUT_S,
        )
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def busiest_leader(settings: Settings) -> tuple[int, str]:
    """The node (0-based) leading the chunk partition with the most records, and which."""
    topic = topic_names(settings).chunks("low")
    meta = AdminClient(admin_config(settings)).list_topics(topic, timeout=10).topics[topic]
    from confluent_kafka import Consumer

    consumer = Consumer(consumer_config(settings, f"{settings.topic_prefix}-failover-probe"))
    try:
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in meta.partitions
        }
    finally:
        consumer.close()
    busiest = max(ends, key=lambda p: ends[p])
    return meta.partitions[busiest].leader - 1, f"{topic}[{busiest}] ({ends[busiest]} chunks)"


def no_process_restarted(pipeline: Served) -> None:
    assert pipeline.restarts() == dict.fromkeys(pipeline.restarts(), 0), pipeline.events
    assert pipeline.aborted() == []
    assert all(
        c.proc is not None and c.proc.poll() is None for c in pipeline.supervisor.children.values()
    )


def test_the_leader_of_the_busiest_chunk_partitions_killed_mid_run_loses_nothing(
    cluster_pipeline: tuple[Served, Settings], secure_cluster: SecureCluster, data_dir: Path
) -> None:
    pipeline, settings = cluster_pipeline
    files = orders_files(data_dir / "big", 2, BIG_ROWS)
    uploaded_at = time.monotonic()
    progress = Progress(pipeline, [upload(pipeline, f) for f in files])
    pipeline.wait_until("mid-run", lambda: progress.most_done() >= 3, 180)
    node, partition = busiest_leader(settings)
    secure_cluster.cluster.stop_node(node, signal.SIGKILL)
    killed_at = time.monotonic()
    try:
        pipeline.wait_until("every job final", progress.all_final, 240)
    finally:
        secure_cluster.cluster.start_node(node)  # back in the cluster for the next test
    took_s, upload_s = time.monotonic() - killed_at, killed_at - uploaded_at
    stalls = {job: progress.stall_s(job) for job in progress.jobs}
    on_topic = results_on_topic(settings, list(progress.final.values()))
    print(
        f"\nnode {node + 1} (leader of {partition}) SIGKILLed {upload_s:.1f}s after the "
        f"uploads began; jobs final {took_s:.1f}s later; longest stall per job: "
        + ", ".join(f"{j[:8]} {s:.1f}s" for j, s in stalls.items())
        + "; rows ok per job (database, results topic): "
        + ", ".join(f"{j[:8]} {progress.final[j].rows_ok}/{on_topic[j]}" for j in progress.jobs)
    )
    for status in progress.final.values():
        exact(settings, status, BIG_ROWS)
        assert on_topic[status.job_id] == status.rows_ok
    assert max(stalls.values()) <= MAX_STALL_S, stalls
    no_process_restarted(pipeline)


def test_a_rolling_restart_during_a_stream_of_uploads_loses_nothing(
    cluster_pipeline: tuple[Served, Settings], secure_cluster: SecureCluster, data_dir: Path
) -> None:
    pipeline, settings = cluster_pipeline
    files = iter(orders_files(data_dir / "small", STREAM_MAX, SMALL_ROWS))
    cluster = secure_cluster.cluster
    wait_in_sync(settings, 120)
    jobs: list[str] = []
    stop = threading.Event()

    def stream() -> None:  # uploads while the nodes restart one by one
        for path in files:
            if stop.is_set():
                return
            jobs.append(upload(pipeline, path))
            stop.wait(STREAM_EVERY_S)

    uploader = threading.Thread(target=stream, name="uploads")
    uploader.start()
    steps = []
    try:
        for node in range(secure_cluster.layout.nodes):
            started = time.monotonic()
            cluster.stop_node(node)  # SIGTERM: a controlled shutdown
            cluster.start_node(node)
            # the next node goes once this one has caught up; after the last, once it is up
            if node < secure_cluster.layout.nodes - 1:
                wait_in_sync(settings, 120)
            else:
                wait_up(cluster, node, settings, 120)
            steps.append(time.monotonic() - started)
    finally:
        stop.set()
        uploader.join(60)
    progress = Progress(pipeline, list(jobs))
    pipeline.wait_until("every job final", progress.all_final, 240)
    on_topic = results_on_topic(settings, list(progress.final.values()))
    print(
        f"\nrolling restart: {len(jobs)} uploads of {SMALL_ROWS:,} rows; node restarts "
        f"(down, up, in sync) {', '.join(f'{s:.1f}s' for s in steps)}; "
        f"longest stall {max(progress.stall_s(j) for j in jobs):.1f}s"
    )
    assert len(jobs) >= 2 * len(steps)  # uploads went on during every restart
    for status in progress.final.values():
        exact(settings, status, SMALL_ROWS)
        assert on_topic[status.job_id] == status.rows_ok
    no_process_restarted(pipeline)
