"""What faust does after a rebalance, on the real broker: it drops every buffered record,
then seeks each partition to its committed offset. The records must be fetched again,
also from a partition that has no commit yet (a chunk was lost that way in a bench run)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from messaging.clients import admin_config
from messaging.faust_patches import apply_faust_patches
from schemas.settings import Settings

pytestmark = pytest.mark.integration
apply_faust_patches()  # what every bulkflow faust app does when it is built


def _topic_with(settings: Settings, topic: str, values: list[bytes]) -> None:
    bootstrap = settings.kafka_bootstrap
    admin = AdminClient(admin_config(settings))
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value)
    assert producer.flush(30) == 0


async def _refetched_after_seek(
    bootstrap: str, group: str, topic: str, commit: int | None
) -> list[bytes]:
    tp = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        if commit is not None:
            await consumer.commit({tp: commit})
        fetched: list[bytes] = []
        while len(fetched) < 3 - (commit or 0):  # read on: the fetch position moves past them
            batch = await consumer.getmany(tp, timeout_ms=5_000)
            assert batch, "the records were not fetched"
            fetched += [r.value for r in batch[tp]]
        # the rebalance: faust drops those records, then seeks back to the committed offset
        await asyncio.wait_for(consumer.seek_to_committed(tp), 30)
        again = await consumer.getmany(tp, timeout_ms=5_000)
        return [r.value for r in again.get(tp, [])]
    finally:
        await consumer.stop()


@pytest.mark.parametrize(
    ("commit", "expected"),
    [(None, [b"a", b"b", b"c"]), (0, [b"a", b"b", b"c"]), (2, [b"c"])],
    ids=["never committed", "committed at 0", "committed at 2"],
)
def test_records_dropped_by_a_rebalance_are_fetched_again(
    kafka_settings: Settings, consumer_group: str, commit: int | None, expected: list[bytes]
) -> None:
    topic = f"{kafka_settings.topic_prefix}.rebalance"
    _topic_with(kafka_settings, topic, [b"a", b"b", b"c"])

    got = asyncio.run(
        _refetched_after_seek(kafka_settings.kafka_bootstrap, consumer_group, topic, commit)
    )

    assert got == expected
