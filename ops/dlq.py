"""Dead letters as a state: list the outstanding ones, re-drive them, discard them.

The state lives in the database (``bulkflow_dead_letters``, database/dead_letters.py); the
DLQ topic keeps the letters' payloads, which a redrive reads back and re-publishes onto the
chunk topic they came from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Producer
from sqlalchemy import Engine

from database.dead_letters import DeadLetterRow, list_letters, mark, unmark_redriven
from database.engine import make_engine
from database.migrations import ensure_schema
from messaging.clients import producer_config
from messaging.names import group_names, instance_id, topic_names
from ops.errors import OpsError
from ops.topic_scan import headers_of, scan_topic
from schemas.headers import DLQ_HEADERS, H_SOURCE_TOPIC, ChunkHeaders
from schemas.settings import Settings

SEND_TIMEOUT_S = 60.0
# a DLQ record to send back: (source topic, key, value, headers)
Record = tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]


@dataclass(frozen=True)
class RedriveReport:
    redriven: list[DeadLetterRow] = field(default_factory=list)
    # outstanding letters whose record has left the DLQ topic (past its retention)
    not_found: list[DeadLetterRow] = field(default_factory=list)
    # letters Kafka did not take (with why): still outstanding, to re-drive again
    undelivered: list[tuple[DeadLetterRow, str]] = field(default_factory=list)


class ChunkProducer(Protocol):
    """The part of confluent_kafka.Producer a redrive uses (a fake one in unit tests)."""

    def produce(
        self, topic: str, value: Any = ..., key: Any = ..., *, headers: Any, on_delivery: Any
    ) -> None: ...
    def poll(self, timeout: float = ...) -> int: ...
    def flush(self, timeout: float = ...) -> int: ...


def letters_engine(settings: Settings) -> Engine:
    engine = make_engine(settings.db_url)
    ensure_schema(engine)  # a fresh database has no letters, and says so
    return engine


def list_dead_letters(
    settings: Settings,
    *,
    include_all: bool = False,
    job_ids: Iterable[str] = (),
    reason: str | None = None,
) -> list[DeadLetterRow]:
    engine = letters_engine(settings)
    try:
        return list_letters(
            engine, include_all=include_all, job_ids=job_ids, reason_contains=reason
        )
    finally:
        engine.dispose()


def redrive(
    settings: Settings, *, job_ids: Iterable[str] = (), reason: str | None = None
) -> RedriveReport:
    """Re-publish outstanding letters (of some jobs, with a reason, or all) onto their chunk
    topic and mark them re-driven. A letter that fails again is outstanding again, one
    attempt more (the worker records it); one that succeeds is resolved by its ledger row.
    A letter Kafka does not take stays outstanding."""
    engine = letters_engine(settings)
    try:
        wanted = {
            (d.job_id, d.chunk_no): d
            for d in list_letters(engine, job_ids=job_ids, reason_contains=reason)
        }
        if not wanted:
            return RedriveReport()
        latest = _latest_records(settings, set(wanted))
        found = [wanted[key] for key in wanted if key in latest]
        gone = [d for key, d in wanted.items() if key not in latest]
        producer = Producer(producer_config(settings, compression=settings.publish_compression))
        failed = send_letters(engine, producer, found, latest)
        delivered = [d for d in found if (d.job_id, d.chunk_no) not in failed]
        undelivered = [(d, failed[(d.job_id, d.chunk_no)]) for d in found if d not in delivered]
        return RedriveReport(delivered, gone, undelivered)
    finally:
        engine.dispose()


def send_letters(
    engine: Engine,
    producer: ChunkProducer,
    letters: list[DeadLetterRow],
    records: Mapping[tuple[str, int], Record],
    timeout_s: float = SEND_TIMEOUT_S,
) -> dict[tuple[str, int], str]:
    """Publish the letters' records; returns the ones not delivered, with why, which are
    outstanding again. Marked ``redriven`` before sending: a failure the worker records
    after a delivery must win over this mark (outstanding again, one attempt more)."""
    keys = [(d.job_id, d.chunk_no) for d in letters]
    mark(engine, keys, "redriven")
    outcome: dict[tuple[str, int], str | None] = {}  # None: delivered

    def reported(key: tuple[str, int]) -> Callable[[KafkaError | None, Any], None]:
        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            outcome[key] = None if err is None else err.str()

        return on_delivery

    deadline = time.monotonic() + timeout_s
    for key in keys:
        topic, record_key, value, headers = records[key]
        while key not in outcome:
            try:
                producer.produce(
                    topic, value, record_key, headers=headers, on_delivery=reported(key)
                )
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                if time.monotonic() > deadline:
                    outcome[key] = "the producer's queue stayed full"
                producer.poll(0.1)
            except KafkaException as exc:
                outcome[key] = str(exc)
        producer.poll(0)
    producer.flush(max(deadline - time.monotonic(), 1.0))
    failed = {
        key: outcome.get(key) or f"not delivered within {timeout_s:.0f}s"
        for key in keys
        if outcome.get(key, "") is not None
    }
    unmark_redriven(engine, failed)
    return failed


def _latest_records(
    settings: Settings, wanted: set[tuple[str, int]]
) -> dict[tuple[str, int], Record]:
    """The last DLQ record of each wanted letter, as (source topic, key, value, headers)."""
    names = topic_names(settings)
    group = group_names(settings).dlq_read(instance_id())
    latest: dict[tuple[str, int], Record] = {}
    for msg in scan_topic(settings, names.dlq, group):
        found = headers_of(msg)
        try:
            meta = ChunkHeaders.from_kafka(found)
        except (KeyError, ValueError):
            continue  # no job to name: such a letter was never recorded either
        source = found.get(H_SOURCE_TOPIC)
        if (meta.job_id, meta.chunk_no) not in wanted or not source:
            continue
        headers = [(k, v) for k, v in found.items() if k not in DLQ_HEADERS]
        latest[(meta.job_id, meta.chunk_no)] = (source.decode(), msg.key(), msg.value(), headers)
    return latest


def discard(
    settings: Settings,
    why: str,
    *,
    job_ids: Iterable[str] = (),
    chunk_no: int | None = None,
    reason: str | None = None,
) -> list[DeadLetterRow]:
    """Mark outstanding letters discarded, with why; they leave the default listing."""
    if not why.strip():
        raise OpsError("say why the letters are discarded (--why)")
    engine = letters_engine(settings)
    try:
        letters = list_letters(engine, job_ids=job_ids, reason_contains=reason)
        chosen = [d for d in letters if chunk_no is None or d.chunk_no == chunk_no]
        mark(engine, [(d.job_id, d.chunk_no) for d in chosen], "discarded", discard_reason=why)
        return chosen
    finally:
        engine.dispose()
