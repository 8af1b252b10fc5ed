"""Every Kafka client gets its config from messaging.clients, with the exact settings each
use had before the builders existed (the values below are the ones written out by hand)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.pipeline_stats import stats_consumer_config
from api.progress_view import ProgressView, view_consumer_config
from messaging.chunk_lag import committed_reader_config, probe_consumer_config
from messaging.clients import admin_config, consumer_config, producer_config
from messaging.publisher import Publisher
from ops.topic_scan import scan_consumer_config
from producer.service import upload_consumer_config
from schemas.settings import Settings, load_settings

BOOTSTRAP = "kafka-1:9092,kafka-2:9092"
# what every client of an open cluster shares (messaging.clients.connection_config)
CONNECTION = {
    "bootstrap.servers": BOOTSTRAP,
    "security.protocol": "PLAINTEXT",
    "reconnect.backoff.max.ms": 1_000,
    "socket.connection.setup.timeout.ms": 10_000,
}


@pytest.fixture
def acme() -> Settings:
    return load_settings(topic_prefix="acme", kafka_bootstrap=BOOTSTRAP)


def test_the_publisher_config(acme: Settings) -> None:
    assert Publisher(acme)._config == {
        **CONNECTION,
        "enable.idempotence": True,
        "partitioner": "murmur2_random",
        "acks": "all",
        "compression.type": "none",
        "linger.ms": 5,
        "queue.buffering.max.kbytes": 64 * 1024,
        "queue.buffering.max.messages": 20_000,
        "message.max.bytes": 4 * 1024 * 1024,
        "delivery.timeout.ms": 120_000,
        "socket.keepalive.enable": True,
    }


def test_the_publisher_compresses_as_the_settings_say() -> None:
    settings = load_settings(kafka_bootstrap=BOOTSTRAP, publish_compression="lz4")
    assert Publisher(settings)._config["compression.type"] == "lz4"


def test_publisher_overrides_win(acme: Settings) -> None:
    config = Publisher(acme, **{"linger.ms": 50, "client.id": "bench"})._config
    assert config["linger.ms"] == 50 and config["client.id"] == "bench"
    assert config["partitioner"] == "murmur2_random"


def test_the_producer_service_upload_consumer(acme: Settings) -> None:
    assert upload_consumer_config(acme) == {
        **CONNECTION,
        "group.id": "acme-producer",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "max.poll.interval.ms": 30 * 60 * 1000,
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 1_000,
        "fetch.wait.max.ms": 1_500,
    }


def test_the_lag_probe_clients(acme: Settings) -> None:
    assert probe_consumer_config(acme) == {
        **CONNECTION,
        "group.id": "acme-lag-probe",
        "enable.auto.commit": False,
    }
    assert committed_reader_config(acme, "acme-chunks-high") == {
        **CONNECTION,
        "group.id": "acme-chunks-high",
        "enable.auto.commit": False,
    }


def test_the_api_stats_consumer(acme: Settings) -> None:
    assert stats_consumer_config(acme, "0a1b2c3d") == {
        **CONNECTION,
        "group.id": "acme-api-stats-0a1b2c3d",
        "auto.offset.reset": "latest",
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 1_500,
    }


def test_the_progress_view_consumer(acme: Settings) -> None:
    expected = {
        **CONNECTION,
        "group.id": "acme-api-view-0a1b2c3d",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10_000,
        "fetch.wait.max.ms": 1_500,
    }
    assert view_consumer_config(acme, "0a1b2c3d") == expected
    config = dict(ProgressView(acme)._config)
    assert re.fullmatch(r"acme-api-view-[0-9a-f]{8}", config.pop("group.id"))
    assert config == {key: value for key, value in expected.items() if key != "group.id"}
    shorter = view_consumer_config(acme, "0a1b2c3d", {"session.timeout.ms": 6_000})
    assert shorter == {**expected, "session.timeout.ms": 6_000}


def test_the_scanning_consumers(acme: Settings) -> None:
    # replay and dlq redrive read topics back: assigned partitions, nothing committed
    assert scan_consumer_config(acme, "acme-replay-scan-0a1b2c3d") == {
        **CONNECTION,
        "group.id": "acme-replay-scan-0a1b2c3d",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }


def test_the_admin_clients(acme: Settings) -> None:
    # messaging/topics.py and ops/localhost.py bound each request; the lag probe does not
    assert admin_config(acme, socket_timeout_ms=10_000) == {
        **CONNECTION,
        "socket.timeout.ms": 10_000,
    }
    assert admin_config(acme) == CONNECTION


def test_a_consumer_commits_by_hand_unless_asked(acme: Settings) -> None:
    assert consumer_config(acme, "g")["enable.auto.commit"] is False
    assert consumer_config(acme, "g", auto_commit=True)["enable.auto.commit"] is True
    assert consumer_config(acme, "g", overrides={"fetch.min.bytes": 1})["fetch.min.bytes"] == 1


def test_a_producer_config_is_a_fresh_dict(acme: Settings) -> None:
    first = producer_config(acme)
    first["acks"] = "1"
    assert producer_config(acme)["acks"] == "all"


def test_a_supervised_producer_is_a_static_member_noticed_within_seconds() -> None:
    settings = load_settings(topic_prefix="acme", instance_id="producer-1-0a1b2c3d4e")
    config = upload_consumer_config(settings)
    assert config["group.instance.id"] == "producer-1-0a1b2c3d4e"
    assert config["session.timeout.ms"] <= 10_000
    assert config["heartbeat.interval.ms"] * 3 <= config["session.timeout.ms"]


def test_an_unsupervised_process_keeps_dynamic_membership(acme: Settings) -> None:
    assert "group.instance.id" not in upload_consumer_config(acme)
    assert "group.instance.id" not in consumer_config(acme, "g", instance_id="")


def test_the_faust_apps_share_the_session_and_the_instance_id(tmp_path: Path) -> None:
    from stream_processors.faust_common import build_faust_app

    settings = load_settings(home=tmp_path, instance_id="worker-1-0a1b2c3d4e")
    conf = build_faust_app(settings, "acme-chunks-high").conf
    assert conf.consumer_group_instance_id == "worker-1-0a1b2c3d4e"
    assert conf.broker_session_timeout == 10.0
    assert conf.broker_heartbeat_interval == 1.0
    dynamic = build_faust_app(load_settings(home=tmp_path), "acme-progress").conf
    assert dynamic.consumer_group_instance_id is None


def test_an_instance_id_kafka_would_refuse_is_a_config_error() -> None:
    from schemas.errors import ConfigError

    with pytest.raises(ConfigError, match="BULKFLOW_INSTANCE_ID"):
        load_settings(instance_id="worker 1/host")
