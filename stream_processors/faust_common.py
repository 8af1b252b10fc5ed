"""What the worker and the aggregator apps share: faust's settings, built from ours, and
the raw (bytes in, bytes out) topics they read and send."""

from __future__ import annotations

from typing import Any

import faust

from messaging.clients import HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS
from messaging.faust_patches import apply_faust_patches
from messaging.security import faust_credentials
from schemas.settings import Settings


def faust_broker_url(settings: Settings) -> str:
    hosts = [h.strip() for h in settings.kafka_bootstrap.split(",") if h.strip()]
    return ";".join(f"kafka://{h}" for h in hosts)


def build_faust_app(settings: Settings, app_id: str, **extra: Any) -> faust.App:
    # every bulkflow faust app runs with the patches, on the pinned faust/aiokafka only
    apply_faust_patches()
    datadir = (settings.home / "faust" / app_id).resolve()
    datadir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "broker": faust_broker_url(settings),
        # the same protocol, login and TLS as the confluent-kafka clients (messaging/security.py)
        "broker_credentials": faust_credentials(settings),
        "store": "memory://",
        "processing_guarantee": "at_least_once",
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.replication_factor,
        "datadir": str(datadir),
        "web_enabled": False,
        # chunk records are up to 1 MiB: keep few of them waiting in memory
        "stream_buffer_maxsize": 128,
        "broker_max_poll_records": 200,
        "consumer_max_fetch_size": 8 * 1024 * 1024,
        "producer_max_request_size": 4 * 1024 * 1024,
        "producer_acks": -1,
        # results and progress are many small records: batch them for a few ms; faust's
        # defaults (no linger, 16 KB) send each alone. Compression is a setting (aiokafka's
        # lz4 is cramjam): see BULKFLOW_STREAM_COMPRESSION
        "producer_linger": 0.005,
        "producer_max_batch_size": 512 * 1024,
        "producer_compression_type": (
            None if settings.stream_compression == "none" else settings.stream_compression
        ),
        "broker_commit_every": 100,
        "broker_commit_interval": 1.0,
        "consumer_auto_offset_reset": "earliest",
        # a killed worker's partitions move on within seconds, not faust's default minute;
        # restarted under the supervisor it is the same static member and takes them back
        "broker_session_timeout": SESSION_TIMEOUT_MS / 1000,
        "broker_heartbeat_interval": HEARTBEAT_INTERVAL_MS / 1000,
        "consumer_group_instance_id": settings.instance_id or None,
        # every topic, faust's own changelog included, is declared in messaging/names.py
        # and made by `bulkflow topics create` with the replication settings: faust creates
        # none (and needs no right to), and its leader-election topic is not used
        "topic_allow_declare": False,
        "topic_disable_leader": True,
    }
    options.update(extra)
    return faust.App(app_id, **options)


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """The topics ``names`` (one or several, read as one stream) with bytes keys and values:
    the records are our own JSON or Arrow."""
    return app.topic(
        *names, key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw"
    )
