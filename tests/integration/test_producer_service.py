"""The producer service as a process on the real broker: how soon it takes up an upload."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from confluent_kafka import Message

from messaging.names import topic_names
from ops.devservers.sample_data import write_orders_csv
from schemas.records import JobEvent
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline, submit_file
from tests.support.kafka_read import read_topic

pytestmark = pytest.mark.integration


def registered_at(messages: list[Message]) -> dict[str, float]:
    """Job id -> when the producer registered it (its jobs record's timestamp, s)."""
    events = [JobEvent.model_validate_json(m.value() or b"") for m in messages]
    return {
        e.job_id: m.timestamp()[1] / 1000
        for e, m in zip(events, messages, strict=True)
        if e.kind == "registered"
    }


def test_an_idle_producer_takes_up_a_lone_upload_at_once(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    """consume() waits for all the records it asks for, or for its timeout: an idle producer
    asked for fifty upload records with half a second to wait, so a lone upload waited up to
    half a second (a quarter on average) before its parse began."""
    names = topic_names(kafka_settings)

    def registered(jobs: list[str]) -> dict[str, float]:
        messages = read_topic(
            kafka_settings,
            names.jobs,
            until=lambda ms: set(jobs) <= set(registered_at(ms)),
            timeout_s=90,
        )
        return registered_at(messages)

    producer = start_pipeline(kafka_settings, tmp_path / "logs", "producer")
    try:
        warm = submit_file(kafka_settings, write_orders_csv(tmp_path / "warm.csv", 50))
        registered([warm])  # the producer has its partitions
        jobs = []
        for n in range(6):
            path = write_orders_csv(tmp_path / f"lone-{n}.csv", 50, start_id=100 * (n + 1))
            time.sleep(0.3)  # the producer has gone idle again
            jobs.append(submit_file(kafka_settings, path))
        taken = registered(jobs)
        uploads = read_topic(
            kafka_settings, names.uploads("high"), until=lambda ms: len(ms) > len(jobs)
        )
    finally:
        producer.stop()
    queued = {(m.key() or b"").decode(): m.timestamp()[1] / 1000 for m in uploads}
    waits = [round(taken[job] - queued[job], 3) for job in jobs]
    assert statistics.mean(waits) < 0.15, f"upload record -> registered (s): {waits}"
