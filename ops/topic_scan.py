"""Read a topic back as it is now: every partition from a start (the beginning, or the first
record at or after a time) up to the end offsets seen at the start, with a consumer that is
assigned its partitions and commits nothing, so no consumer group's position moves.

Used by ``bulkflow replay`` (chunk topics) and ``bulkflow dlq`` (the DLQ topic);
``follow_topic`` reads on past the end, for ``bulkflow reparse`` waiting for its chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from messaging.clients import admin_config, consumer_config
from messaging.consume import consume_ready
from ops.errors import OpsError
from schemas.settings import Settings

POLL_S = 1.0
SCAN_BATCH = 500  # records taken from the consumer at a time
IDLE_POLLS = 10
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class PartitionRange:
    partition: int
    start: int  # first offset to read
    end: int  # one past the last offset present when the scan began
    low: int  # the earliest offset the broker still holds


def headers_of(msg: Message) -> dict[str, bytes]:
    raw: Any = msg.headers() or []
    pairs: list[tuple[str, Any]] = list(raw.items() if isinstance(raw, dict) else raw)
    return {k: v if isinstance(v, bytes) else str(v).encode() for k, v in pairs if v is not None}


def scan_consumer_config(settings: Settings, group: str) -> dict[str, Any]:
    return consumer_config(settings, group, offsets_reset="earliest")


def _ranges(consumer: Consumer, topic: str, since_ms: int | None) -> list[PartitionRange]:
    try:
        metadata = consumer.list_topics(topic, timeout=TIMEOUT_S).topics[topic]
    except KafkaException as exc:
        raise OpsError(f"cannot read topic {topic}: {exc}") from exc
    if metadata.error is not None:
        raise OpsError(f"topic {topic}: {metadata.error.str()}; run `bulkflow topics create`")
    ranges = []
    for p in sorted(metadata.partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT_S)
        start = low
        if since_ms is not None:
            found = consumer.offsets_for_times([TopicPartition(topic, p, since_ms)], TIMEOUT_S)
            # -1: no record at or after that time in this partition
            start = found[0].offset if found[0].offset >= 0 else high
        ranges.append(PartitionRange(p, max(start, low), high, low))
    return ranges


def scan_topic(
    settings: Settings, topic: str, group: str, *, since_ms: int | None = None
) -> Iterator[Message]:
    """Every record of ``topic`` from ``since_ms`` (or the beginning) to its end at the start.

    ``group`` is a name from messaging.names; nothing is ever committed under it."""
    consumer = Consumer(scan_consumer_config(settings, group))
    try:
        pending = {r.partition: r for r in _ranges(consumer, topic, since_ms) if r.start < r.end}
        if not pending:
            return
        consumer.assign([TopicPartition(topic, r.partition, r.start) for r in pending.values()])
        idle = 0
        while pending and idle < IDLE_POLLS:
            messages = consume_ready(consumer, SCAN_BATCH, POLL_S)
            idle = 0 if messages else idle + 1
            for msg in messages:
                partition, offset = msg.partition(), msg.offset()
                if msg.error() is not None or partition not in pending or offset is None:
                    continue
                end = pending[partition].end
                if offset >= end - 1:
                    del pending[partition]
                if offset < end:
                    yield msg
    finally:
        consumer.close()


def follow_topic(
    settings: Settings,
    topic: str,
    group: str,
    *,
    since_ms: int,
    done: Callable[[Message], bool],
    timeout_s: float,
) -> bool:
    """Hand every record of ``topic`` from ``since_ms`` on, as it comes, to ``done`` until
    it says True (then True), or until ``timeout_s`` passed (then False). Commits nothing."""
    consumer = Consumer(scan_consumer_config(settings, group))
    try:
        ranges = _ranges(consumer, topic, since_ms)
        consumer.assign([TopicPartition(topic, r.partition, r.start) for r in ranges])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for msg in consume_ready(consumer, SCAN_BATCH, POLL_S):
                if msg.error() is None and done(msg):
                    return True
        return False
    finally:
        consumer.close()


def earliest_offsets(settings: Settings, topic: str, group: str) -> dict[int, int]:
    """Each partition's earliest offset the broker still holds (retention moves it on)."""
    consumer = Consumer(scan_consumer_config(settings, group))
    try:
        return {r.partition: r.low for r in _ranges(consumer, topic, None)}
    finally:
        consumer.close()


def retention_ms(settings: Settings, topic: str) -> int | None:
    """The topic's ``retention.ms`` (None when unlimited or unknown)."""
    admin = AdminClient(admin_config(settings, socket_timeout_ms=10_000))
    resource = ConfigResource(ResourceType.TOPIC, topic)
    try:
        configs = admin.describe_configs([resource])[resource].result(timeout=TIMEOUT_S)
    except KafkaException:
        return None
    entry = configs.get("retention.ms")
    value = int(entry.value) if entry is not None and entry.value is not None else -1
    return value if value >= 0 else None
