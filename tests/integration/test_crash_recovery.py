"""SIGKILL each process of ``bulkflow serve`` mid-job: the supervisor restarts it, the job
ends with exactly its rows, and it ends within seconds of when it would have anyway."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from database.engine import make_engine
from database.reports import count_rows, ledger_counts
from messaging.topics import create_topics
from ops.devservers.broker import free_port
from ops.devservers.sample_data import write_orders_csv
from ops.serve import build_supervisor
from schemas.dataset import DatasetRegistry
from schemas.records import UploadStatus
from schemas.settings import Settings, load_settings, packaged_datasets_dir
from tests.integration.crash_support import Served

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS, INVALID_EVERY = 60_000, 1_000
ROWS_OK, ROWS_FAILED = 59_940, 60
RECOVERY_S = 15.0  # the most a kill may add to a job's duration


def crash_settings(home: Path, bootstrap: str) -> Settings:
    """Small chunks, so a job is long enough to be killed in the middle of."""
    return load_settings(
        topic_prefix=f"t{uuid.uuid4().hex[:10]}", home=home, datasets_dir=packaged_datasets_dir(),
        kafka_bootstrap=bootstrap, chunk_partitions=4, topic_partitions=2,
        chunk_rows_busy=1_000, chunk_rows_normal=1_000, chunk_rows_idle=1_000,
    )  # fmt: skip


def serve(settings: Settings, log_dir: Path) -> Served:
    create_topics(settings, ["orders"])
    port = free_port()
    supervisor = build_supervisor(settings, host="127.0.0.1", port=port, log_dir=log_dir)
    supervisor.start()
    served = Served(supervisor, f"http://127.0.0.1:{port}")
    served.wait_until("API up", served.api_up, 60)
    return served


def assert_exact_rows(settings: Settings, job_id: str, status: UploadStatus) -> None:
    assert status.state == "completed_with_errors", status
    assert (status.rows_ok, status.rows_failed) == (ROWS_OK, ROWS_FAILED)
    engine = make_engine(settings.db_url)
    orders = DatasetRegistry(settings.datasets_dir).get("orders")
    assert count_rows(engine, orders, job_id) == ROWS_OK
    assert ledger_counts(engine, job_id) == (status.chunks_total, ROWS_OK, ROWS_FAILED)
    engine.dispose()


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash-data")
    return write_orders_csv(folder / "orders.csv", ROWS, invalid_every=INVALID_EVERY)


@pytest.fixture(scope="module")
def served(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, orders_csv: Path
) -> Iterator[tuple[Served, Settings, float]]:
    """The served pipeline and how long the job takes when nothing is killed."""
    home = tmp_path_factory.mktemp("crash-home")
    settings = crash_settings(home / "home", kafka_bootstrap)
    pipeline = serve(settings, home / "logs")
    try:
        started = time.monotonic()
        job_id = pipeline.upload(orders_csv)
        status = pipeline.wait_final(job_id, 120)
        normal_s = time.monotonic() - started
        assert_exact_rows(settings, job_id, status)
        yield pipeline, settings, normal_s
    finally:
        pipeline.close()


def _mid_job(child: str, status: UploadStatus) -> bool:
    """The moment to kill ``child`` (its job not ended): the producer as soon as the upload
    is accepted (it parses 60,000 CSV rows in well under a second, too fast to aim at), the
    others once some chunks are done."""
    return child == "producer-1" or status.chunks_done >= 3


@pytest.mark.parametrize("child", ["worker-1", "aggregator", "producer-1", "api"])
def test_a_process_killed_mid_job_is_back_in_seconds_and_nothing_is_lost_or_doubled(
    served: tuple[Served, Settings, float], orders_csv: Path, child: str
) -> None:
    pipeline, settings, normal_s = served
    restarts_before = pipeline.restarts()[child]
    job_id, started, _ = pipeline.upload_mid_job(orders_csv, lambda s: _mid_job(child, s))
    pipeline.supervisor.signal(child, signal.SIGKILL)
    status = pipeline.wait_final(job_id, normal_s + 60)
    took_s = time.monotonic() - started
    print(f"\n{child} killed: {took_s:.1f}s, {normal_s:.1f}s without a kill")
    pipeline.wait_until(
        f"{child} restarted", lambda: pipeline.restarts()[child] == restarts_before + 1, 30
    )
    assert_exact_rows(settings, job_id, status)
    assert took_s <= normal_s + RECOVERY_S, (
        f"{child} killed: the job took {took_s:.1f}s, {normal_s:.1f}s without a kill"
    )
