"""The confluent-kafka client configs: one builder each for the Producer, the Consumer and
the AdminClient. Every place that builds such a client takes its config from here, so a
setting that must hold everywhere (the partitioner, idempotence, the security properties of
``messaging.security``) is written once.

The builders return dicts; the caller builds the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from messaging.security import librdkafka_security
from schemas.settings import Settings

OffsetsReset = Literal["earliest", "latest"]

# How soon a group notices a member that died without leaving (SIGKILL, a lost host): the
# client defaults (librdkafka 45 s, faust 60 s) stalled a killed process's jobs for a minute
# although the supervisor restarts it within seconds. Heartbeats at a tenth of it keep a
# busy but live member in its group. The broker accepts 6 s and up (group.min.session...).
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 1_000
# How long the broker holds an empty fetch of a long-lived follower (the producer's upload
# consumer, the API's status view and chunk stats) before answering "nothing": a record that
# arrives is answered at once, so this only sets how often an idle follower asks again.
# librdkafka's 500 ms made each ask twice a second; faust's consumers wait 1500 ms.
FOLLOWER_FETCH_WAIT_MS = 1_500


# A broker that went away is tried again at most this often: librdkafka backs off up to
# 10 s, so a client could wait that long for a node back from a restart (a rolling restart
# moves leaders back and forth).
RECONNECT_BACKOFF_MAX_MS = 1_000
# A connection (TCP, TLS and SASL) not set up by then is given up and tried elsewhere: a
# host that vanished without a reset held a client for librdkafka's 30 s.
CONNECTION_SETUP_TIMEOUT_MS = 10_000


def connection_config(settings: Settings) -> dict[str, Any]:
    """What every client shares: where Kafka is, how to log in, how to fail over."""
    return {
        "bootstrap.servers": settings.kafka_bootstrap,
        **librdkafka_security(settings),
        "reconnect.backoff.max.ms": RECONNECT_BACKOFF_MAX_MS,
        "socket.connection.setup.timeout.ms": CONNECTION_SETUP_TIMEOUT_MS,
    }


def producer_config(
    settings: Settings, overrides: Mapping[str, Any] | None = None, compression: str = "none"
) -> dict[str, Any]:
    """Idempotent, bounded in flight, compressed by ``compression`` (settings'
    publish_compression); ``overrides`` win (benches, tests)."""
    config: dict[str, Any] = {
        **connection_config(settings),
        "enable.idempotence": True,
        # the Java client's (and aiokafka's) partitioner: faust writes chunk-results and
        # progress with it, and a job's records must land on the same partition number
        # on every co-partitioned topic, whoever wrote them
        "partitioner": "murmur2_random",
        "acks": "all",
        "compression.type": compression,
        "linger.ms": 5,
        # bound what waits in memory: produce() blocks (we poll) instead of growing
        "queue.buffering.max.kbytes": 64 * 1024,
        "queue.buffering.max.messages": 20_000,
        "message.max.bytes": 4 * 1024 * 1024,
        "delivery.timeout.ms": 120_000,
        "socket.keepalive.enable": True,
    }
    config.update(overrides or {})
    return config


def consumer_config(
    settings: Settings,
    group: str,
    *,
    offsets_reset: OffsetsReset | None = None,
    auto_commit: bool = False,
    auto_offset_store: bool | None = None,
    partition_eof: bool | None = None,
    session_timeout_ms: int | None = None,
    heartbeat_interval_ms: int | None = None,
    max_poll_interval_ms: int | None = None,
    fetch_wait_max_ms: int | None = None,
    instance_id: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A consumer of ``group`` (a name from ``messaging.names``). Offsets are committed by
    hand unless ``auto_commit``: every bulkflow consumer commits only what it has handled.
    ``instance_id`` makes it a static member (``group.instance.id``): restarted with the same
    id, it takes its partitions back without waiting for its old session to expire.
    A parameter left at None (or an empty ``instance_id``) leaves librdkafka's default."""
    config: dict[str, Any] = {
        **connection_config(settings),
        "group.id": group,
        "enable.auto.commit": auto_commit,
    }
    optional = {
        "auto.offset.reset": offsets_reset,
        "enable.auto.offset.store": auto_offset_store,
        "enable.partition.eof": partition_eof,
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": heartbeat_interval_ms,
        "max.poll.interval.ms": max_poll_interval_ms,
        "fetch.wait.max.ms": fetch_wait_max_ms,
        "group.instance.id": instance_id or None,
    }
    config.update({key: value for key, value in optional.items() if value is not None})
    config.update(overrides or {})
    return config


def admin_config(settings: Settings, *, socket_timeout_ms: int | None = None) -> dict[str, Any]:
    """An AdminClient; ``socket_timeout_ms`` bounds one request (librdkafka's default is 60 s)."""
    config = connection_config(settings)
    if socket_timeout_ms is not None:
        config["socket.timeout.ms"] = socket_timeout_ms
    return config
