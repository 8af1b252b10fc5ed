"""Kafka security settings reach both client stacks alike, and the password never shows."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from messaging.clients import admin_config, consumer_config, producer_config
from messaging.security import aiokafka_security, faust_credentials, librdkafka_security
from ops.devservers.certs import ensure_ca, issue_cert
from ops.supervisor import settings_env
from schemas.errors import ConfigError
from schemas.settings import Settings, load_settings

SECRET = "s3cr3t-Pa55word"


@pytest.fixture
def tls(tmp_path: Path) -> dict[str, Path]:
    ca = ensure_ca(tmp_path / "tls")
    client = issue_cert(tmp_path / "tls", "bulkflow-worker", client=True)
    return {"ca": ca.cert, "cert": client.cert, "key": client.key}


def scram(tls: dict[str, Path], **more: object) -> Settings:
    fields: dict[str, object] = {
        "kafka_bootstrap": "k1:9093,k2:9093",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": "bulkflow-worker",
        "kafka_sasl_password": SECRET,
        "kafka_ssl_ca_file": tls["ca"],
    }
    return load_settings(**{**fields, **more})


def test_sasl_ssl_reaches_every_confluent_client(tls: dict[str, Path]) -> None:
    settings = scram(tls)
    expected = {
        "bootstrap.servers": "k1:9093,k2:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "bulkflow-worker",
        "sasl.password": SECRET,
        "ssl.ca.location": str(tls["ca"]),
        "ssl.endpoint.identification.algorithm": "https",
    }
    for config in (
        producer_config(settings),
        consumer_config(settings, "g"),
        admin_config(settings),
    ):
        assert {k: config[k] for k in expected} == expected


def test_mtls_presents_the_client_certificate(tls: dict[str, Path]) -> None:
    settings = load_settings(
        kafka_security_protocol="SSL",
        kafka_ssl_ca_file=tls["ca"],
        kafka_ssl_cert_file=tls["cert"],
        kafka_ssl_key_file=tls["key"],
        kafka_ssl_verify_hostname=False,
    )
    assert librdkafka_security(settings) == {
        "security.protocol": "SSL",
        "ssl.ca.location": str(tls["ca"]),
        "ssl.certificate.location": str(tls["cert"]),
        "ssl.key.location": str(tls["key"]),
        "ssl.endpoint.identification.algorithm": "none",
    }
    kwargs = aiokafka_security(settings)
    assert kwargs["security_protocol"] == "SSL" and "sasl_mechanism" not in kwargs
    context = kwargs["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is False
    credentials = faust_credentials(settings)
    assert credentials.protocol.value == "SSL" and credentials.context.check_hostname is False


def test_faust_logs_in_like_the_confluent_clients(tls: dict[str, Path], tmp_path: Path) -> None:
    from stream_processors.faust_common import build_faust_app

    settings = scram(tls, home=tmp_path)
    credentials = build_faust_app(settings, "acme-progress").conf.broker_credentials
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("bulkflow-worker", SECRET)
    assert credentials.ssl_context.check_hostname is True
    assert SECRET not in repr(credentials)
    kwargs = aiokafka_security(settings)
    assert kwargs["sasl_plain_password"] == SECRET and kwargs["sasl_mechanism"] == "SCRAM-SHA-512"


def test_plaintext_gets_no_credentials(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path)
    assert librdkafka_security(settings) == {"security.protocol": "PLAINTEXT"}
    assert aiokafka_security(settings) == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(settings) is None


def test_the_password_file_wins_and_is_read_when_a_client_is_built(
    tls: dict[str, Path], tmp_path: Path
) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text(SECRET + "\n")
    settings = scram(tls, kafka_sasl_password="", kafka_sasl_password_file=secret_file)
    assert librdkafka_security(settings)["sasl.password"] == SECRET
    env = settings_env(settings)
    assert env["BULKFLOW_KAFKA_SASL_PASSWORD_FILE"] == str(secret_file)
    assert SECRET not in "".join(env.values())  # a child reads the file too


def test_the_password_never_shows(tls: dict[str, Path]) -> None:
    settings = scram(tls)
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert SECRET not in text
    # a child process gets it, as it got it: it needs it to log in
    assert settings_env(settings)["BULKFLOW_KAFKA_SASL_PASSWORD"] == SECRET


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"kafka_sasl_username": ""}, "BULKFLOW_KAFKA_SASL_USERNAME is empty"),
        ({"kafka_sasl_password": ""}, "needs BULKFLOW_KAFKA_SASL_PASSWORD or"),
        ({"kafka_sasl_password_file": "/nowhere/pw"}, "both BULKFLOW_KAFKA_SASL_PASSWORD and"),
        ({"kafka_ssl_ca_file": "/nowhere/ca.pem"}, "BULKFLOW_KAFKA_SSL_CA_FILE=/nowhere/ca.pem"),
        ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "TLS files are set but"),
        ({"kafka_security_protocol": "PLAINTEXT"}, "a SASL user is set but"),
        ({"kafka_ssl_key_file": "/tmp"}, "needs both BULKFLOW_KAFKA_SSL_CERT_FILE and"),
        ({"kafka_sasl_mechanism": "GSSAPI"}, "BULKFLOW_KAFKA_SASL_MECHANISM: Input should be"),
        ({"min_insync_replicas": 2}, "BULKFLOW_MIN_INSYNC_REPLICAS=2 exceeds"),
    ],
)
def test_a_bad_security_setting_is_one_line_naming_it(
    tls: dict[str, Path], overrides: dict[str, object], names: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        scram(tls, **overrides)
    message = str(caught.value)
    assert names in message
    assert "\n" not in message and SECRET not in message
    assert caught.value.__cause__ is None  # no chained traceback with the input in it
