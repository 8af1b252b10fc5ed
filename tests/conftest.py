"""Fixtures shared by the suite: a real Kafka broker, unique topic prefixes and groups.

The broker is found in this order: ``BULKFLOW_KAFKA_BOOTSTRAP``; a testcontainers Kafka
container when a Docker daemon answers; else the project's own local broker on free
ports in a temporary folder. All three are real Apache Kafka.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.settings import Settings, load_settings, packaged_datasets_dir

REPO_ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.support.pg_fixtures", "tests.support.cluster_fixtures"]


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("BULKFLOW_KAFKA_BOOTSTRAP"):
        yield os.environ["BULKFLOW_KAFKA_BOOTSTRAP"]
        return
    if os.environ.get("BULKFLOW_TEST_DOCKER", "1") == "1" and _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:7.6.1").with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    from ops.devservers.broker import LocalBroker, free_port

    home = tmp_path_factory.mktemp("kafka-home")
    settings = load_settings(home=home, broker_port=free_port(), controller_port=free_port())
    broker = LocalBroker(settings)
    broker.start(echo=lambda _m: None)
    try:
        yield broker.bootstrap
    finally:
        broker.stop(echo=lambda _m: None)


@pytest.fixture
def topic_prefix() -> str:
    """A prefix no other test shares, so topics never leak between tests."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def consumer_group(topic_prefix: str) -> str:
    return f"{topic_prefix}-group"


@pytest.fixture
def settings(tmp_path: Path, topic_prefix: str) -> Settings:
    """Settings of one test: its own prefix, home, database and spool; no broker yet."""
    return load_settings(
        topic_prefix=topic_prefix,
        home=tmp_path / "home",
        datasets_dir=packaged_datasets_dir(),
        chunk_partitions=4,
        topic_partitions=2,
    )


@pytest.fixture
def kafka_settings(settings: Settings, kafka_bootstrap: str) -> Settings:
    """Settings pointing at the session's real broker, topics created under the prefix."""
    from messaging.topics import create_topics

    live = settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap})
    create_topics(live, ["orders"])
    return live
