"""Create the declared topics idempotently and report what already exists (the CLI's
`topics create`, `serve`, and every chunk worker at its start, for its datasets' result
topics): with the settings' replication factor and ``min.insync.replicas``, and a word
about every existing topic that has fewer copies, or needs fewer in sync, than they say."""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from messaging.clients import admin_config
from messaging.names import TopicSpec, declared_topics, topic_names
from schemas.errors import BulkflowError
from schemas.settings import Settings

ADMIN_TIMEOUT_S = 30.0
MIN_INSYNC = "min.insync.replicas"


class TopicError(BulkflowError):
    """A topic cannot be created or does not match its declaration."""


@dataclass(frozen=True)
class TopicReport:
    created: list[str]
    existing: list[str]
    mismatched: list[str]  # existing with another partition count than declared
    # existing with fewer replicas or a lower min.insync.replicas than the settings say
    under_replicated: list[str] = field(default_factory=list)


def admin_client(settings: Settings) -> AdminClient:
    return AdminClient(admin_config(settings, socket_timeout_ms=10_000))


def create_topics(
    settings: Settings, datasets: list[str] | tuple[str, ...] = (), admin: AdminClient | None = None
) -> TopicReport:
    """Every declared topic of the deployment (``messaging.names.declared_topics``)."""
    return _create(settings, declared_topics(settings, datasets), admin)


def create_result_topics(
    settings: Settings, datasets: list[str] | tuple[str, ...], admin: AdminClient | None = None
) -> TopicReport:
    """Only the datasets' ``results.<dataset>`` topics: a worker makes a new dataset's at
    its start (it may create those and no other topic)."""
    wanted = {topic_names(settings).results(d) for d in datasets}
    return _create(
        settings, [s for s in declared_topics(settings, datasets) if s.name in wanted], admin
    )


def _create(settings: Settings, specs: list[TopicSpec], admin: AdminClient | None) -> TopicReport:
    admin = admin or admin_client(settings)
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
            [_new_topic(s, settings) for s in missing],
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
    there = [s.name for s in specs if s.name in existing]
    return TopicReport(
        created=sorted(created),
        existing=sorted(s.name for s in specs if s.name not in created_set),
        mismatched=mismatched,
        under_replicated=_under_replicated(admin, settings, existing, there),
    )


def _under_replicated(
    admin: AdminClient, settings: Settings, metadata: dict, names: list[str]
) -> list[str]:
    """A line for each topic with fewer replicas (per partition) or a lower
    ``min.insync.replicas`` than the settings: Kafka never changes them by itself."""
    lines = []
    for name in names:
        replicas = min((len(p.replicas) for p in metadata[name].partitions.values()), default=0)
        if replicas < settings.replication_factor:
            lines.append(
                f"{name} has {replicas} replicas, BULKFLOW_REPLICATION_FACTOR is "
                f"{settings.replication_factor} (kafka-reassign-partitions adds them)"
            )
    if settings.min_insync_replicas <= 1 or not names:
        return lines
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    for resource, future in admin.describe_configs(resources).items():
        try:
            entry = future.result(timeout=ADMIN_TIMEOUT_S).get(MIN_INSYNC)
        except KafkaException as exc:
            lines.append(f"{resource.name}: cannot read its {MIN_INSYNC} ({exc.args[0].str()})")
            continue
        value = int(entry.value) if entry is not None and entry.value is not None else 1
        if value < settings.min_insync_replicas:
            lines.append(
                f"{resource.name} has {MIN_INSYNC}={value}, BULKFLOW_MIN_INSYNC_REPLICAS is "
                f"{settings.min_insync_replicas} (kafka-configs --alter --add-config "
                f"{MIN_INSYNC}={settings.min_insync_replicas} sets it)"
            )
    return sorted(lines)


def _new_topic(spec: TopicSpec, settings: Settings) -> NewTopic:
    return NewTopic(
        spec.name,
        num_partitions=spec.partitions,
        replication_factor=settings.replication_factor,
        config={**spec.config, MIN_INSYNC: str(settings.min_insync_replicas)},
    )
