"""Whether the local cluster is healthy: its group coordinator answers, a node is back in
the metadata, every partition has all its replicas in sync (the point at which a rolling
restart may take the next node down). Functions of a ``LocalCluster`` and a client's
settings (its admin's)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from messaging.acl_admin import group_readable
from messaging.clients import admin_config
from ops.errors import BrokerError
from schemas.settings import Settings

if TYPE_CHECKING:
    from ops.devservers.cluster import LocalCluster


def warm_group_coordinator(admin_settings: Settings, deadline: float) -> None:
    """The first group request makes Kafka create its offsets topic (three copies): made
    here, it does not hold up the first process's start."""
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            group_readable(admin_settings, "bulkflow-cluster-start", "bulkflow-cluster-start")
            return
        except KafkaException as exc:  # the coordinator is not there yet
            last = exc
            time.sleep(0.5)
    raise BrokerError(f"the cluster's group coordinator did not answer: {last}")


def out_of_sync(admin_settings: Settings) -> list[str]:
    """The partitions (of every topic) with a replica that has not caught up."""
    admin = AdminClient(admin_config(admin_settings, socket_timeout_ms=5_000))
    topics = admin.list_topics(timeout=10).topics
    return [
        f"{name}[{p}]"
        for name, meta in topics.items()
        for p, part in meta.partitions.items()
        if len(part.isrs) < len(part.replicas)
    ]


def wait_in_sync(admin_settings: Settings, timeout_s: float) -> None:
    """Until every partition has all its replicas in sync again, or fail."""
    deadline = time.monotonic() + timeout_s
    behind: list[str] = []
    while time.monotonic() < deadline:
        try:
            behind = out_of_sync(admin_settings)
        except KafkaException as exc:  # while a leader moves
            behind = [str(exc)]
        if not behind:
            return
        time.sleep(0.5)
    raise BrokerError(f"replicas not in sync within {timeout_s:.0f}s: {behind[:5]}")


def wait_up(cluster: LocalCluster, i: int, admin_settings: Settings, timeout_s: float) -> None:
    """Until node ``i`` is a live broker in the cluster's metadata again, or fail."""
    admin = AdminClient(admin_config(admin_settings, socket_timeout_ms=5_000))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not cluster.alive(i):
            raise BrokerError(f"node {i + 1} exited:\n{cluster.log_tail(i)}")
        try:
            if i + 1 in admin.list_topics(timeout=5).brokers:
                return
        except KafkaException:  # while the metadata moves
            pass
        time.sleep(0.5)
    raise BrokerError(f"node {i + 1} was not back within {timeout_s:.0f}s")
