"""Create the declared topics idempotently and report what already exists (the CLI's
`topics create`, `serve`, and every chunk worker at its start, for its datasets' result
topics)."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from messaging.clients import admin_config
from messaging.names import TopicSpec, declared_topics
from schemas.errors import BulkflowError
from schemas.settings import Settings

ADMIN_TIMEOUT_S = 30.0


class TopicError(BulkflowError):
    """A topic cannot be created or does not match its declaration."""


@dataclass(frozen=True)
class TopicReport:
    created: list[str]
    existing: list[str]
    mismatched: list[str]  # existing with another partition count than declared


def admin_client(settings: Settings) -> AdminClient:
    return AdminClient(admin_config(settings, socket_timeout_ms=10_000))


def create_topics(
    settings: Settings, datasets: list[str] | tuple[str, ...] = (), admin: AdminClient | None = None
) -> TopicReport:
    admin = admin or admin_client(settings)
    specs = declared_topics(settings, datasets)
    try:
        existing = admin.list_topics(timeout=ADMIN_TIMEOUT_S).topics
    except KafkaException as exc:
        raise TopicError(
            f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc}; "
            "start the local broker with `bulkflow broker start`"
        ) from exc
    missing = [s for s in specs if s.name not in existing]
    mismatched = [
        f"{s.name} has {len(existing[s.name].partitions)} partitions, declared {s.partitions}"
        for s in specs
        if s.name in existing and len(existing[s.name].partitions) != s.partitions
    ]
    created: list[str] = []
    if missing:
        futures = admin.create_topics(
            [_new_topic(s, settings.replication_factor) for s in missing],
            operation_timeout=ADMIN_TIMEOUT_S,
            request_timeout=ADMIN_TIMEOUT_S,
        )
        for name, future in futures.items():
            try:
                future.result(timeout=ADMIN_TIMEOUT_S)
                created.append(name)
            except KafkaException as exc:
                # another process created it between our listing and our request
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise TopicError(f"cannot create topic {name}: {exc}") from exc
    created_set = set(created)
    return TopicReport(
        created=sorted(created),
        existing=sorted(s.name for s in specs if s.name not in created_set),
        mismatched=mismatched,
    )


def _new_topic(spec: TopicSpec, replication: int) -> NewTopic:
    return NewTopic(
        spec.name,
        num_partitions=spec.partitions,
        replication_factor=replication,
        config=dict(spec.config),
    )
