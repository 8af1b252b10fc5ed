"""The supervisor gives each child a static group membership id of its own, and a child the
settings it is given over the shared ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.supervisor import Supervisor, static_member_id
from schemas.settings import load_settings


def test_a_child_keeps_its_id_across_restarts_and_ids_differ_between_children(
    tmp_path: Path,
) -> None:
    settings = load_settings(home=tmp_path / "a")
    assert static_member_id(settings, "worker-1") == static_member_id(settings, "worker-1")
    assert static_member_id(settings, "worker-1") != static_member_id(settings, "worker-2")
    assert static_member_id(settings, "worker-1").startswith("worker-1-")


def test_another_deployment_on_this_host_gets_other_ids(tmp_path: Path) -> None:
    one = load_settings(home=tmp_path / "a")
    two = load_settings(home=tmp_path / "b")
    assert static_member_id(one, "aggregator") != static_member_id(two, "aggregator")


def test_the_id_is_one_kafka_accepts(tmp_path: Path) -> None:
    member = static_member_id(load_settings(home=tmp_path), "odd name/with:chars")
    assert load_settings(instance_id=member).instance_id == member


def test_each_child_reads_its_own_id_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(home=tmp_path / "home")
    supervisor = Supervisor(settings, tmp_path / "logs", restart=False)
    ids = set()
    for name in ("producer-1", "worker-1", "aggregator"):
        env = supervisor.child_env(supervisor.add(name, name))
        for key, value in env.items():
            if key.startswith("BULKFLOW_"):
                monkeypatch.setenv(key, value)
        ids.add(load_settings().instance_id)
        assert load_settings().instance_id == static_member_id(settings, name)
    assert len(ids) == 3


def test_a_childs_own_settings_override_the_shared_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(home=tmp_path / "home", spool_dir=tmp_path / "shared-spool")
    supervisor = Supervisor(settings, tmp_path / "logs", restart=False)
    producer = supervisor.add("producer-1", "producer")
    producer.env["BULKFLOW_SPOOL_DIR"] = str(tmp_path / "producer-spool")
    worker = supervisor.add("worker-1", "worker")
    spools = {}
    for child in (producer, worker):
        for key, value in supervisor.child_env(child).items():
            if key.startswith("BULKFLOW_"):
                monkeypatch.setenv(key, value)
        spools[child.name] = load_settings().spool_path
    assert spools == {
        "producer-1": tmp_path / "producer-spool",
        "worker-1": tmp_path / "shared-spool",
    }
