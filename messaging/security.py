"""How every Kafka client authenticates and encrypts, from the settings' ``kafka_*``
security fields: the librdkafka properties of the confluent-kafka clients, and the
arguments of aiokafka's clients (and faust's ``broker_credentials``) for the faust apps.
Both stacks get the same protocol, mechanism, user, CA, client certificate and hostname
check, so no client is left plaintext.

OAUTHBEARER is not offered: librdkafka fetches OIDC tokens itself, but aiokafka only takes
a token provider object written by the application, so the faust apps would need a token
client of bulkflow's own (fetching, caching, refreshing) to match.
"""

from __future__ import annotations

import ssl
from typing import Any

from schemas.settings import Settings


def librdkafka_security(settings: Settings) -> dict[str, Any]:
    """The ``security.protocol``, ``sasl.*`` and ``ssl.*`` properties of a confluent-kafka
    client (only the protocol for PLAINTEXT)."""
    s = settings
    config: dict[str, Any] = {"security.protocol": s.kafka_security_protocol}
    if s.kafka_uses_sasl:
        config.update(
            {
                "sasl.mechanism": s.kafka_sasl_mechanism,
                "sasl.username": s.kafka_sasl_username,
                "sasl.password": s.kafka_password(),
            }
        )
    if s.kafka_uses_tls:
        config["ssl.endpoint.identification.algorithm"] = (
            "https" if s.kafka_ssl_verify_hostname else "none"
        )
        if s.kafka_ssl_ca_file is not None:
            config["ssl.ca.location"] = str(s.kafka_ssl_ca_file)
        if s.kafka_ssl_cert_file is not None and s.kafka_ssl_key_file is not None:
            config["ssl.certificate.location"] = str(s.kafka_ssl_cert_file)
            config["ssl.key.location"] = str(s.kafka_ssl_key_file)
    return config


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context of the aiokafka clients: the CA (else the system's trust store), the
    client certificate for mTLS, the broker's certificate always checked, its host name
    unless BULKFLOW_KAFKA_SSL_VERIFY_HOSTNAME=false."""
    s = settings
    context = ssl.create_default_context(
        cafile=str(s.kafka_ssl_ca_file) if s.kafka_ssl_ca_file is not None else None
    )
    if s.kafka_ssl_cert_file is not None and s.kafka_ssl_key_file is not None:
        context.load_cert_chain(str(s.kafka_ssl_cert_file), str(s.kafka_ssl_key_file))
    context.check_hostname = s.kafka_ssl_verify_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def aiokafka_security(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of an aiokafka client (AIOKafkaProducer, AIOKafkaConsumer)."""
    s = settings
    kwargs: dict[str, Any] = {"security_protocol": s.kafka_security_protocol}
    if s.kafka_uses_tls:
        kwargs["ssl_context"] = ssl_context(s)
    if s.kafka_uses_sasl:
        kwargs.update(
            sasl_mechanism=s.kafka_sasl_mechanism,
            sasl_plain_username=s.kafka_sasl_username,
            sasl_plain_password=s.kafka_password(),
        )
    return kwargs


def faust_credentials(settings: Settings) -> Any:
    """faust's ``broker_credentials``: SASLCredentials (with the TLS context for SASL_SSL),
    SSLCredentials, or None for PLAINTEXT. faust hands them to every aiokafka client it
    builds (consumer, producer, the topic creator): aiokafka logs in with SCRAM from the
    same username and password as PLAIN, and presents the context's certificate for mTLS."""
    import faust

    s = settings
    if s.kafka_uses_sasl:
        return faust.SASLCredentials(
            username=s.kafka_sasl_username,
            password=s.kafka_password(),
            ssl_context=ssl_context(s) if s.kafka_uses_tls else None,
            mechanism=s.kafka_sasl_mechanism,
        )
    if s.kafka_uses_tls:
        return faust.SSLCredentials(ssl_context(s))
    return None
