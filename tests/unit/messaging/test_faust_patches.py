"""The faust/aiokafka patches run on the pinned versions only, and say so when not."""

from __future__ import annotations

import re
import tomllib

import pytest

from messaging import faust_patches
from messaging.faust_patches import PINNED_VERSIONS, apply_faust_patches, check_versions
from tests.conftest import REPO_ROOT

PYPROJECT = REPO_ROOT / "pyproject.toml"


def _versions(**found: str) -> dict[str, str]:
    return {"faust-streaming": "0.15.3", "aiokafka": "0.14.0", **found}


def test_the_pinned_versions_pass() -> None:
    check_versions(_versions().__getitem__)
    check_versions()  # what this environment has installed


def test_the_guard_knows_the_pins_of_pyproject() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = dict(d.split("==", 1) for d in dependencies if "==" in d)
    assert {p: pins[p] for p in PINNED_VERSIONS} == PINNED_VERSIONS


def test_another_faust_is_refused_naming_both_versions() -> None:
    installed = _versions(**{"faust-streaming": "0.16.0"})
    with pytest.raises(RuntimeError) as refused:
        check_versions(installed.__getitem__)
    message = str(refused.value)
    assert "faust-streaming 0.15.3" in message and "aiokafka 0.14.0" in message
    assert "faust-streaming 0.16.0" in message
    assert "pip install" in message and "messaging/faust_patches.py" in message


def test_another_aiokafka_is_refused() -> None:
    with pytest.raises(
        RuntimeError, match=re.escape("found faust-streaming 0.15.3, aiokafka 0.13.1")
    ):
        check_versions(_versions(aiokafka="0.13.1").__getitem__)


def test_nothing_is_patched_on_other_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    from faust.transport.consumer import Consumer

    before = Consumer._new_offset
    monkeypatch.setattr(faust_patches, "_installed_version", lambda _p: "not installed")
    with pytest.raises(RuntimeError, match="found faust-streaming not installed"):
        apply_faust_patches()
    assert Consumer._new_offset is before


class _Consumer:
    def __init__(self, counts: dict[str, int | None]) -> None:
        self.counts = counts

    def topic_partitions(self, topic: str) -> int | None:
        return self.counts.get(topic)


class _App:
    def __init__(self, counts: dict[str, int | None]) -> None:
        self.consumer = _Consumer(counts)


class _Table:
    """What faust's partition check reads of a table."""

    changelog_topic_name = "acme-progress-job-progress-changelog"

    def __init__(self, counts: dict[str, int | None]) -> None:
        self.app = _App(counts)
        self.name = "job-progress"
        self._verified_source_topics_for_partitions: set[str] = set()


def _check(counts: dict[str, int | None]) -> _Table:
    from faust.tables.base import Collection

    apply_faust_patches()
    table = _Table(counts)
    Collection._verify_source_topic_partitions(table, "acme.jobs")  # type: ignore[arg-type]
    return table


def test_a_changelog_whose_partitions_are_not_known_yet_is_checked_again_later() -> None:
    changelog = _Table.changelog_topic_name
    waiting = _check({"acme.jobs": 6, changelog: 0})
    assert waiting._verified_source_topics_for_partitions == set()
    assert _check({"acme.jobs": 6, changelog: 6})._verified_source_topics_for_partitions == {
        "acme.jobs"
    }


def test_a_real_partition_mismatch_still_stops_the_table() -> None:
    from faust.exceptions import PartitionsMismatch

    with pytest.raises(PartitionsMismatch, match="has 6 partitions"):
        _check({"acme.jobs": 6, _Table.changelog_topic_name: 3})
