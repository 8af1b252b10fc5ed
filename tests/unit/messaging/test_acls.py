"""Each role's ACLs: what its processes use and nothing more; the downstream reader never
sees an uploaded file; no deployment's ACLs reach another's names; docs/deploy.md shows
exactly what the code grants."""

from __future__ import annotations

import re

import pytest
from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType

from messaging.acl_admin import bindings
from messaging.acls import ROLES, Grant, acl_table, role_grants
from messaging.names import GroupNames, TopicNames, declared_topics
from schemas.settings import TIERS, load_settings
from tests.conftest import REPO_ROOT
from tests.unit.messaging.test_names import INSTANCE, all_names

# Kafka: READ and WRITE imply DESCRIBE
IMPLIED = {"READ": {"DESCRIBE"}, "WRITE": {"DESCRIBE"}}


def allows(grants: list[Grant], resource: str, name: str, operation: str) -> bool:
    for g in grants:
        matches = name.startswith(g.name) if g.pattern == "prefixed" else name == g.name
        implied = set(g.operations).union(*(IMPLIED.get(op, set()) for op in g.operations))
        if g.resource == resource and matches and operation in implied:
            return True
    return False


def test_the_reader_reads_results_events_progress_and_replays_only() -> None:
    t = TopicNames("acme")
    grants = role_grants("acme", "reader")
    assert all(g.operations == ("READ",) for g in grants)
    assert allows(grants, "topic", t.results("orders"), "READ")
    assert allows(grants, "topic", t.events, "READ")
    assert allows(grants, "topic", t.progress, "READ")
    assert allows(grants, "topic", t.replays, "READ")
    assert allows(grants, "group", GroupNames("acme").reader("billing"), "READ")
    private = [t.upload_blobs, t.jobs, t.chunk_results, t.dlq, t.progress_changelog]
    private += [t.uploads(tier) for tier in TIERS] + [t.chunks(tier) for tier in TIERS]
    for name in private:
        assert not allows(grants, "topic", name, "DESCRIBE"), name


# what each role's processes do, in messaging/names.py's words (topic, operation)
def uses(prefix: str) -> dict[str, list[tuple[str, str, str]]]:
    t, g = TopicNames(prefix), GroupNames(prefix)
    chunks = [t.chunks(tier) for tier in TIERS]
    uploads = [t.uploads(tier) for tier in TIERS]
    lag = [("topic", c, "DESCRIBE") for c in chunks] + [
        ("group", g.lag_probe, "READ"),
        ("group", g.workers(("high",)), "DESCRIBE"),
    ]
    return {
        "api": [
            ("topic", t.upload_blobs, "WRITE"),
            *(("topic", u, "WRITE") for u in uploads),
            ("topic", t.progress, "WRITE"),
            ("topic", t.progress, "READ"),
            # a confirmed column mapping, and a paused upload that expires
            ("topic", t.jobs, "WRITE"),
            ("topic", t.chunk_results, "READ"),
            ("group", g.progress_view(INSTANCE), "READ"),
            ("group", g.api_stats(INSTANCE), "READ"),
            *lag,
        ],
        "producer": [
            *(("topic", u, "READ") for u in [*uploads, t.upload_blobs]),
            *(("topic", c, "WRITE") for c in [*chunks, t.jobs]),
            ("group", g.producer, "READ"),
            ("group", g.blob_fetch, "READ"),
            *lag,
        ],
        "worker": [
            *(("topic", c, "READ") for c in chunks),
            ("topic", t.chunk_results, "WRITE"),
            ("topic", t.dlq, "WRITE"),
            ("topic", t.results("orders"), "WRITE"),
            ("topic", t.results("invoices"), "CREATE"),
            *(("group", g.workers(tiers), "READ") for tiers in [("high",), TIERS]),
        ],
        "aggregator": [
            ("topic", t.jobs, "READ"),
            ("topic", t.chunk_results, "READ"),
            ("topic", t.progress, "WRITE"),
            ("topic", t.events, "WRITE"),
            ("topic", t.progress_changelog, "READ"),
            ("topic", t.progress_changelog, "WRITE"),
            ("group", g.aggregator, "READ"),
        ],
        "operator": [
            *(
                ("topic", s.name, op)
                for s in declared_topics(load_settings(topic_prefix=prefix), ["orders"])
                for op in ("CREATE", "DESCRIBE_CONFIGS")
            ),
            *(("topic", c, op) for c in chunks for op in ("READ", "WRITE")),
            ("topic", t.dlq, "READ"),
            ("topic", t.upload_blobs, "READ"),
            ("topic", t.results("orders"), "WRITE"),
            ("topic", t.events, "WRITE"),
            ("topic", t.replays, "WRITE"),
            # bulkflow reparse waits for the workers' chunk results of its replay
            ("topic", t.chunk_results, "READ"),
            ("group", g.replay_scan(INSTANCE), "READ"),
            ("group", g.dlq_read(INSTANCE), "READ"),
            ("group", g.job_lookup(INSTANCE), "READ"),
            ("group", g.blob_fetch, "READ"),
        ],
        "reader": [],
    }


