"""The chunk lag the size policy reads, on the real broker: the records of a chunk topic that
no worker group has committed yet."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from messaging.chunk_lag import ChunkLagProbe, worker_groups
from messaging.clients import consumer_config, producer_config
from messaging.names import topic_names
from schemas.settings import Settings, Tier
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_lag_counts_the_chunks_no_worker_group_has_committed(kafka_settings: Settings) -> None:
    topic = topic_names(kafka_settings).chunks("high")
    producer = Producer(producer_config(kafka_settings))
    placed: list[tuple[int | None, int | None]] = []
    for n in range(5):
        key = f"job-{n % 2}".encode()  # two jobs: two partitions at most
        producer.produce(
            topic,
            b"chunk",
            key,
            on_delivery=lambda _e, m: placed.append((m.partition(), m.offset())),
        )
    assert producer.flush(10) == 0 and len(placed) == 5

    # a new group's coordinator may answer NOT_COORDINATOR for a moment (the probe then
    # says 0 and logs it): ask again with a fresh probe, whose answer is not cached
    wait_for_lag(kafka_settings, "high", 5)

    # one worker group has handled the first two records of one of the partitions
    partition = placed[0][0] or 0
    group = sorted(worker_groups(kafka_settings, "high"))[0]
    committer = Consumer(consumer_config(kafka_settings, group))
    try:
        committer.commit(offsets=[TopicPartition(topic, partition, 2)], asynchronous=False)
    finally:
        committer.close()

    wait_for_lag(kafka_settings, "high", 3)
    wait_for_lag(kafka_settings, "low", 0)


def wait_for_lag(settings: Settings, tier: Tier, expected: int, timeout_s: float = 15) -> None:
    """Until a new probe answers ``expected`` (the commits it reads land asynchronously)."""

    def lag() -> int:
        probe = ChunkLagProbe(settings)
        try:
            return probe.lag(tier)
        finally:
            probe.close()

    wait_until(lambda: lag() == expected, f"a {tier} lag of {expected}", timeout_s, every_s=0.5)
