"""The local broker's errors name their fix; nothing here starts Java."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from ops.devservers.broker import LocalBroker, find_java, free_port
from ops.devservers.broker_config import packaged_config, thread_counts
from ops.errors import BrokerError
from schemas.settings import load_settings


def _broker(tmp_path: Path, **overrides: object) -> LocalBroker:
    values: dict[str, object] = {
        "home": tmp_path / "home",
        "cache_dir": tmp_path / "cache",
        "broker_port": free_port(),
        "controller_port": free_port(),
    }
    settings = load_settings(**{**values, **overrides})
    return LocalBroker(settings)


def test_port_in_use_is_named_with_the_fix(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        broker = _broker(tmp_path, broker_port=port)
        with pytest.raises(BrokerError, match=rf"port {port} .* in use.*BULKFLOW_BROKER_PORT"):
            broker.start(echo=lambda _m: None)


def test_missing_java_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nojava"))
    with pytest.raises(BrokerError, match=r"Java 17 .*\(apt-get install openjdk-17"):
        find_java()


def test_missing_mvn_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrokerError, match=r"Maven \(mvn\).*apt-get install maven"):
        _broker(tmp_path).ensure_jars(echo=lambda _m: None)


def test_status_of_a_stale_pid_file_says_not_running(tmp_path: Path) -> None:
    broker = _broker(tmp_path)
    broker.home.mkdir(parents=True)
    broker.pid_file.write_text("999999")  # no such process
    status = broker.status()
    assert not status.running and "not running" in status.describe()


def test_data_dir_of_another_cluster_is_refused(tmp_path: Path) -> None:
    broker = _broker(tmp_path)
    broker.data_dir.mkdir(parents=True)
    broker.cluster_id_file.write_text("our-cluster-id")
    (broker.data_dir / "meta.properties").write_text("cluster.id=someone-elses\nnode.id=1\n")
    with pytest.raises(BrokerError, match=r"belongs to another cluster.*bulkflow broker reset"):
        broker._format_storage("java", "")


def test_the_broker_config_comes_from_the_package_not_a_checkout(tmp_path: Path) -> None:
    broker = _broker(tmp_path)
    broker.home.mkdir(parents=True)
    broker._write_config()
    log4j = broker.log4j_file.read_text()
    assert broker.log4j_file.parent == broker.home
    assert "${sys:bulkflow.broker.log}" in log4j
    assert "<artifactId>kafka_2.13</artifactId>" in packaged_config("pom.xml")


def test_the_broker_threads_fit_a_small_machine(tmp_path: Path) -> None:
    broker = _broker(tmp_path)
    broker.home.mkdir(parents=True)
    broker._write_config()
    props = dict(line.split("=", 1) for line in broker.config_file.read_text().splitlines() if line)
    assert int(props["num.io.threads"]) <= max(2, os.cpu_count() or 1)
    assert thread_counts(2) == {
        "num.io.threads": "2",
        "num.network.threads": "1",
        "background.threads": "2",
    }
    assert thread_counts(32)["num.network.threads"] == "3"
    assert thread_counts(None)["num.io.threads"] == "2"
