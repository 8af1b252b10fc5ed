"""At least once from Kafka, exactly once at the database; dead letters for what can never
succeed."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka import Message

from database.engine import make_engine
from database.reports import count_rows, ledger_counts
from messaging.names import topic_names
from messaging.publisher import Publisher
from ops.devservers.sample_data import write_orders_csv
from ops.dlq import discard, list_dead_letters, redrive
from ops.reparse import reparse_job
from ops.supervisor import Supervisor
from schemas.dataset import DatasetRegistry
from schemas.headers import ChunkHeaders
from schemas.records import JobEvent, utcnow
from schemas.settings import Settings
from tests.integration.conftest import submit_file
from tests.support.kafka_read import chunk_results_of, final_statuses, job_events, read_topic
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_chunks_delivered_twice_are_written_once(
    db_settings: Settings, pipeline: Supervisor, tmp_path: Path
) -> None:
    path = write_orders_csv(tmp_path / "orders.csv", 8_000, invalid_every=400)
    job_id = submit_file(db_settings, path)
    first = final_statuses(db_settings, [job_id])[job_id]
    assert (first.rows_ok, first.rows_failed) == (7_980, 20)

    report = reparse_job(db_settings, job_id, wait_s=120)  # every chunk, delivered again
    outcome = report.outcome
    assert outcome.total_chunks == first.chunks_total == report.handled
    results = chunk_results_of(db_settings, job_id, 2 * outcome.total_chunks)
    assert len(results) == 2 * outcome.total_chunks  # the worker really saw each chunk twice

    engine = make_engine(db_settings.db_url)
    orders = DatasetRegistry(db_settings.datasets_dir).get("orders")
    assert count_rows(engine, orders, job_id) == 7_980
    assert ledger_counts(engine, job_id) == (first.chunks_total, 7_980, 20)
    again = final_statuses(db_settings, [job_id])[job_id]
    assert (again.rows_ok, again.rows_failed, again.chunks_done) == (7_980, 20, first.chunks_done)
    # the re-parse's rows went to results.orders again, marked with its replay id, and it
    # said so once; nothing was written (the ledger had every chunk)
    events = job_events(db_settings, job_id, lambda found: len(found) >= 2)
    assert [e["type"] for e in events] == ["job.completed", "job.results_republished"]
    assert events[1]["replay_id"] == report.replay_id and events[1]["rows"] == 7_980
    marked = read_topic(
        db_settings,
        topic_names(db_settings).results("orders"),
        until=lambda ms: sum(_replayed(m, report.replay_id) for m in ms) >= outcome.total_chunks,
        timeout_s=30,
    )
    assert sum(_replayed(m, report.replay_id) for m in marked) == events[1]["records"]


def test_undecodable_chunk_is_dead_lettered_and_fails_its_rows(
    kafka_settings: Settings, pipeline_sqlite: Supervisor, tmp_path: Path
) -> None:
    names = topic_names(kafka_settings)
    job_id = "job-with-a-broken-chunk"
    now = utcnow()

    def event(kind: str, **extra: object) -> bytes:
        return (
            JobEvent(
                job_id=job_id,
                kind=kind,
                tenant="acme",
                dataset="orders",  # type: ignore[arg-type]
                filename="broken.csv",
                tier="high",
                submitted_at=now,
                **extra,
            )
            .model_dump_json()
            .encode()
        )  # type: ignore[arg-type]

    broken = ChunkHeaders(job_id, 0, 2, 40, "orders", "acme")
    with Publisher(kafka_settings) as publisher:
        publisher.produce(names.jobs, event("registered"), job_id)
        publisher.produce(names.chunks("high"), b"this is not arrow", broken.key, broken.to_kafka())
        publisher.produce(names.jobs, event("sealed", total_chunks=1, total_rows=40), job_id)

    status = final_statuses(kafka_settings, [job_id])[job_id]
    assert status.state == "failed"
    assert (status.rows_ok, status.rows_failed) == (0, 40)
    assert "cannot be decoded" in (status.error or "")

    letters = wait_until(lambda: list_dead_letters(kafka_settings), "a dead letter", 30)
    assert [
        (d.job_id, d.chunk_no, d.tenant, d.dataset, d.source_topic, d.attempts) for d in letters
    ] == [(job_id, 0, "acme", "orders", names.chunks("high"), 1)]
    assert "cannot be decoded" in letters[0].reason
    assert redrive(kafka_settings, job_ids=["another-job"]).redriven == []
    assert len(redrive(kafka_settings).redriven) == 1
    # re-driven, it is no longer outstanding until the worker fails it again
    assert list_dead_letters(kafka_settings, include_all=True)[0].state in (
        "redriven",
        "outstanding",
    )
    # still undecodable: outstanding again, one attempt more, and the job's counts stay once
    letters = wait_until(
        lambda: [d for d in list_dead_letters(kafka_settings) if d.attempts == 2],
        "the letter failed a second time",
        60,
    )
    assert [(d.job_id, d.state, d.attempts) for d in letters] == [(job_id, "outstanding", 2)]
    again = final_statuses(kafka_settings, [job_id])[job_id]
    assert (again.state, again.rows_failed) == ("failed", 40)

    # the state is in the database: a worker restart changes nothing; discard ends it
    pipeline_sqlite.stop()
    assert [d.attempts for d in list_dead_letters(kafka_settings)] == [2]
    assert [d.job_id for d in discard(kafka_settings, "test data", job_ids=[job_id])] == [job_id]
    assert list_dead_letters(kafka_settings) == []
    kept = list_dead_letters(kafka_settings, include_all=True)
    assert [(d.state, d.discard_reason) for d in kept] == [("discarded", "test data")]


def _replayed(message: Message, replay_id: str) -> bool:
    return ("replay_id", replay_id.encode()) in list(message.headers() or [])
