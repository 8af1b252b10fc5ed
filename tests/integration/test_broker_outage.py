"""The broker is SIGKILLed mid-job and started again: the job ends with exactly its rows,
and no bulkflow process aborted or had to be restarted."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.devservers.broker import LocalBroker, free_port
from ops.devservers.localhost import is_alive
from ops.devservers.sample_data import write_orders_csv
from schemas.records import UploadStatus
from schemas.settings import load_settings
from tests.integration.crash_support import Served
from tests.integration.test_crash_recovery import (
    INVALID_EVERY,
    ROWS,
    assert_exact_rows,
    crash_settings,
    serve,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of this test only: the session's broker is shared by every other test."""
    settings = load_settings(
        home=tmp_path / "kafka-home", broker_port=free_port(), controller_port=free_port()
    )
    broker = LocalBroker(settings)
    broker.start(echo=lambda _m: None)
    try:
        yield broker
    finally:
        broker.stop(echo=lambda _m: None)


def upload_until_caught_mid_job(pipeline: Served, path: Path, attempts: int = 3) -> str:
    """Upload ``path`` and return its job id once the job has written some chunks and has not
    ended. A job that ends between two polls (its 60 chunks can take about a second) is
    uploaded again, up to ``attempts`` times; a job that never starts fails with what the
    API last said of it."""
    seen: list[UploadStatus | None] = []
    for _ in range(attempts):
        job_id = pipeline.upload(path)

        def caught_or_ended(job_id: str = job_id) -> bool:
            status = pipeline.status(job_id)
            seen.append(status)
            return status is not None and (status.is_final or status.chunks_done >= 3)

        try:
            pipeline.wait_until(f"job {job_id} mid-way or ended", caught_or_ended, 60)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the API's last status of it: {seen[-1]}") from None
        last = seen[-1]
        if last is not None and not last.is_final:
            return job_id
    raise AssertionError(
        f"{attempts} uploads each ended before a poll saw them mid-way: {seen[-1]}"
    )


def test_a_broker_killed_mid_job_loses_nothing_and_aborts_nothing(
    private_broker: LocalBroker, tmp_path: Path
) -> None:
    settings = crash_settings(tmp_path / "home", private_broker.bootstrap)
    pipeline = serve(settings, tmp_path / "logs")
    try:
        path = write_orders_csv(tmp_path / "orders.csv", ROWS, invalid_every=INVALID_EVERY)
        job_id = upload_until_caught_mid_job(pipeline, path)
        pid = private_broker.status().pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        pipeline.wait_until("broker dead", lambda: not is_alive(pid), 10)
        time.sleep(5)  # the outage: every client loses its connections and retries
        private_broker.start(echo=lambda _m: None)
        status = pipeline.wait_final(job_id, 180)
        assert_exact_rows(settings, job_id, status)
        assert pipeline.restarts() == dict.fromkeys(pipeline.supervisor.children, 0), (
            pipeline.events
        )
        assert pipeline.aborted() == []
    finally:
        pipeline.close()
