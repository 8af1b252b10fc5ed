"""Failures a user never sees: a database outage mid-job, a dying process under serve."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc

from database.engine import make_engine
from database.reports import count_rows, ledger_counts
from ops.devservers.postgres import start_postgres
from ops.devservers.sample_data import write_orders_csv
from ops.serve import build_supervisor
from schemas.dataset import DatasetRegistry
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline, submit_file
from tests.support.kafka_read import final_statuses
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.postgres
def test_database_outage_mid_job_is_retried_and_nothing_is_lost(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    if os.environ.get("BULKFLOW_TEST_POSTGRES_URL"):
        pytest.skip("needs a PostgreSQL server of its own to stop and start")
    server = start_postgres(tmp_path / "pg")
    settings = kafka_settings.model_copy(
        update={"database_url": server.url, "chunk_rows_idle": 500}
    )
    supervisor = start_pipeline(settings, tmp_path / "logs")
    try:
        path = write_orders_csv(tmp_path / "orders.csv", 40_000, invalid_every=1000)
        job_id = submit_file(settings, path)
        engine = make_engine(settings.db_url)
        wait_until(
            lambda: ledger_counts(engine, job_id)[0] >= 3,
            "the worker to be part-way through",
            120,
            ignoring=(sa_exc.DBAPIError,),  # tables not created yet
        )
        engine.dispose()
        server.pause()  # the database goes away mid-job ...
        time.sleep(4)
        server.resume()  # ... and comes back
        status = final_statuses(settings, [job_id], timeout_s=240)[job_id]
        orders = DatasetRegistry(settings.datasets_dir).get("orders")
        assert (status.rows_ok, status.rows_failed) == (39_960, 40)
        assert count_rows(engine, orders, job_id) == 39_960
        assert ledger_counts(engine, job_id) == (status.chunks_total, 39_960, 40)
        assert "retrying" in supervisor.log_tail("worker", 400)
    finally:
        supervisor.stop()
        server.stop()


def test_serve_restarts_a_process_that_dies_and_stops_all(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    from ops.devservers.broker import free_port

    supervisor = build_supervisor(
        kafka_settings, host="127.0.0.1", port=free_port(), log_dir=tmp_path / "logs"
    )
    supervisor.start()
    try:
        time.sleep(3)
        worker = supervisor.children["worker-1"]
        assert worker.proc is not None
        old_pid = worker.proc.pid
        supervisor.signal("worker-1", signal.SIGKILL)
        events: list[str] = []

        def restarted() -> bool:
            events.extend(supervisor.poll())
            return "worker-1 restarted" in events

        wait_until(restarted, "worker-1 to be restarted", 30)
        assert any("worker-1 exited" in e for e in events), events
        assert "worker-1 restarted" in events
        assert worker.proc.pid != old_pid and worker.proc.poll() is None
    finally:
        started = time.monotonic()
        supervisor.stop()
        stopped_in = time.monotonic() - started
    assert all(
        c.proc is not None and c.proc.poll() is not None for c in supervisor.children.values()
    )
    assert stopped_in < 25
