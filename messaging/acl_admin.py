"""The roles' ACLs (``messaging.acls``) through Kafka's admin API: made into bindings,
applied (CreateAcls, idempotent), and checked from the role's own side (which of its
rights Kafka grants it, through the topics' and groups' authorized operations)."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicCollection, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from messaging.acls import Grant, role_grants
from messaging.clients import consumer_config
from messaging.names import declared_topics
from schemas.settings import Settings

TIMEOUT_S = 10.0
# what a prefixed group grant is checked with (any name with the prefix holds the same rights)
PROBE_SUFFIX = "preflight"
_RESOURCES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
_PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


def bindings(grants: Iterable[Grant], principal: str) -> list[AclBinding]:
    """One ALLOW binding per grant and operation, from any host."""
    return [
        AclBinding(
            _RESOURCES[g.resource],
            g.name,
            _PATTERNS[g.pattern],
            principal,
            "*",
            AclOperation[op],
            AclPermissionType.ALLOW,
        )
        for g in grants
        for op in g.operations
    ]


def apply_grants(admin: AdminClient, grants: list[Grant], principal: str) -> int:
    """Create the bindings (Kafka keeps one of each, so applying twice changes nothing);
    how many were sent."""
    acls = bindings(grants, principal)
    for binding, future in admin.create_acls(acls, request_timeout=TIMEOUT_S).items():
        try:
            future.result(timeout=TIMEOUT_S)
        except KafkaException as exc:
            raise KafkaException(
                KafkaError(exc.args[0].code(), f"cannot create the ACL {binding}: {exc}")
            ) from exc
    return len(acls)


def missing_rights(
    admin: AdminClient, settings: Settings, role: str, datasets: Iterable[str] = ()
) -> list[str]:
    """What ``role`` needs and Kafka does not grant the client's user, as "OPERATION on
    topic NAME" phrases; empty when all is granted. A topic that does not exist yet is
    skipped (``bulkflow topics create`` makes it). Where the broker reports no authorized
    operations (no authorizer) nothing is missing. Groups are checked by reading the
    role's first group's offsets (DESCRIBE): the admin API's group requests can abort the
    process in librdkafka while a coordinator moves (see messaging/chunk_lag.py)."""
    grants = role_grants(settings.topic_prefix, role)
    declared = [s.name for s in declared_topics(settings, tuple(datasets))]
    topic_needs: dict[str, set[str]] = {}
    for g in (g for g in grants if g.resource == "topic"):
        names = (
            [n for n in declared if n.startswith(g.name)] if g.pattern == "prefixed" else [g.name]
        )
        for name in names:
            topic_needs.setdefault(name, set()).update(g.operations)
    problems = _topic_problems(admin, topic_needs)
    group = next((g for g in grants if g.resource == "group"), None)
    if group is not None and topic_needs and not problems:
        name = group.name + PROBE_SUFFIX if group.pattern == "prefixed" else group.name
        if not group_readable(settings, name, next(iter(topic_needs))):
            problems.append(f"{'/'.join(group.operations)} on group {name}")
    return problems


def group_readable(settings: Settings, group: str, topic: str) -> bool:
    """Whether the client may read ``group``'s committed offsets (of ``topic``): False on
    GROUP_AUTHORIZATION_FAILED. A consumer that never subscribes asks, so it joins no
    group and commits nothing."""
    consumer = Consumer(consumer_config(settings, group, overrides={"log_level": 0}))
    try:
        consumer.committed([TopicPartition(topic, 0)], timeout=TIMEOUT_S)
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.GROUP_AUTHORIZATION_FAILED:
            return False
        raise
    finally:
        consumer.close()
    return True


def _granted(authorized: list[AclOperation] | None) -> set[str] | None:
    if not authorized:
        return None
    return {op.name for op in authorized}


def _topic_problems(admin: AdminClient, needs: dict[str, set[str]]) -> list[str]:
    if not needs:
        return []
    futures = admin.describe_topics(
        TopicCollection(sorted(needs)),
        include_authorized_operations=True,
        request_timeout=TIMEOUT_S,
    )
    problems = []
    for name, future in futures.items():
        try:
            granted = _granted(future.result(timeout=TIMEOUT_S).authorized_operations)
        except KafkaException as exc:
            code = exc.args[0].code()
            if code == KafkaError.UNKNOWN_TOPIC_OR_PART:
                continue
            if code == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                problems.append(f"{'/'.join(sorted(needs[name]))} on topic {name}")
                continue
            raise
        if granted is not None and not needs[name] <= granted:
            problems.append(f"{'/'.join(sorted(needs[name] - granted))} on topic {name}")
    return problems
