"""bulkflow behind PgBouncer in transaction pooling (two server sessions): the workers and the
API share them, a transaction at a time, through a keyed re-upload's upserts."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from api.app import create_app
from database.engine import make_engine
from database.reports import ledger_counts
from ops.devservers.pgbouncer import PgBouncer
from ops.devservers.postgres import with_database
from ops.devservers.sample_data import order_rows, write_orders_csv
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.integration.test_api import A, running, upload
from tests.integration.test_postgres_tls import wait_final

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

ROWS = 3_000


def test_workers_and_api_work_through_a_transaction_pooler(
    kafka_settings: Settings, pg_database_url: str, pgbouncer: PgBouncer, tmp_path: Path
) -> None:
    pooled = pgbouncer.url(pg_database_url)
    # small chunks: each of the worker's pooled connections runs the same statements many
    # times over, as a long-running worker does (psycopg would prepare them by the 6th run)
    settings = kafka_settings.model_copy(
        update={"database_url": pooled, "api_keys": "acme:key-a", "chunk_rows_idle": 100}
    )
    supervisor = start_pipeline(settings, tmp_path / "logs")
    try:
        with running(create_app(settings, keepalive_s=0.5)) as client:
            first = write_orders_csv(tmp_path / "orders.csv", ROWS, invalid_every=100)
            job = upload(client, first, headers={**A, "Idempotency-Key": "pooled-1"})
            first_job = job.json()["job_id"]
            assert wait_final(client, first_job)["rows_ok"] == ROWS - ROWS // 100
            # the corrected file: every key again with other values (copy meets the keys,
            # then the chunks upsert through the temp table), and the rows that were invalid
            fixed = write_orders_csv(tmp_path / "fixed.csv", ROWS, seed=8)
            second_job = upload(client, fixed, headers={**A, "Idempotency-Key": "pooled-2"})
            second = wait_final(client, second_job.json()["job_id"])
            assert (second["state"], second["rows_ok"], second["rows_failed"]) == (
                "completed",
                ROWS,
                0,
            )
            report = client.get(f"/v1/uploads/{first_job}/errors", headers=A)
            assert len(list(csv.DictReader(io.StringIO(report.text)))) == ROWS // 100
            again = upload(client, first, headers={**A, "Idempotency-Key": "pooled-1"})
            assert again.json()["job_id"] == first_job
        worker_log = supervisor.log_tail("worker", 400)
    finally:
        supervisor.stop()
    assert "retrying" not in worker_log and "dead-lettered" not in worker_log, worker_log

    expected = {int(r[0]): Decimal(str(r[4])) for r in order_rows(ROWS, seed=8)}
    engine = make_engine(pg_database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT order_id, amount, job_id FROM ds_orders")).all()
        assert ledger_counts(engine, second["job_id"]) == (second["chunks_total"], ROWS, 0)
    finally:
        engine.dispose()
    assert {oid: amount for oid, amount, _job in stored} == expected
    assert {job for _oid, _amount, job in stored} == {second["job_id"]}

    # the database's server sessions are the pool's (PgBouncer keeps them open when idle)
    admin = make_engine(with_database(pg_database_url, "postgres"))
    try:
        with admin.connect() as conn:
            sessions = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                {"d": pg_database_url.rsplit("/", 1)[1]},
            ).scalar_one()
    finally:
        admin.dispose()
    assert 1 <= sessions <= 2
