"""Reading topics back in tests: statuses, events, chunk and result records."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable

from confluent_kafka import Consumer, Message

from messaging.clients import consumer_config
from messaging.consume import consume_ready
from messaging.names import topic_names
from schemas.records import ChunkResult, UploadStatus
from schemas.settings import Settings
from tests.support.waiting import wait_until


def read_topic(
    settings: Settings,
    topic: str,
    *,
    until: Callable[[list[Message]], bool],
    timeout_s: float = 60.0,
) -> list[Message]:
    """Read ``topic`` from the beginning until ``until(messages)`` holds; AssertionError
    after ``timeout_s``."""
    group = f"test-read-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(consumer_config(settings, group, offsets_reset="earliest"))
    consumer.subscribe([topic])
    got: list[Message] = []

    def enough() -> bool:
        if until(got):
            return True
        got.extend(m for m in consume_ready(consumer, 500, 0.5) if m.error() is None)
        return until(got)

    try:
        wait_until(enough, f"the records wanted on {topic}", timeout_s, every_s=0)
    finally:
        consumer.close()
    return got


def final_statuses(
    settings: Settings, job_ids: list[str], timeout_s: float = 120.0
) -> dict[str, UploadStatus]:
    """Follow the progress topic until every job has a final status; fail if one has not."""
    latest: dict[str, UploadStatus] = {}

    def done(messages: list[Message]) -> bool:
        for msg in messages[len(seen) :]:
            status = UploadStatus.model_validate_json(msg.value())
            latest[status.job_id] = status
        seen.extend(messages[len(seen) :])
        return all(j in latest and latest[j].is_final for j in job_ids)

    seen: list[Message] = []
    with contextlib.suppress(AssertionError):  # what is missing is said below
        read_topic(settings, topic_names(settings).progress, until=done, timeout_s=timeout_s)
    missing = {
        j: (latest[j].state if j in latest else "no status")
        for j in job_ids
        if j not in latest or not latest[j].is_final
    }
    assert not missing, f"jobs not final within {timeout_s:.0f}s: {missing}"
    return {j: latest[j] for j in job_ids}


def chunk_results_of(settings: Settings, job_id: str, count: int) -> list[ChunkResult]:
    """The job's first ``count`` records on ``chunk-results`` (a redelivered chunk counts again)."""
    messages = read_topic(
        settings,
        topic_names(settings).chunk_results,
        until=lambda ms: sum(m.key() == job_id.encode() for m in ms) >= count,
        timeout_s=90,
    )
    return [
        ChunkResult.model_validate_json(m.value()) for m in messages if m.key() == job_id.encode()
    ]


def job_events(
    settings: Settings,
    job_id: str,
    until: Callable[[list[dict[str, object]]], bool],
    timeout_s: float = 60.0,
) -> list[dict[str, object]]:
    """The job's records on ``events`` (as JSON objects, in order), read until ``until``
    holds for them or time is up."""
    found: list[dict[str, object]] = []

    def mine(messages: list[Message]) -> bool:
        found[:] = [json.loads(m.value()) for m in messages if m.key() == job_id.encode()]
        return until(found)

    read_topic(settings, topic_names(settings).events, until=mine, timeout_s=timeout_s)
    return found
