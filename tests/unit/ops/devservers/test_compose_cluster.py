"""docker-compose.kafka.yml's secured profile is the local cluster of `bulkflow broker start
--nodes 3 --secure` as containers: each node's KAFKA_* settings are the properties
ops/devservers/cluster_config.py writes (Docker cannot run here, so this is the check)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ops.devservers.cluster_config import ClusterLayout, TlsFiles, node_properties
from tests.conftest import REPO_ROOT

# the compose file's paths inside the containers, and what only a local process sets
TLS = TlsFiles(Path("/tls/broker-keystore.pem"), Path("/tls/ca.pem"))
DATA = Path("/var/lib/kafka/data")
MACHINE_SIZED = {"num.io.threads", "num.network.threads", "background.threads"}


def kafka_properties(environment: dict[str, object]) -> dict[str, str]:
    """The apache/kafka image's reading of KAFKA_* variables: ``_`` is ``.``, ``__`` is
    ``_``, ``___`` is ``-``; compose's ``$$`` is ``$``."""
    props = {}
    for name, value in environment.items():
        if not name.startswith("KAFKA_") or name == "KAFKA_HEAP_OPTS":
            continue
        key = name.removeprefix("KAFKA_").lower()
        key = key.replace("___", "\0").replace("__", "\1").replace("_", ".")
        props[key.replace("\0", "-").replace("\1", "_")] = str(value).replace("$$", "$")
    return props


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return yaml.safe_load((REPO_ROOT / "docker-compose.kafka.yml").read_text())["services"]


@pytest.mark.parametrize("node", [0, 1, 2])
def test_each_secured_container_is_the_local_clusters_node(services: dict, node: int) -> None:
    service = services[f"kafka-{node + 1}"]
    assert service["profiles"] == ["secure"] and service["network_mode"] == "host"
    assert service["image"] == "apache/kafka:4.0.1"  # the jars' version (settings.kafka_version)
    ours = node_properties(ClusterLayout(3, 19130, secure=True), node, DATA, TLS, None)
    theirs = kafka_properties(service["environment"])
    expected = {k: v for k, v in ours.items() if k not in MACHINE_SIZED}
    assert theirs == expected
    # the settings the brief names, said once more for whoever reads this test
    assert theirs["listener.security.protocol.map"] == (
        "CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL,MTLS:SSL"
    )
    assert theirs["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert theirs["authorizer.class.name"].endswith("StandardAuthorizer")
    assert (theirs["default.replication.factor"], theirs["min.insync.replicas"]) == ("3", "2")


def test_the_users_are_made_with_the_local_clusters_passwords_over_mtls(services: dict) -> None:
    users = services["kafka-users"]
    assert users["profiles"] == ["secure"]
    script = users["command"][0]
    assert "--bootstrap-server 127.0.0.1:19139" in script  # node 1's mTLS listener
    assert "SCRAM-SHA-512=[iterations=8192" in script
    assert any(v.endswith("/users:/users:ro") for v in users["volumes"])
    assert set(users["depends_on"]) == {"kafka-1", "kafka-2", "kafka-3"}


def test_the_single_open_broker_stays_the_default(services: dict) -> None:
    single = services["kafka"]
    assert "profiles" not in single
    assert single["ports"] == ["127.0.0.1:19092:19092"]
