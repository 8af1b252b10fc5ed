"""Kafka names: two deployments (prefixes) never share a topic or a consumer group, and the
producer's lag probe reads the groups the worker apps really join."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.progress_view import ProgressView
from messaging.chunk_lag import worker_groups
from messaging.names import declared_topics, group_names, tier_sets_with
from schemas.settings import TIERS, Settings, Tier, load_settings
from stream_processors.aggregator_app import create_aggregator_app
from stream_processors.worker_app import create_worker_app

INSTANCE = "0a1b2c3d"


def all_names(prefix: str) -> list[str]:
    """Every topic and consumer group of one deployment."""
    settings = load_settings(topic_prefix=prefix)
    groups = group_names(settings)
    return [
        *(spec.name for spec in declared_topics(settings, ["orders"])),
        groups.producer,
        *(groups.workers(tiers) for tier in TIERS for tiers in tier_sets_with(tier)),
        groups.aggregator,
        groups.lag_probe,
        groups.progress_view(INSTANCE),
        groups.api_stats(INSTANCE),
        groups.dlq_read(INSTANCE),
        groups.replay_scan(INSTANCE),
        groups.job_lookup(INSTANCE),
        groups.blob_fetch,
    ]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("acme", "globex"),
        ("acme", "acme2"),
        ("a", "a-chunks"),
        ("a", "a-api"),
        ("bulkflow", "bulkflow-eu"),
        ("t1", "t1.jobs"),
        ("t1", "t1-dlq"),
    ],
)
def test_two_prefixes_never_share_a_topic_or_group(one: str, other: str) -> None:
    shared = set(all_names(one)) & set(all_names(other))
    assert not shared


def test_every_role_has_its_own_group() -> None:
    names = set(all_names("acme"))
    # 15 topics (faust's changelog and replays among them), 7 worker tier sets (each
    # counted once per tier it holds), 9 other groups
    assert len(names) == 15 + 7 + 9


def test_every_name_carries_the_prefix() -> None:
    assert all(name.startswith(("acme.", "acme-")) for name in all_names("acme"))


@pytest.fixture
def acme(tmp_path: Path) -> Settings:
    return load_settings(topic_prefix="acme", home=tmp_path / "home")


@pytest.mark.parametrize("tiers", [("high",), ("medium", "low"), TIERS], ids="-".join)
def test_the_lag_probe_reads_the_worker_app_group(acme: Settings, tiers: tuple[Tier, ...]) -> None:
    app = create_worker_app(acme, tiers)
    for tier in TIERS:
        assert (app.conf.id in worker_groups(acme, tier)) == (tier in tiers)


def test_the_lag_probe_ignores_other_prefixes(acme: Settings) -> None:
    other = acme.model_copy(update={"topic_prefix": "acme-eu"})
    for tier in TIERS:
        assert not worker_groups(acme, tier) & worker_groups(other, tier)
        assert group_names(other).workers((tier,)) not in worker_groups(acme, tier)


def test_the_aggregator_app_group_is_declared(acme: Settings) -> None:
    assert create_aggregator_app(acme).conf.id == group_names(acme).aggregator == "acme-progress"


def test_the_progress_view_group_honours_the_prefix(acme: Settings) -> None:
    group = ProgressView(acme)._config["group.id"]
    assert group.startswith("acme-api-view-")
    assert ProgressView(acme)._config["group.id"] != group  # one group per API process
