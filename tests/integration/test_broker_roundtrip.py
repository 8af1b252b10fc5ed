"""The broker is real: topics as declared, and records go round trip through
confluent-kafka and through faust."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Message, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from messaging.clients import admin_config, consumer_config
from messaging.names import declared_topics, topic_names
from messaging.topics import create_topics
from schemas.settings import Settings
from tests.conftest import REPO_ROOT
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def _consume(settings: Settings, group: str, topic: str, count: int, timeout_s: float) -> list:
    config = consumer_config(settings, group, offsets_reset="earliest", auto_commit=True)
    consumer = Consumer(config)
    consumer.subscribe([topic])
    got: list[Message] = []

    def enough() -> bool:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got.append(msg)
        return len(got) >= count

    try:
        wait_until(enough, f"{count} records on {topic}", timeout_s, every_s=0)
    finally:
        consumer.close()
    return got


def test_topics_are_created_as_declared(kafka_settings: Settings) -> None:
    admin = AdminClient(admin_config(kafka_settings))
    declared = declared_topics(kafka_settings, ["orders"])
    meta = admin.list_topics(timeout=10).topics
    for spec in declared:
        assert spec.name in meta, spec.name
        assert len(meta[spec.name].partitions) == spec.partitions, spec.name

    progress = topic_names(kafka_settings).progress
    resource = ConfigResource(ConfigResource.Type.TOPIC, progress)
    config = admin.describe_configs([resource])[resource].result(timeout=10)
    assert config["cleanup.policy"].value == "compact"
    chunks = topic_names(kafka_settings).chunks("low")
    resource = ConfigResource(ConfigResource.Type.TOPIC, chunks)
    config = admin.describe_configs([resource])[resource].result(timeout=10)
    assert int(config["max.message.bytes"].value) > kafka_settings.chunk_max_bytes

    # idempotent: a second run creates nothing and reports every topic as existing
    again = create_topics(kafka_settings, ["orders"])
    assert again.created == []
    assert sorted(again.existing) == sorted(s.name for s in declared)


def test_confluent_round_trip(kafka_settings: Settings, consumer_group: str) -> None:
    topic = topic_names(kafka_settings).jobs
    producer = Producer({"bootstrap.servers": kafka_settings.kafka_bootstrap, "acks": "all"})
    for i in range(20):
        producer.produce(topic, key=f"job-{i % 3}".encode(), value=f"v{i}".encode())
    assert producer.flush(15) == 0
    got = _consume(kafka_settings, consumer_group, topic, 20, 30)
    assert sorted(m.value().decode() for m in got) == sorted(f"v{i}" for i in range(20))
    # one key always lands on one partition: that is what keeps a job's records in order
    by_key: dict[bytes, set[int]] = {}
    for m in got:
        by_key.setdefault(m.key(), set()).add(m.partition())
    assert all(len(parts) == 1 for parts in by_key.values())


def test_faust_round_trip(
    kafka_settings: Settings, topic_prefix: str, consumer_group: str, tmp_path: Path
) -> None:
    kafka_bootstrap = kafka_settings.kafka_bootstrap
    admin = AdminClient(admin_config(kafka_settings))
    names = [f"{topic_prefix}.echo.in", f"{topic_prefix}.echo.out"]
    for future in admin.create_topics([NewTopic(n, 2, 1) for n in names]).values():
        future.result(timeout=30)
    env = {
        **os.environ,
        "ECHO_PREFIX": topic_prefix,
        "ECHO_DATADIR": str(tmp_path / "faust-data"),
        "BULKFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }
    log = tmp_path / "faust.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.apps.faust_echo", "worker", "-l", "info"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        producer = Producer({"bootstrap.servers": kafka_bootstrap})
        for i in range(10):
            producer.produce(names[0], key=str(i).encode(), value=f"hello {i}".encode())
        assert producer.flush(15) == 0
        got = _consume(kafka_settings, consumer_group, names[1], 10, 60)
        echoed = sorted(m.value().decode() for m in got)
        assert echoed == sorted(f"HELLO {i}" for i in range(10)), log.read_text()[-3000:]
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)


def test_our_producer_and_faust_put_a_key_on_the_same_partition(
    kafka_settings: Settings,
) -> None:
    """jobs (confluent-kafka) and chunk-results (faust/aiokafka) are joined by job id, and
    progress is written by both: the two clients must agree on the partition of a key."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    from messaging.publisher import Publisher

    names = topic_names(kafka_settings)
    keys = [f"job-{i:03d}-{i * 7919}".encode() for i in range(40)]
    with Publisher(kafka_settings) as publisher:
        for key in keys:
            publisher.produce(names.jobs, b"x", key)
    ours = {
        m.key(): m.partition()
        for m in _consume(kafka_settings, f"{kafka_settings.topic_prefix}-p", names.jobs, 40, 30)
    }

    async def faust_side() -> dict[bytes, int]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap)
        await producer.start()
        try:
            return {
                k: (await producer.send_and_wait(names.chunk_results, b"y", key=k)).partition
                for k in keys
            }
        finally:
            await producer.stop()

    theirs = asyncio.run(faust_side())
    assert len(set(ours.values())) > 1  # the keys really spread
    assert ours == theirs
