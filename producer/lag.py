"""How far the workers are behind on each chunk topic, in chunks (records).

The chunk-size policy reads it; it is cached for a few seconds because asking Kafka costs
a few round trips."""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from messaging.clients import admin_config, consumer_config
from messaging.names import group_names, topic_names
from schemas.settings import Settings, Tier

log = logging.getLogger(__name__)
CACHE_S = 5.0


def probe_consumer_config(settings: Settings) -> dict[str, Any]:
    """Only reads watermarks: it never subscribes nor commits."""
    return consumer_config(settings.kafka_bootstrap, group_names(settings).lag_probe)


def probe_admin_config(settings: Settings) -> dict[str, Any]:
    return admin_config(settings.kafka_bootstrap)


def worker_groups(settings: Settings, tier: Tier) -> set[str]:
    """The consumer groups whose commits on ``chunks.<tier>`` count: the worker apps' ids."""
    return set(group_names(settings).workers_reading(tier))


class ChunkLagProbe:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._admin = AdminClient(probe_admin_config(settings))
        self._consumer: Consumer | None = None
        self._cache: dict[str, tuple[float, int]] = {}

    def _watermarks(self, topic: str) -> dict[int, int]:
        if self._consumer is None:
            self._consumer = Consumer(probe_consumer_config(self.settings))
        meta = self._consumer.list_topics(topic, timeout=5).topics[topic]
        return {
            p: self._consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
            for p in meta.partitions
        }

    def _committed(self, topic: str, tier: Tier) -> dict[int, int]:
        """The furthest committed offsets of any worker group on the topic."""
        from confluent_kafka import ConsumerGroupTopicPartitions

        workers = worker_groups(self.settings, tier)
        groups = self._admin.list_consumer_groups(request_timeout=5).result(timeout=10)
        best: dict[int, int] = {}
        for group in groups.valid:
            if group.group_id not in workers:
                continue
            request = [ConsumerGroupTopicPartitions(group.group_id)]
            futures = self._admin.list_consumer_group_offsets(request, request_timeout=5)
            for future in futures.values():
                for tp in future.result(timeout=10).topic_partitions or []:
                    if tp.topic == topic and tp.offset >= 0:
                        best[tp.partition] = max(best.get(tp.partition, 0), tp.offset)
        return best

    def lag(self, tier: Tier) -> int:
        topic = topic_names(self.settings).chunks(tier)
        cached = self._cache.get(topic)
        now = time.monotonic()
        if cached and now - cached[0] < CACHE_S:
            return cached[1]
        try:
            high = self._watermarks(topic)
            committed = self._committed(topic, tier)
            value = sum(max(h - committed.get(p, 0), 0) for p, h in high.items())
        except Exception as exc:  # the policy falls back to the idle size; never block a job
            log.warning("cannot measure the lag of %s: %s", topic, exc)
            value = 0
        self._cache[topic] = (now, value)
        return value

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
