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
from schemas.settings import load_settings
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


def test_a_broker_killed_mid_job_loses_nothing_and_aborts_nothing(
    private_broker: LocalBroker, tmp_path: Path
) -> None:
    settings = crash_settings(tmp_path / "home", private_broker.bootstrap)
    pipeline = serve(settings, tmp_path / "logs")
    try:
        path = write_orders_csv(tmp_path / "orders.csv", ROWS, invalid_every=INVALID_EVERY)
        job_id, _, _ = pipeline.upload_mid_job(path, lambda status: status.chunks_done >= 3)
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