@pytest.mark.parametrize("role", [r for r in ROLES if r != "reader"])
def test_each_role_is_granted_what_its_processes_do(role: str) -> None:
    grants = role_grants("acme", role)
    missing = [u for u in uses("acme")[role] if not allows(grants, *u)]
    assert not missing


def test_only_the_worker_and_the_operator_may_create_topics() -> None:
    creators = {r for r in ROLES for g in role_grants("acme", r) if "CREATE" in g.operations}
    assert creators == {"worker", "operator"}
    worker = [g for g in role_grants("acme", "worker") if "CREATE" in g.operations]
    assert [(g.name, g.pattern) for g in worker] == [("acme.results.", "prefixed")]


# a prefix that extends another with "." or "-" (acme.x, acme-reader) can meet its
# prefixed group ACLs: docs/deploy.md says to avoid such pairs on one cluster
@pytest.mark.parametrize("other", ["acme2", "acmex", "acm", "bulkflow"])
def test_no_grant_reaches_another_deployment(other: str) -> None:
    theirs = set(all_names(other)) - set(all_names("acme"))
    for role in ROLES:
        grants = role_grants("acme", role)
        for name in theirs:
            for resource in ("topic", "group"):
                assert not allows(grants, resource, name, "DESCRIBE"), (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_a_role_grants_each_right_once(role: str) -> None:
    """The admin API refuses a request that holds one binding twice."""
    rights = [
        (g.resource, g.pattern, g.name, op)
        for g in role_grants("acme", role)
        for op in g.operations
    ]
    assert len(rights) == len(set(rights))


def test_the_bindings_are_one_per_operation_for_the_principal() -> None:
    grants = role_grants("acme", "worker")
    made = bindings(grants, "User:bulkflow-worker")
    assert len(made) == sum(len(g.operations) for g in grants)
    assert {b.principal for b in made} == {"User:bulkflow-worker"}
    results = [b for b in made if b.name == "acme.results."]
    assert {b.operation for b in results} == {AclOperation.WRITE, AclOperation.CREATE}
    assert {b.resource_pattern_type for b in results} == {ResourcePatternType.PREFIXED}
    assert {b.restype for b in made} == {ResourceType.TOPIC, ResourceType.GROUP}


def test_docs_show_the_acls_the_code_grants() -> None:
    text = (REPO_ROOT / "docs" / "deploy.md").read_text()
    found = re.search(r"<!-- acl-table -->\n(.*?)\n<!-- /acl-table -->", text, re.S)
    assert found, "docs/deploy.md lost its ACL table markers"
    assert found.group(1) == acl_table("bulkflow"), (
        "regenerate the table: python -c 'from messaging.acls import acl_table; "
        'print(acl_table("bulkflow"))\''
    )
