"""Dead letters: list them, and re-drive them onto the chunk topic they came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition

from messaging.clients import consumer_config
from messaging.names import group_names, instance_id, topic_names
from producer.publisher import Publisher
from schemas.records import DLQ_HEADERS, H_ERROR, H_SOURCE_TOPIC, ChunkHeaders
from schemas.settings import Settings

POLL_S = 1.0


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    partition: int
    key: str
    source_topic: str | None
    reason: str
    job_id: str | None
    chunk_no: int | None


def _headers(msg: Message) -> dict[str, bytes]:
    raw: Any = msg.headers() or []
    pairs: list[tuple[str, Any]] = list(raw.items() if isinstance(raw, dict) else raw)
    return {k: v if isinstance(v, bytes) else str(v).encode() for k, v in pairs if v is not None}


def _describe(msg: Message) -> DeadLetter:
    found = _headers(msg)
    try:
        meta: ChunkHeaders | None = ChunkHeaders.from_kafka(found)
    except (KeyError, ValueError):
        meta = None
    source = found.get(H_SOURCE_TOPIC)
    return DeadLetter(
        offset=msg.offset() or 0,
        partition=msg.partition() or 0,
        key=(msg.key() or b"").decode(errors="replace"),
        source_topic=source.decode() if source else None,
        reason=found.get(H_ERROR, b"").decode(errors="replace"),
        job_id=meta.job_id if meta else None,
        chunk_no=meta.chunk_no if meta else None,
    )


def _drain(consumer: Consumer, topic: str, idle_polls: int = 5) -> Iterator[Message]:
    """What the topic holds now: stops at the end offsets seen at the start, so a letter
    that comes back while we re-drive is left for the next run (no endless loop)."""
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ends = {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
        for p in partitions
    }
    pending = {p for p, end in ends.items() if end > 0}
    idle = 0
    while pending and idle < idle_polls:
        messages = consumer.consume(num_messages=500, timeout=POLL_S)
        idle = 0 if messages else idle + 1
        for msg in messages:
            partition, offset = msg.partition(), msg.offset()
            if msg.error() is not None or partition not in pending or offset is None:
                continue
            if offset >= ends[partition] - 1:
                pending.discard(partition)
            if offset < ends[partition]:
                yield msg


def dlq_consumer_config(settings: Settings, group: str) -> dict[str, Any]:
    return consumer_config(settings.kafka_bootstrap, group, offsets_reset="earliest")


def _dlq_consumer(settings: Settings, group: str) -> tuple[Consumer, str]:
    consumer = Consumer(dlq_consumer_config(settings, group))
    topic = topic_names(settings).dlq
    consumer.subscribe([topic])
    return consumer, topic


def list_dead_letters(settings: Settings) -> list[DeadLetter]:
    consumer, topic = _dlq_consumer(settings, group_names(settings).dlq_list(instance_id()))
    try:
        return [_describe(m) for m in _drain(consumer, topic)]
    finally:
        consumer.close()


def redrive(settings: Settings, job_id: str | None = None) -> int:
    """Re-publish dead letters (of one job, or all) to their source topic; a re-driven
    chunk that succeeds replaces its failure in the job's counts. Each dead letter is
    re-driven once by an unfiltered redrive: its group commits what it has handled."""
    consumer, topic = _dlq_consumer(settings, group_names(settings).dlq_redrive)
    count = 0
    try:
        with Publisher(settings) as publisher:
            for msg in _drain(consumer, topic):
                letter = _describe(msg)
                if letter.source_topic and (job_id is None or letter.job_id == job_id):
                    headers = [(k, v) for k, v in _headers(msg).items() if k not in DLQ_HEADERS]
                    publisher.produce(letter.source_topic, msg.value(), msg.key(), headers)
                    count += 1
            publisher.flush()
            # a job-filtered redrive leaves the other jobs' letters for a later redrive
            if count and job_id is None:
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return count
