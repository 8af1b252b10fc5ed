"""The local cluster's configuration: consecutive ports per listener, KRaft voters, TLS and
SCRAM where a company's cluster has them, the authorizer, three copies of everything; and
the client settings it hands out (files to source, never a password)."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

from ops.devservers.cluster import LocalCluster
from ops.devservers.cluster_clients import client_settings, env_lines, write_env_files
from ops.devservers.cluster_config import (
    AUTHORIZER,
    ClusterLayout,
    TlsFiles,
    node_properties,
    scram_arguments,
)
from schemas.settings import load_settings

TLS = TlsFiles(Path("/tls/broker-keystore.pem"), Path("/tls/ca.pem"))


def test_the_nodes_listen_on_consecutive_blocks_of_ports() -> None:
    layout = ClusterLayout(3, 19130, secure=True)
    assert layout.bootstrap == "127.0.0.1:19130,127.0.0.1:19131,127.0.0.1:19132"
    assert [layout.internal_port(i) for i in range(3)] == [19133, 19134, 19135]
    assert [layout.controller_port(i) for i in range(3)] == [19136, 19137, 19138]
    assert layout.mtls_bootstrap == "127.0.0.1:19139,127.0.0.1:19140,127.0.0.1:19141"
    assert layout.ports() == list(range(19130, 19142))
    assert ClusterLayout(3, 19130, secure=False).ports() == list(range(19130, 19139))
    assert (layout.replicas, layout.min_insync) == (3, 2)


def test_a_secured_node_is_configured_as_a_companys() -> None:
    props = node_properties(ClusterLayout(3, 19130, True), 1, Path("/data/2"), TLS, 2)
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:19136,2@127.0.0.1:19137,3@127.0.0.1:19138"
    )
    assert props["listeners"] == (
        "CLIENT://127.0.0.1:19131,INTERNAL://127.0.0.1:19134,"
        "CONTROLLER://127.0.0.1:19137,MTLS://127.0.0.1:19140"
    )
    assert "CONTROLLER" not in props["advertised.listeners"]
    assert props["listener.security.protocol.map"] == (
        "CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL,MTLS:SSL"
    )
    assert props["inter.broker.listener.name"] == "INTERNAL"
    for listener in ("internal", "controller", "mtls"):
        assert props[f"listener.name.{listener}.ssl.client.auth"] == "required"
    assert props["listener.name.client.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["ssl.keystore.type"] == props["ssl.truststore.type"] == "PEM"
    assert props["authorizer.class.name"] == AUTHORIZER
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin;User:bulkflow-broker"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"


def test_an_open_cluster_has_no_login_and_no_authorizer() -> None:
    props = node_properties(ClusterLayout(3, 19130, False), 0, Path("/d"), None, 2)
    assert props["listener.security.protocol.map"] == (
        "CLIENT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"
    )
    assert "authorizer.class.name" not in props and "MTLS" not in props["listeners"]


def test_scram_users_are_formatted_with_salted_passwords_only() -> None:
    salt = b"0123456789abcdef"
    args = scram_arguments({"admin": "pa55"}, {"admin": salt})
    assert args[0] == "--add-scram" and "pa55" not in " ".join(args)
    salted = hashlib.pbkdf2_hmac("sha512", b"pa55", salt, 8192)
    assert args[1] == (
        "SCRAM-SHA-512=[name=admin,iterations=8192,"
        f'salt="{base64.b64encode(salt).decode()}",'
        f'saltedpassword="{base64.b64encode(salted).decode()}"]'
    )


def _secured_cluster(tmp_path: Path) -> LocalCluster:
    settings = load_settings(home=tmp_path / "home", broker_port=19130, topic_prefix="acme")
    cluster = LocalCluster(settings)
    cluster.home.mkdir(parents=True)
    state = {"nodes": 3, "base_port": 19130, "secure": True, "cluster_id": "x"}
    cluster.state_file.write_text(json.dumps(state))
    cluster.users_dir.mkdir()
    for user in ("admin", "bulkflow-worker"):
        cluster.password_file(user).write_text("s3cret")
    return cluster


def test_each_role_gets_a_file_to_source_that_names_its_password_file(tmp_path: Path) -> None:
    cluster = _secured_cluster(tmp_path)
    files = write_env_files(cluster, tmp_path / "env" / "cluster.env")
    names = sorted(p.name for p in files)
    assert "cluster.env" in names and "cluster.worker.env" in names
    assert "cluster.reader.mtls.env" in names and "cluster.admin.mtls.env" in names
    worker = (tmp_path / "env" / "cluster.worker.env").read_text()
    assert "export BULKFLOW_KAFKA_SASL_USERNAME=bulkflow-worker" in worker
    assert (
        f"export BULKFLOW_KAFKA_SASL_PASSWORD_FILE={cluster.password_file('bulkflow-worker')}"
        in worker
    )
    assert "export BULKFLOW_KAFKA_SECURITY_PROTOCOL=SASL_SSL" in worker
    assert "export BULKFLOW_MIN_INSYNC_REPLICAS=2" in worker
    assert "export BULKFLOW_TOPIC_PREFIX=acme" in worker
    assert worker.startswith("unset BULKFLOW_KAFKA_SASL_PASSWORD BULKFLOW_KAFKA_SSL_CERT_FILE")
    assert all("s3cret" not in p.read_text() for p in files)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    mtls = (tmp_path / "env" / "cluster.reader.mtls.env").read_text()
    assert "BULKFLOW_KAFKA_BOOTSTRAP=127.0.0.1:19139,127.0.0.1:19140,127.0.0.1:19141" in mtls
    assert "BULKFLOW_KAFKA_SSL_CERT_FILE=" in mtls and "bulkflow-reader.pem" in mtls
    assert "unset BULKFLOW_KAFKA_SASL_PASSWORD BULKFLOW_KAFKA_SASL_PASSWORD_FILE" in mtls


def test_client_settings_are_what_sourcing_the_file_gives(tmp_path: Path) -> None:
    cluster = _secured_cluster(tmp_path)
    base = load_settings(home=tmp_path / "client", topic_prefix="t1")
    worker = client_settings(cluster, base, "bulkflow-worker")
    assert worker.kafka_password() == "s3cret"
    assert worker.topic_prefix == "t1" and worker.home == base.home
    lines = {
        line.split("=", 1)[0].removeprefix("export "): line.split("=", 1)[1]
        for line in env_lines(cluster, "bulkflow-worker")
        if line.startswith("export ")
    }
    assert lines["BULKFLOW_KAFKA_BOOTSTRAP"] == worker.kafka_bootstrap
    assert lines["BULKFLOW_KAFKA_SASL_PASSWORD_FILE"] == str(worker.kafka_sasl_password_file)
    assert int(lines["BULKFLOW_REPLICATION_FACTOR"]) == worker.replication_factor == 3
