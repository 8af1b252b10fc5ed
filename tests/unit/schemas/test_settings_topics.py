"""Settings from BULKFLOW_* variables and the topic declarations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from messaging.names import declared_topics, topic_names
from schemas.errors import ConfigError
from schemas.settings import load_settings


def test_defaults_are_safe_for_one_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("BULKFLOW_"):
            monkeypatch.delenv(key)
    s = load_settings()
    assert s.kafka_bootstrap == "127.0.0.1:19092"
    assert s.topic_prefix == "bulkflow"
    assert s.db_url == f"sqlite:///{s.home / 'bulkflow.db'}"
    assert s.spool_path == s.home / "spool"
    assert (s.concurrency("high"), s.concurrency("medium"), s.concurrency("low")) == (8, 6, 4)


def test_folders_do_not_depend_on_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in list(os.environ):
        if key.startswith("BULKFLOW_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    here = load_settings()
    monkeypatch.chdir("/")
    there = load_settings()
    assert here.home == there.home == tmp_path / "user" / ".local" / "share" / "bulkflow"
    assert here.db_url == there.db_url and here.spool_path == there.spool_path
    assert here.datasets_dir == there.datasets_dir
    assert (here.datasets_dir / "orders.yaml").is_file()  # shipped with the package

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert load_settings().home == tmp_path / "xdg" / "bulkflow"


def test_relative_folders_are_made_absolute_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Child processes get the folders as variables: a relative one must not move with cwd."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BULKFLOW_HOME", "state")
    monkeypatch.setenv("BULKFLOW_DATASETS_DIR", "~/my-datasets")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    s = load_settings()
    assert s.home == tmp_path / "state"
    assert s.datasets_dir == tmp_path / "user" / "my-datasets"
    assert s.spool_path == tmp_path / "state" / "spool"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULKFLOW_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("BULKFLOW_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("BULKFLOW_TIER_HIGH_MAX_ROWS", "10")
    monkeypatch.setenv("BULKFLOW_API_KEYS", "acme:k1, globex:k2")
    s = load_settings()
    assert s.kafka_bootstrap == "kafka-1:9092,kafka-2:9092"
    assert s.db_url == "postgresql+psycopg://u@h/db"
    assert s.tier_for_rows(9) == "high" and s.tier_for_rows(10) == "medium"
    assert s.api_key_map() == {"k1": "acme", "k2": "globex"}


@pytest.mark.parametrize(
    ("rows", "tier"),
    [(0, "high"), (999, "high"), (1000, "medium"), (5000, "medium"), (5001, "low")],
)
def test_tier_thresholds(rows: int, tier: str) -> None:
    assert load_settings().tier_for_rows(rows) == tier


@pytest.mark.parametrize("bad", ["nocolon", ":key", "tenant:"])
def test_bad_api_keys_are_refused_with_a_clear_message(bad: str) -> None:
    with pytest.raises(ConfigError, match="tenant:key"):
        load_settings(api_keys=bad)


def test_bad_number_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^bad setting: BULKFLOW_CHUNK_PARTITIONS: "):
        load_settings(chunk_partitions=0)


def test_topic_declarations() -> None:
    s = load_settings(topic_prefix="acme", chunk_partitions=12, topic_partitions=3)
    specs = {t.name: t for t in declared_topics(s, ["orders"])}
    names = topic_names(s)
    assert set(specs) == {
        "acme.uploads.high",
        "acme.uploads.medium",
        "acme.uploads.low",
        "acme.uploads-blobs",
        "acme.chunks.high",
        "acme.chunks.medium",
        "acme.chunks.low",
        "acme.jobs",
        "acme.chunk-results",
        "acme.progress",
        "acme.events",
        "acme.dlq",
        "acme.replays",
        "acme.results.orders",
        "acme-progress-job-progress-changelog",
    }
    assert specs[names.chunks("low")].partitions == 12
    assert specs[names.progress].config["cleanup.policy"] == "compact"
    # faust's changelog of the aggregator's table, co-partitioned with what it folds
    changelog = specs[names.progress_changelog]
    assert changelog.config["cleanup.policy"] == "compact"
    assert changelog.partitions == specs[names.jobs].partitions
    # the aggregator joins jobs and chunk-results by key: they must be co-partitioned
    assert specs[names.jobs].partitions == specs[names.chunk_results].partitions
    assert "cleanup.policy" not in specs[names.jobs].config
    assert int(specs[names.chunks("high")].config["max.message.bytes"]) > s.chunk_max_bytes
    # an upload record never outlives the file it points to
    blobs = specs[names.upload_blobs].config
    assert blobs["retention.ms"] == specs[names.uploads("low")].config["retention.ms"]


def test_a_datasets_folder_that_is_not_there_is_said_plainly(tmp_path: Path) -> None:
    from schemas.dataset import DatasetRegistry

    with pytest.raises(ConfigError, match=r"the datasets folder .* does not exist"):
        DatasetRegistry(tmp_path / "nowhere").names()
