"""How far back the topics can still replay a chunk: the time of the oldest record left on
any partition of the replaying topics (``names.replaying_topics``).

A chunk ledger row written before that moment belongs to a chunk no topic holds any more:
no replay, redrive, redelivery or re-parse can write that chunk again, so retention may
remove the row. Read from what the brokers hold, not from the topics' configured
retention: a topic whose retention an operator raised (or that keeps a segment past it)
simply keeps its ledger rows longer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from messaging.clients import consumer_config
from messaging.names import group_names, instance_id, replaying_topics
from schemas.settings import Settings

SCAN_TIMEOUT_S = 30.0
WATERMARK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ReplayHorizon:
    """``oldest_ms``: the oldest record's timestamp (epoch ms), None when every partition is
    empty. Only valid when ``complete``: a partition not read leaves it unknown."""

    oldest_ms: int | None
    complete: bool
    partitions: int  # non-empty partitions read
    problem: str | None = None


def replay_horizon(settings: Settings, timeout_s: float = SCAN_TIMEOUT_S) -> ReplayHorizon:
    config = consumer_config(
        settings,
        group_names(settings).horizon_scan(instance_id()),
        offsets_reset="earliest",
        # one record per partition is all it wants; a fetch still returns a whole batch
        overrides={"max.partition.fetch.bytes": 1024, "fetch.max.bytes": 1024 * 1024},
    )
    consumer = Consumer(config)
    try:
        return _scan(consumer, replaying_topics(settings), timeout_s)
    except KafkaException as exc:
        return ReplayHorizon(None, False, 0, f"Kafka did not answer: {exc}")
    finally:
        consumer.close()


def _scan(consumer: Consumer, topics: list[str], timeout_s: float) -> ReplayHorizon:
    starts: list[TopicPartition] = []
    for topic in topics:
        meta = consumer.list_topics(topic, timeout=WATERMARK_TIMEOUT_S).topics.get(topic)
        if meta is None or meta.error is not None:
            continue  # a topic that is not there holds nothing (a dataset-less deployment)
        for partition in meta.partitions:
            tp = TopicPartition(topic, partition)
            low, high = consumer.get_watermark_offsets(tp, timeout=WATERMARK_TIMEOUT_S)
            if high > low:
                starts.append(TopicPartition(topic, partition, low))
    if not starts:
        return ReplayHorizon(None, True, 0)
    consumer.assign(starts)
    waiting = {(tp.topic, tp.partition) for tp in starts}
    oldest: int | None = None
    deadline = time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        for msg in consumer.consume(num_messages=len(waiting), timeout=1.0):
            error = msg.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    return ReplayHorizon(None, False, 0, error.str())
                continue
            where = (msg.topic() or "", msg.partition() or 0)
            if where not in waiting:
                continue
            waiting.discard(where)
            consumer.pause([TopicPartition(*where)])
            _, stamp = msg.timestamp()
            if stamp <= 0:  # a record without a time cannot bound anything
                return ReplayHorizon(None, False, 0, f"a record of {where[0]} has no timestamp")
            oldest = stamp if oldest is None else min(oldest, stamp)
    if waiting:
        unread = ", ".join(f"{t}[{p}]" for t, p in sorted(waiting)[:3])
        return ReplayHorizon(None, False, 0, f"no record read in {timeout_s:.0f}s from {unread}")
    return ReplayHorizon(oldest, True, len(starts))
