"""Least privilege per process role: the Kafka ACLs each bulkflow role needs, built from
``messaging.names`` so that no topic or group name is written twice.

A role is what one kind of process does with Kafka: ``api``, ``producer``, ``worker``,
``aggregator``, ``operator`` (topics, replay, DLQ, re-parse) and ``reader`` (a downstream
system: the result topics, ``events``, ``progress`` and ``replays``, never the uploaded
files).
READ and WRITE imply DESCRIBE in Kafka; DESCRIBE alone is listed where a role only asks
for offsets (the lag probe). Idempotent producers need no cluster right: WRITE on a topic
implies it (Kafka 3.0 and later).

Pure: ``role_grants`` returns plain ``Grant`` records; ``messaging.acl_admin`` turns them
into the admin API's bindings and applies or checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from messaging.names import GroupNames, TopicNames, declared_topics
from schemas.settings import TIERS, Settings

ROLES = ("api", "producer", "worker", "aggregator", "operator", "reader")
Resource = Literal["topic", "group"]
Pattern = Literal["literal", "prefixed"]


@dataclass(frozen=True)
class Grant:
    """ALLOW ``operations`` on a topic or group, by exact name or by name prefix."""

    resource: Resource
    pattern: Pattern
    name: str
    operations: tuple[str, ...]

    def describe(self) -> str:
        star = "*" if self.pattern == "prefixed" else ""
        return f"{'/'.join(self.operations)} {self.resource} {self.name}{star}"


def role_user(role: str) -> str:
    """The Kafka user (SCRAM) or certificate common name (mTLS) of a role."""
    return f"bulkflow-{role}"


def _topics(ops: tuple[str, ...], *names: str) -> list[Grant]:
    return [Grant("topic", "literal", n, ops) for n in names]


def _groups(ops: tuple[str, ...], *names: str) -> list[Grant]:
    return [Grant("group", "literal", n, ops) for n in names]


def _group_prefix(ops: tuple[str, ...], prefix: str) -> Grant:
    return Grant("group", "prefixed", prefix, ops)


READ, WRITE, DESCRIBE = ("READ",), ("WRITE",), ("DESCRIBE",)
CREATE_TOPICS = ("CREATE", "DESCRIBE", "DESCRIBE_CONFIGS")


def _declared(prefix: str) -> list[str]:
    """The deployment's topics but the datasets' results topics (messaging.names)."""
    return [s.name for s in declared_topics(Settings.model_construct(topic_prefix=prefix))]


def role_grants(prefix: str, role: str) -> list[Grant]:
    """The ACLs of ``role`` in the deployment of ``prefix`` (settings.topic_prefix)."""
    t, g = TopicNames(prefix), GroupNames(prefix)
    uploads = [t.uploads(tier) for tier in TIERS]
    chunks = [t.chunks(tier) for tier in TIERS]
    results = Grant("topic", "prefixed", t.results(""), WRITE)
    # the lag probe: chunk topics' end offsets and the worker groups' commits
    lag = [
        *_topics(DESCRIBE, *chunks),
        *_groups(READ, g.lag_probe),
        _group_prefix(DESCRIBE, g.workers_prefix),
    ]
    grants: dict[str, list[Grant]] = {
        "api": [
            # jobs: a confirmed column mapping, and a paused upload that expires
            *_topics(WRITE, t.upload_blobs, *uploads, t.jobs),
            *_topics(("READ", "WRITE"), t.progress),
            *_topics(READ, t.chunk_results),
            _group_prefix(READ, g.progress_view("")),
            _group_prefix(READ, g.api_stats("")),
            *lag,
        ],
        "producer": [
            *_topics(READ, t.upload_blobs, *uploads),
            *_topics(WRITE, t.jobs, *chunks),
            *_groups(READ, g.producer, g.blob_fetch),
            *lag,
        ],
        "worker": [
            *_topics(READ, *chunks),
            *_topics(WRITE, t.chunk_results, t.dlq),
            # CREATE: a dataset added to the folder gets its results topic from its worker
            Grant("topic", "prefixed", t.results(""), ("WRITE", "CREATE")),
            _group_prefix(READ, g.workers_prefix),
        ],
        "aggregator": [
            *_topics(READ, t.jobs, t.chunk_results),
            *_topics(WRITE, t.progress, t.events),
            *_topics(("READ", "WRITE"), t.progress_changelog),
            *_groups(READ, g.aggregator),
        ],
        "operator": [
            # `bulkflow topics create`: every topic of the deployment, faust's changelog too
            # (DESCRIBE: it sees which exist, and their replicas)
            *_topics(CREATE_TOPICS, *_declared(prefix)),
            Grant("topic", "prefixed", t.results(""), CREATE_TOPICS),
            # replay (chunks -> database, results, chunk-results, events; the run on
            # replays), DLQ redrive (dlq -> chunks), re-parse (the uploaded file -> chunks,
            # jobs; it waits for the workers' chunk results)
            *_topics(("READ", "WRITE"), *chunks, t.chunk_results),
            *_topics(READ, t.dlq, t.progress, t.upload_blobs),
            *_topics(WRITE, t.events, t.replays, t.jobs),
            results,
            # bulkflow gc: the oldest record left on every topic that can replay a chunk
            *_topics(READ, *uploads),
            _group_prefix(READ, g.horizon_scan("")),
            _group_prefix(READ, g.replay_scan("")),
            _group_prefix(READ, g.dlq_read("")),
            _group_prefix(READ, g.job_lookup("")),
            *_groups(READ, g.blob_fetch),
        ],
        "reader": [
            Grant("topic", "prefixed", t.results(""), READ),
            *_topics(READ, t.events, t.progress, t.replays),
            _group_prefix(READ, g.reader("")),
        ],
    }
    if role not in grants:
        raise ValueError(f"roles are {', '.join(ROLES)}; got {role!r}")
    return grants[role]


def acl_table(prefix: str) -> str:
    """The roles' ACLs as a Markdown table (docs/deploy.md holds it, a test compares)."""
    rows = ["| role | allowed | on |", "| --- | --- | --- |"]
    for role in ROLES:
        merged: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for g in role_grants(prefix, role):
            name = f"`{g.name}*`" if g.pattern == "prefixed" else f"`{g.name}`"
            merged.setdefault((g.resource, g.operations), []).append(name)
        for (resource, ops), names in merged.items():
            plural = "s" if len(names) > 1 or names[0].endswith("*`") else ""
            rows.append(f"| {role} | {', '.join(ops)} | {resource}{plural} {', '.join(names)} |")
    return "\n".join(rows)
