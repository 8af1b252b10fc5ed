"""How far the workers are behind on each chunk topic, in chunks (records).

The chunk-size policy reads it; it is cached for a few seconds because asking Kafka costs
a few round trips.

The workers' committed offsets are read with one long-lived Consumer per worker group
(``Consumer.committed``), not with the AdminClient: librdkafka's coordinator-targeted admin
requests (ListConsumerGroupOffsets, DescribeConsumerGroups) free their request state twice
when the coordinator connection drops mid-request, and the process aborts with
``rd_kafka_enq_once_del_source_return: Assertion `eonce->refcnt > 0' failed`` as the broker
comes back (librdkafka issue 4605, in 2.16, which the pins name). The consumers never
subscribe, so they never join the groups they read, and they commit nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import OFFSET_END, Consumer, KafkaException, TopicPartition

from messaging.clients import consumer_config
from messaging.names import group_names, topic_names
from schemas.settings import Settings, Tier

log = logging.getLogger(__name__)
CACHE_S = 5.0
REQUEST_TIMEOUT_S = 5.0


def probe_consumer_config(settings: Settings) -> dict[str, Any]:
    """Only reads watermarks: it never subscribes nor commits."""
    return consumer_config(settings, group_names(settings).lag_probe)


def committed_reader_config(settings: Settings, group: str) -> dict[str, Any]:
    """Reads ``group``'s committed offsets: it never subscribes (so never joins ``group``)
    and never commits."""
    return consumer_config(settings, group)


def worker_groups(settings: Settings, tier: Tier) -> set[str]:
    """The consumer groups whose commits on ``chunks.<tier>`` count: the worker apps' ids."""
    return set(group_names(settings).workers_reading(tier))


def furthest_offsets(committed: list[list[TopicPartition]]) -> dict[int, int]:
    """Per partition, the furthest offset any group committed (a group that never committed
    on a partition reports a negative offset and does not count)."""
    best: dict[int, int] = {}
    for partitions in committed:
        for tp in partitions:
            if tp.error is None and tp.offset >= 0:
                best[tp.partition] = max(best.get(tp.partition, 0), tp.offset)
    return best


class ChunkLagProbe:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._consumer: Consumer | None = None
        self._readers: dict[str, Consumer] = {}
        self._cache: dict[str, tuple[float, int]] = {}

    def _watermarks(self, topic: str) -> dict[int, int]:
        if self._consumer is None:
            self._consumer = Consumer(probe_consumer_config(self.settings))
        meta = self._consumer.list_topics(topic, timeout=REQUEST_TIMEOUT_S).topics[topic]
        # one ListOffsets request for every partition ("latest" is timestamp -1), not one
        # get_watermark_offsets request per partition
        latest = self._consumer.offsets_for_times(
            [TopicPartition(topic, p, OFFSET_END) for p in meta.partitions],
            timeout=REQUEST_TIMEOUT_S,
        )
        for tp in latest:
            if tp.error is not None:
                raise KafkaException(tp.error)
        return {tp.partition: tp.offset for tp in latest}

    def _reader(self, group: str) -> Consumer:
        reader = self._readers.get(group)
        if reader is None:
            reader = Consumer(committed_reader_config(self.settings, group))
            self._readers[group] = reader
        return reader

    def _committed(self, topic: str, tier: Tier, partitions: list[int]) -> dict[int, int]:
        """The furthest committed offsets of any worker group on the topic."""
        wanted = [TopicPartition(topic, p) for p in partitions]
        return furthest_offsets(
            [
                self._reader(group).committed(wanted, timeout=REQUEST_TIMEOUT_S)
                for group in sorted(worker_groups(self.settings, tier))
            ]
        )

    def lag(self, tier: Tier) -> int:
        topic = topic_names(self.settings).chunks(tier)
        cached = self._cache.get(topic)
        now = time.monotonic()
        if cached and now - cached[0] < CACHE_S:
            return cached[1]
        try:
            high = self._watermarks(topic)
            committed = self._committed(topic, tier, sorted(high))
            value = sum(max(h - committed.get(p, 0), 0) for p, h in high.items())
        except Exception as exc:  # the policy falls back to the idle size; never block a job
            log.warning("cannot measure the lag of %s: %s", topic, exc)
            value = 0
        self._cache[topic] = (now, value)
        return value

    def close(self) -> None:
        for client in [self._consumer, *self._readers.values()]:
            if client is not None:
                client.close()
        self._consumer = None
        self._readers.clear()
