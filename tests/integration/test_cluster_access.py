"""On the local secured cluster: a wrong password, an untrusted CA and a role without its
ACLs each stop the real CLI within 10 s with one line naming what to fix; topics get three
copies, two in sync; mTLS logs a role in as its certificate's name; and the downstream
reader can read results but not the uploaded files."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from messaging.clients import admin_config, consumer_config
from messaging.names import declared_topics, group_names, topic_names
from messaging.preflight import check_kafka
from ops.devservers.certs import ensure_ca
from ops.devservers.cluster_clients import client_settings
from schemas.errors import CONFIG_EXIT_CODE
from schemas.settings import Settings
from tests.integration.conftest import bulkflow
from tests.support.cluster_fixtures import SecureCluster

pytestmark = [pytest.mark.integration, pytest.mark.cluster]
WITHIN_S = 10.0


def run_cli(
    settings: Settings, cwd: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """The real CLI as an operator runs it, and how long it took."""
    started = time.monotonic()
    done = bulkflow(settings, cwd, *args)
    return done, time.monotonic() - started


def assert_one_line(done: subprocess.CompletedProcess[str], took_s: float, *phrases: str) -> None:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == CONFIG_EXIT_CODE, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    assert took_s < WITHIN_S, f"{took_s:.1f}s: {lines[0]}"


def test_a_wrong_password_stops_the_worker_in_one_line(
    cluster_settings: Settings, secure_cluster: SecureCluster, tmp_path: Path
) -> None:
    wrong = tmp_path / "password"
    wrong.write_text("not-the-password")
    worker = secure_cluster.as_role(cluster_settings, "worker").model_copy(
        update={"kafka_sasl_password_file": wrong}
    )
    done, took_s = run_cli(worker, tmp_path, "worker", "--loglevel", "warning")
    assert_one_line(
        done,
        took_s,
        "Kafka refused the SASL login of user 'bulkflow-worker' (SCRAM-SHA-512)",
        "check BULKFLOW_KAFKA_SASL_PASSWORD_FILE",
    )
    assert "not-the-password" not in done.stderr + done.stdout


def test_an_untrusted_ca_stops_the_producer_in_one_line(
    cluster_settings: Settings, secure_cluster: SecureCluster, tmp_path: Path
) -> None:
    stranger = ensure_ca(tmp_path / "another-ca", "someone else's CA")
    producer = secure_cluster.as_role(cluster_settings, "producer").model_copy(
        update={"kafka_ssl_ca_file": stranger.cert}
    )
    done, took_s = run_cli(producer, tmp_path, "producer")
    assert_one_line(
        done, took_s, "not signed by a CA this client trusts", "check BULKFLOW_KAFKA_SSL_CA_FILE"
    )


def test_a_role_without_its_acls_stops_the_aggregator_in_one_line(
    cluster_settings: Settings, secure_cluster: SecureCluster, tmp_path: Path
) -> None:
    reader = secure_cluster.as_role(cluster_settings, "reader")  # not the aggregator's user
    done, took_s = run_cli(reader, tmp_path, "aggregator", "--loglevel", "warning")
    changelog = topic_names(cluster_settings).progress_changelog
    assert_one_line(
        done,
        took_s,
        "Kafka denies user 'bulkflow-reader' (SCRAM-SHA-512) what the aggregator role needs",
        f"on topic {changelog}",
        "bulkflow kafka acls --role aggregator --apply",
    )


def test_topics_have_three_copies_and_topics_create_reports_fewer(
    cluster_settings: Settings, secure_cluster: SecureCluster, tmp_path: Path
) -> None:
    admin = AdminClient(admin_config(cluster_settings))
    names = [s.name for s in declared_topics(cluster_settings, ["orders"])]
    meta = admin.list_topics(timeout=10).topics
    for name in names:
        assert {len(p.replicas) for p in meta[name].partitions.values()} == {3}, name
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    for resource, future in admin.describe_configs(resources).items():
        assert future.result(timeout=10)["min.insync.replicas"].value == "2", resource.name

    # a topic someone made by hand with one copy is named, not passed over in silence
    other = cluster_settings.model_copy(
        update={"topic_prefix": cluster_settings.topic_prefix + "x"}
    )
    lone = topic_names(other).events
    admin.create_topics([NewTopic(lone, other.topic_partitions, 1)])[lone].result(timeout=30)
    done, _ = run_cli(other, tmp_path, "topics", "create")
    assert done.returncode == 0, done.stderr
    assert f"warning: {lone} has 1 replicas, BULKFLOW_REPLICATION_FACTOR is 3" in done.stderr
    assert f"warning: {lone} has min.insync.replicas=2" not in done.stderr


def test_mtls_logs_a_role_in_by_its_certificate(
    cluster_settings: Settings, secure_cluster: SecureCluster
) -> None:
    worker = client_settings(secure_cluster.cluster, cluster_settings, "bulkflow-worker", mtls=True)
    assert worker.kafka_security_protocol == "SSL" and worker.kafka_ssl_cert_file is not None
    check_kafka(worker, "worker")  # logged in as bulkflow-worker, and granted its rights
    reader = client_settings(secure_cluster.cluster, cluster_settings, "bulkflow-reader", mtls=True)
    with pytest.raises(Exception, match="what the worker role needs"):
        check_kafka(reader, "worker")


def test_the_reader_reads_results_and_never_the_uploaded_files(
    cluster_settings: Settings, secure_cluster: SecureCluster
) -> None:
    reader = secure_cluster.as_role(cluster_settings, "reader")
    names = topic_names(reader)
    consumer = Consumer(consumer_config(reader, group_names(reader).reader("test")))
    try:
        for allowed in (names.results("orders"), names.events, names.progress):
            meta = consumer.list_topics(allowed, timeout=10).topics[allowed]
            assert meta.error is None and meta.partitions, allowed
        for private in (names.upload_blobs, names.uploads("low"), names.chunks("low")):
            meta = consumer.list_topics(private, timeout=10).topics[private]
            assert meta.error is not None, private
            assert meta.error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, private
    finally:
        consumer.close()
    check_kafka(reader, "reader")  # Kafka grants it READ on them (authorized operations)
