"""Topics are made with the settings' copies and min.insync.replicas, and `topics create`
says which existing topics have fewer (Kafka never raises them by itself)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

from confluent_kafka.admin import ConfigResource, NewTopic

from messaging.names import declared_topics, topic_names
from messaging.topics import create_result_topics, create_topics
from schemas.settings import Settings, load_settings


def done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


class FakeAdmin:
    """An AdminClient that knows some topics, with their replicas and min.insync."""

    def __init__(self, existing: dict[str, tuple[int, int, str]]) -> None:
        self.existing = existing  # name -> (partitions, replicas, min.insync.replicas)
        self.created: list[NewTopic] = []

    def list_topics(self, timeout: float) -> Any:
        topics = {
            name: SimpleNamespace(
                partitions={p: SimpleNamespace(replicas=list(range(replicas))) for p in range(n)}
            )
            for name, (n, replicas, _isr) in self.existing.items()
        }
        return SimpleNamespace(topics=topics)

    def create_topics(self, new: list[NewTopic], **_kw: Any) -> dict[str, Future]:
        self.created += new
        return {t.topic: done(None) for t in new}

    def describe_configs(self, resources: list[ConfigResource]) -> dict[ConfigResource, Future]:
        return {
            r: done({"min.insync.replicas": SimpleNamespace(value=self.existing[r.name][2])})
            for r in resources
        }


def cluster_settings() -> Settings:
    return load_settings(topic_prefix="acme", replication_factor=3, min_insync_replicas=2)


def test_new_topics_get_the_settings_copies_and_min_insync() -> None:
    settings = cluster_settings()
    admin = FakeAdmin({})
    report = create_topics(settings, ["orders"], admin=admin)  # type: ignore[arg-type]
    assert len(report.created) == len(declared_topics(settings, ["orders"]))
    for topic in admin.created:
        assert topic.replication_factor == 3
        assert topic.config["min.insync.replicas"] == "2"
    changelog = next(
        t for t in admin.created if t.topic == topic_names(settings).progress_changelog
    )
    assert changelog.config["cleanup.policy"] == "compact"  # faust's own, made by us


def test_existing_topics_below_the_settings_are_reported() -> None:
    settings = cluster_settings()
    names = topic_names(settings)
    existing = {s.name: (s.partitions, 3, "2") for s in declared_topics(settings, ["orders"])}
    existing[names.jobs] = (settings.topic_partitions, 1, "1")
    existing[names.events] = (settings.topic_partitions, 3, "1")
    report = create_topics(settings, ["orders"], admin=FakeAdmin(existing))  # type: ignore[arg-type]
    assert report.created == []
    assert len(report.under_replicated) == 3
    text = " ".join(report.under_replicated)
    assert f"{names.jobs} has 1 replicas, BULKFLOW_REPLICATION_FACTOR is 3" in text
    assert f"{names.jobs} has min.insync.replicas=1, BULKFLOW_MIN_INSYNC_REPLICAS is 2" in text
    assert f"{names.events} has min.insync.replicas=1" in text


def test_one_broker_reports_nothing_below_one_copy() -> None:
    settings = load_settings(topic_prefix="acme")
    existing = {s.name: (s.partitions, 1, "1") for s in declared_topics(settings, ["orders"])}
    report = create_topics(settings, ["orders"], admin=FakeAdmin(existing))  # type: ignore[arg-type]
    assert report.under_replicated == [] and report.mismatched == []


def test_a_worker_creates_its_results_topics_only() -> None:
    settings = cluster_settings()
    admin = FakeAdmin({})
    report = create_result_topics(settings, ["orders", "invoices"], admin=admin)  # type: ignore[arg-type]
    assert report.created == ["acme.results.invoices", "acme.results.orders"]
