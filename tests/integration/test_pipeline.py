"""The whole pipeline on a real broker and a real database: producer service, chunk worker,
aggregator, each its own process, as in production."""

from __future__ import annotations

import signal
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from database.engine import make_engine
from database.reports import count_rows, iter_row_errors, ledger_counts
from messaging.names import topic_names
from ops.devservers.sample_data import write_orders_csv, write_orders_xlsx
from ops.supervisor import Supervisor
from schemas.arrow_codec import decode_batch
from schemas.dataset import DatasetRegistry
from schemas.events import JobOutcomeEvent
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline, submit_file
from tests.support.kafka_read import final_statuses, read_topic
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _orders(settings: Settings):  # type: ignore[no-untyped-def]
    return DatasetRegistry(settings.datasets_dir).get("orders")


def test_50k_upload_with_invalid_rows_lands_exactly(
    db_settings: Settings, pipeline: Supervisor, tmp_path: Path
) -> None:
    path = write_orders_csv(tmp_path / "orders-50k.csv", 50_000, invalid_every=100)
    job_id = submit_file(db_settings, path)

    status = final_statuses(db_settings, [job_id], timeout_s=240)[job_id]
    assert status.state == "completed_with_errors"
    assert (status.rows_total, status.rows_ok, status.rows_failed) == (50_000, 49_500, 500)
    assert status.percent == 100.0 and status.chunks_done == status.chunks_total
    assert status.finished_at is not None and status.tenant == "acme"

    engine = make_engine(db_settings.db_url)
    assert count_rows(engine, _orders(db_settings), job_id) == 49_500
    chunks, rows_ok, rows_failed = ledger_counts(engine, job_id)
    assert (chunks, rows_ok, rows_failed) == (status.chunks_total, 49_500, 500)
    errors = list(iter_row_errors(engine, job_id, "acme"))
    assert len(errors) == 500
    # every 100th data row is bad; spreadsheet row numbers count the header as row 1
    assert [e.row for e in errors[:3]] == [101, 201, 301]
    assert errors[0].column == "customer_email" and "not a valid email" in errors[0].message
    assert list(iter_row_errors(engine, job_id, "someone-else")) == []
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT amount, quantity, express, country FROM ds_orders WHERE order_id = 3")
        ).one()
    assert row.country == "US" and bool(row.express) is True and row.quantity >= 1
    assert Decimal(str(row.amount)) > 0

    # downstream: the valid typed rows are on results.orders, exactly once per chunk
    names = topic_names(db_settings)
    results = read_topic(
        db_settings,
        names.results("orders"),
        until=lambda ms: sum(decode_batch(m.value()).num_rows for m in ms) >= 49_500,
    )
    by_chunk = {m.key(): decode_batch(m.value()).num_rows for m in results}
    assert sum(by_chunk.values()) == 49_500
    events = read_topic(db_settings, names.events, until=lambda ms: len(ms) >= 1)
    outcome = JobOutcomeEvent.model_validate_json(events[0].value())
    assert (outcome.type, outcome.job_id, outcome.rows_failed) == ("job.completed", job_id, 500)


def test_worker_killed_mid_job_finishes_with_exact_counts(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = kafka_settings.model_copy(update={"chunk_rows_idle": 500})
    supervisor = start_pipeline(settings, tmp_path / "logs")
    try:
        path = write_orders_csv(tmp_path / "orders-60k.csv", 60_000, invalid_every=1000)
        job_id = submit_file(settings, path)
        engine = make_engine(settings.db_url)
        wait_until(
            lambda: ledger_counts(engine, job_id)[0] >= 5,
            "the worker to be part-way through",
            120,
            ignoring=(sa_exc.DBAPIError,),  # tables not created yet
        )
        supervisor.signal("worker", signal.SIGKILL)
        supervisor.wait_dead("worker")
        done_before = ledger_counts(engine, job_id)[0]
        supervisor.start("worker")
        status = final_statuses(settings, [job_id], timeout_s=240)[job_id]
    finally:
        supervisor.stop()
    assert done_before < status.chunks_total  # the kill really was mid-job
    assert (status.rows_ok, status.rows_failed) == (59_940, 60)
    assert count_rows(engine, _orders(settings), job_id) == 59_940
    assert ledger_counts(engine, job_id) == (status.chunks_total, 59_940, 60)
    assert len(list(iter_row_errors(engine, job_id, "acme"))) == 60


def test_reupload_with_the_same_keys_upserts(
    db_settings: Settings, pipeline: Supervisor, tmp_path: Path
) -> None:
    first = write_orders_csv(tmp_path / "orders.csv", 1_000)
    job_1 = submit_file(db_settings, first)
    assert final_statuses(db_settings, [job_1])[job_1].state == "completed"

    corrected = tmp_path / "orders-corrected.csv"
    text_in = first.read_text().splitlines()
    # same order ids, every amount changed to 1.23
    fixed = [text_in[0]] + [
        ",".join([*cells[:4], "1.23", *cells[5:]])
        for cells in (line.split(",") for line in text_in[1:])
    ]
    corrected.write_text("\n".join(fixed) + "\n")
    job_2 = submit_file(db_settings, corrected)
    assert final_statuses(db_settings, [job_2])[job_2].rows_ok == 1_000

    engine = make_engine(db_settings.db_url)
    with engine.connect() as conn:
        total, distinct_amounts = conn.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT amount) FROM ds_orders")
        ).one()
        owners = conn.execute(text("SELECT DISTINCT job_id FROM ds_orders")).scalars().all()
    assert total == 1_000 and distinct_amounts == 1
    assert owners == [job_2]


def test_bad_files_fail_alone_while_good_ones_complete(
    kafka_settings: Settings, pipeline_sqlite: Supervisor, tmp_path: Path
) -> None:
    good_xlsx = write_orders_xlsx(tmp_path / "good.xlsx", 2_000, invalid_every=500)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good_xlsx.read_bytes()[: good_xlsx.stat().st_size // 2])
    missing_column = tmp_path / "missing.csv"
    missing_column.write_text("customer_email,ordered_at\na@b.co,2026-01-01\n")
    header_only = tmp_path / "header-only.csv"
    header_only.write_text("order_id,email,ordered_at\n")
    good_csv = write_orders_csv(tmp_path / "good.csv", 3_000)

    jobs = {
        name: submit_file(kafka_settings, path, sniff=False)
        for name, path in [
            ("truncated", truncated),
            ("missing", missing_column),
            ("header_only", header_only),
            ("good_xlsx", good_xlsx),
            ("good_csv", good_csv),
        ]
    }
    statuses = final_statuses(kafka_settings, list(jobs.values()), timeout_s=180)
    by_name = {name: statuses[job] for name, job in jobs.items()}
    assert by_name["truncated"].state == "failed"
    assert "damaged" in (by_name["truncated"].error or "")
    assert by_name["missing"].state == "failed"
    assert "order_id" in (by_name["missing"].error or "")
    assert by_name["header_only"].state == "completed"
    assert (by_name["header_only"].rows_total, by_name["header_only"].rows_ok) == (0, 0)
    assert by_name["good_xlsx"].state == "completed_with_errors"
    assert (by_name["good_xlsx"].rows_ok, by_name["good_xlsx"].rows_failed) == (1_996, 4)
    assert by_name["good_csv"].state == "completed" and by_name["good_csv"].rows_ok == 3_000
