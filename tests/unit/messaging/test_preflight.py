"""What a process says when Kafka will not have it: librdkafka's errors (as its error
callback reports them) become one line naming the setting to fix, and the supervisor does
not restart a child that stopped that way."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from confluent_kafka import KafkaError

from messaging.preflight import conclusive, explain, explain_rights
from ops.supervisor import Supervisor
from schemas.errors import CONFIG_EXIT_CODE
from schemas.settings import Settings, load_settings

HOSTS = "k1:9093,k2:9093"
# librdkafka 2.16's own words, as the error callback reported them against a real cluster
WRONG_PASSWORD = (
    "sasl_ssl://k1:9093/bootstrap: SASL authentication error: Authentication failed during "
    "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after "
    "323ms in state AUTH_REQ)"
)
NOT_VERIFIED = (
    "sasl_ssl://k1:9093/bootstrap: SSL handshake failed: error:0A000086:SSL routines::"
    "certificate verify failed: broker certificate could not be verified, verify that "
    "ssl.ca.location is correctly configured or root CA certificates are installed "
    "(install ca-certificates package) (after 3ms in state SSL_HANDSHAKE)"
)
WRONG_MECHANISM = (
    "sasl_ssl://k1:9093/bootstrap: SASL PLAIN mechanism handshake failed: Broker: "
    "Unsupported SASL mechanism: broker's supported mechanisms: SCRAM-SHA-512 (after 301ms "
    "in state AUTH_HANDSHAKE)"
)
REFUSED = (
    "sasl_ssl://k1:9093/bootstrap: Connect to ipv4#10.0.0.1:9093 failed: Connection "
    "refused (after 0ms in state CONNECT)"
)
UNRESOLVED = (
    "sasl_ssl://k1:9093/bootstrap: Failed to resolve 'k1:9093': Name or service not "
    "known (after 0ms in state CONNECT)"
)
BROKEN_PIPE = (
    "ssl://k1:9093/bootstrap: Send failed: error:80000020:system library::Broken pipe: "
    "tls_retry_write_records failure (after 0ms in state UP)"
)


@pytest.fixture
def scram(tmp_path: Path) -> Settings:
    secret = tmp_path / "password"
    secret.write_text("x")
    return load_settings(
        kafka_bootstrap=HOSTS,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="bulkflow-worker",
        kafka_sasl_password_file=secret,
    )


def line(settings: Settings, *errors: tuple[int, str], tls: str | None = None) -> str:
    text = explain(settings, [KafkaError(code, reason) for code, reason in errors], 7.0, tls)
    assert "\n" not in text
    return text


def test_a_wrong_password_names_the_password_setting(scram: Settings) -> None:
    text = line(scram, (KafkaError._AUTHENTICATION, WRONG_PASSWORD))
    assert text == (
        "Kafka refused the SASL login of user 'bulkflow-worker' (SCRAM-SHA-512): check "
        "BULKFLOW_KAFKA_SASL_PASSWORD_FILE (and BULKFLOW_KAFKA_SASL_USERNAME)"
    )
    inline = scram.model_copy(update={"kafka_sasl_password_file": None})
    assert "check BULKFLOW_KAFKA_SASL_PASSWORD " in line(
        inline, (KafkaError._AUTHENTICATION, WRONG_PASSWORD)
    )


def test_a_mechanism_the_broker_lacks_names_what_it_offers(scram: Settings) -> None:
    text = line(scram, (KafkaError._AUTHENTICATION, WRONG_MECHANISM))
    assert "(it offers SCRAM-SHA-512): check BULKFLOW_KAFKA_SASL_MECHANISM" in text


def test_a_certificate_that_does_not_verify_names_the_ca_or_the_host(scram: Settings) -> None:
    untrusted = line(scram, (KafkaError._SSL, NOT_VERIFIED), tls="ca")
    assert untrusted.endswith(
        "not signed by a CA this client trusts: check BULKFLOW_KAFKA_SSL_CA_FILE"
    )
    renamed = line(scram, (KafkaError._SSL, NOT_VERIFIED), tls="hostname")
    assert "does not name the host connected to: check BULKFLOW_KAFKA_BOOTSTRAP" in renamed


def test_the_refused_login_wins_over_the_transport_noise(scram: Settings) -> None:
    text = line(
        scram,
        (KafkaError._TRANSPORT, REFUSED),
        (KafkaError._AUTHENTICATION, WRONG_PASSWORD),
        (KafkaError._ALL_BROKERS_DOWN, "3/3 brokers are down"),
    )
    assert text.startswith("Kafka refused the SASL login")


def test_what_retrying_cannot_cure_ends_the_probe_at_once() -> None:
    assert conclusive(KafkaError(KafkaError._AUTHENTICATION, WRONG_PASSWORD))
    assert conclusive(KafkaError(KafkaError._SSL, NOT_VERIFIED))
    assert not conclusive(KafkaError(KafkaError._TRANSPORT, REFUSED))
    assert not conclusive(KafkaError(KafkaError._ALL_BROKERS_DOWN, "3/3 brokers are down"))


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (KafkaError._TRANSPORT, REFUSED, "nothing listens at k1:9093,k2:9093 (connection refused)"),
        (KafkaError._RESOLVE, UNRESOLVED, "cannot resolve the host of Kafka at k1:9093,k2:9093"),
        (
            KafkaError._TRANSPORT,
            BROKEN_PIPE,
            "check BULKFLOW_KAFKA_SECURITY_PROTOCOL (now SASL_SSL)",
        ),
        (KafkaError._ALL_BROKERS_DOWN, "2/2 brokers are down", "no answer from Kafka at"),
    ],
)
def test_an_unreachable_listener_names_the_address_setting(
    scram: Settings, code: int, reason: str, expected: str
) -> None:
    text = line(scram, (code, reason))
    assert expected in text
    assert "BULKFLOW_KAFKA_BOOTSTRAP" in text or "BULKFLOW_KAFKA_SECURITY_PROTOCOL" in text


def test_missing_rights_name_the_role_and_the_fix(scram: Settings) -> None:
    missing = [f"READ on topic t.chunks.{i}" for i in range(5)]
    text = explain_rights(scram, "worker", missing)
    assert text.startswith("Kafka denies user 'bulkflow-worker' (SCRAM-SHA-512) what the worker")
    assert "t.chunks.2 and 2 more;" in text
    assert "bulkflow kafka acls --role worker --apply" in text


def test_the_supervisor_does_not_restart_a_child_stopped_by_its_settings(
    tmp_path: Path,
) -> None:
    # the child gets a SASL user for a PLAINTEXT connection: a configuration error, as a
    # refused login or certificate is (exit CONFIG_EXIT_CODE); a restart would fail again
    settings = load_settings(home=tmp_path / "home").model_copy(
        update={"kafka_sasl_username": "bulkflow-producer"}
    )
    supervisor = Supervisor(settings, tmp_path / "logs", restart=True)
    supervisor.add("producer-1", "producer")
    supervisor.start()
    try:
        deadline = time.monotonic() + 30
        events: list[str] = []
        while not supervisor.failed and time.monotonic() < deadline:
            events += supervisor.poll()
            time.sleep(0.2)
        child = supervisor.children["producer-1"]
        assert child.proc is not None and child.proc.returncode == CONFIG_EXIT_CODE
        assert "a SASL user is set but" in supervisor.failed["producer-1"]
        time.sleep(2.5)  # the back-off of a restart would have passed
        events += supervisor.poll()
        assert child.restarts == 0, events
        assert events == [f"producer-1 stopped: {supervisor.failed['producer-1']}"]
    finally:
        supervisor.stop()
