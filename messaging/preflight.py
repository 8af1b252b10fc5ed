"""Every process checks its Kafka connection when it starts, and stops at once with one
line that names the setting to fix: a wrong password, a certificate it cannot trust, a
listener that does not answer or speaks another protocol, a role without its ACLs.

librdkafka reports these through the client's error callback and keeps retrying, so the
check is a probe: an AdminClient asks for metadata until it gets it, or until an error
that retrying cannot cure arrives, or until a deadline. ``explain`` (pure) turns what it
saw into the sentence a person needs.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from messaging.clients import admin_config
from schemas.errors import BulkflowError, ConfigError
from schemas.settings import Settings

# the whole check stays within the 10 s a process may take to say what is wrong
PREFLIGHT_TIMEOUT_S = 7.0
# every address refusing connections for this long is an answer: nothing listens there
REFUSED_FOR_S = 2.0
# rights found missing are asked for again after this long before the process stops
RIGHTS_AGAIN_S = 1.5
_LOGIN = (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED)


class KafkaAccessError(ConfigError):
    """Kafka refuses this process as configured (login, certificate, protocol, ACLs): the
    message names the setting. A supervisor does not restart it: it would fail again."""


class KafkaUnreachableError(BulkflowError):
    """No Kafka broker answered (nothing listening, no route, no name): the message names
    the setting. Unlike a refusal this may pass, so a supervisor restarts the process."""


def check_kafka(
    settings: Settings,
    role: str | None = None,
    datasets: Iterable[str] | None = None,
    timeout_s: float = PREFLIGHT_TIMEOUT_S,
) -> None:
    """Return once Kafka answers this client and (given a role of ``messaging.acls``) grants
    what the role needs, for ``datasets`` (default: the settings' datasets folder); else
    raise KafkaAccessError with one line."""
    errors: list[KafkaError] = []
    config = admin_config(settings, socket_timeout_ms=int(timeout_s * 1000))
    config.update({"error_cb": errors.append, "log_level": 0})
    admin = AdminClient(config)
    started = time.monotonic()
    deadline = started + timeout_s
    while True:
        try:
            if admin.list_topics(timeout=min(0.5, max(deadline - time.monotonic(), 0.1))).brokers:
                break
        except KafkaException:
            pass
        admin.poll(0)  # serves the error callback
        final = next((e for e in errors if conclusive(e)), None)
        refused = bool(errors) and all(refusal(e) for e in errors)
        if refused and time.monotonic() - started >= REFUSED_FOR_S:
            deadline = time.monotonic()
        if final is not None or time.monotonic() >= deadline:
            tls = tls_diagnosis(settings) if final is not None and _is_verify(final) else None
            text = explain(settings, errors, timeout_s, tls)
            if final is None and (refused or not errors or _unanswered(errors)):
                raise KafkaUnreachableError(text)
            raise KafkaAccessError(text)
    if role is not None:
        from schemas.dataset import DatasetRegistry

        if datasets is None:
            datasets = DatasetRegistry(settings.datasets_dir).names()
        missing = _missing(admin, settings, role, list(datasets))
        if missing:  # once more: ACLs just made reach every broker a moment later
            time.sleep(RIGHTS_AGAIN_S)
            missing = _missing(admin, settings, role, list(datasets))
        if missing:
            raise KafkaAccessError(explain_rights(settings, role, missing))


def _missing(admin: AdminClient, settings: Settings, role: str, datasets: list[str]) -> list[str]:
    from messaging.acl_admin import missing_rights

    try:
        return missing_rights(admin, settings, role, datasets)
    except (KafkaException, TimeoutError):
        return []  # a coordinator not ready yet: the clients find out themselves


class KafkaCheck:
    """``check_kafka`` in a thread, while the process imports and builds what it needs (a
    faust app takes seconds). ``wait`` raises what the check found."""

    def __init__(self, settings: Settings, role: str | None = None) -> None:
        self._found: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(settings, role), name="kafka-check", daemon=True
        )
        self._thread.start()

    def _run(self, settings: Settings, role: str | None) -> None:
        try:
            check_kafka(settings, role)
        except BaseException as exc:  # handed to the caller's thread
            self._found.append(exc)

    def wait(self, timeout_s: float | None = None, refusals_only: bool = False) -> bool:
        """Wait for the check (at most ``timeout_s``) and raise what it found (with
        ``refusals_only``, only a KafkaAccessError: a Kafka that does not answer yet is
        left for the full wait); whether it is done."""
        self._thread.join(timeout_s)
        if self._found and (not refusals_only or isinstance(self._found[0], KafkaAccessError)):
            raise self._found[0]
        return not self._thread.is_alive()

    def __call__(self) -> None:
        self.wait()


def check_kafka_soon(settings: Settings, role: str | None = None) -> KafkaCheck:
    return KafkaCheck(settings, role)


def refusal(error: KafkaError) -> bool:
    """A connection refused (nothing listens), or librdkafka's summary that all are down."""
    return error.code() == KafkaError._ALL_BROKERS_DOWN or "Connection refused" in error.str()


def _unanswered(errors: list[KafkaError]) -> bool:
    """Only refusals, lookups that failed and timeouts: nothing that answered wrongly."""
    return all(
        refusal(e) or e.code() in (KafkaError._RESOLVE, KafkaError._TIMED_OUT) for e in errors
    )


def conclusive(error: KafkaError) -> bool:
    """An error that retrying will not cure: a refused login or certificate."""
    return error.code() in (*_LOGIN, KafkaError._SSL)


def _is_verify(error: KafkaError) -> bool:
    return error.code() == KafkaError._SSL and "certificate verify failed" in error.str()


def identity(settings: Settings) -> str:
    s = settings
    if s.kafka_uses_sasl:
        return f"user '{s.kafka_sasl_username}' ({s.kafka_sasl_mechanism})"
    if s.kafka_ssl_cert_file is not None:
        return f"the certificate {s.kafka_ssl_cert_file.name}"
    return "this client"


def explain(
    settings: Settings, errors: list[KafkaError], timeout_s: float, tls: str | None = None
) -> str:
    """The one line for what the probe saw (pure). ``tls`` is ``tls_diagnosis``'s finding
    for a certificate that did not verify: "hostname" or "ca"."""
    s = settings
    at = f"Kafka at {s.kafka_bootstrap}"
    password = (
        "BULKFLOW_KAFKA_SASL_PASSWORD_FILE"
        if s.kafka_sasl_password_file is not None
        else "BULKFLOW_KAFKA_SASL_PASSWORD"
    )
    for e in errors:
        text = e.str()
        if e.code() in _LOGIN:
            offered = re.search(r"supported mechanisms: ([\w, -]+?)(?: \(after|$)", text)
            if offered:
                return (
                    f"{at} does not offer SASL mechanism {s.kafka_sasl_mechanism} (it offers "
                    f"{offered.group(1)}): check BULKFLOW_KAFKA_SASL_MECHANISM"
                )
            return (
                f"Kafka refused the SASL login of {identity(s)}: check {password} "
                "(and BULKFLOW_KAFKA_SASL_USERNAME)"
            )
        if e.code() == KafkaError._SSL:
            if "certificate verify failed" in text:
                if tls == "hostname":
                    return (
                        f"the TLS certificate of {at} does not name the host connected to: "
                        "check BULKFLOW_KAFKA_BOOTSTRAP (use a name the certificate holds) "
                        "or, for a test broker only, BULKFLOW_KAFKA_SSL_VERIFY_HOSTNAME=false"
                    )
                return (
                    f"the TLS certificate of {at} is not signed by a CA this client trusts: "
                    "check BULKFLOW_KAFKA_SSL_CA_FILE"
                )
            if re.search(r"wrong version number|packet length|record layer failure", text):
                return (
                    f"{at} does not speak TLS on that port: check "
                    f"BULKFLOW_KAFKA_SECURITY_PROTOCOL (now {s.kafka_security_protocol}) "
                    "and BULKFLOW_KAFKA_BOOTSTRAP"
                )
            return (
                f"{at} refused the TLS handshake ({_short(text)}): check "
                "BULKFLOW_KAFKA_SSL_CERT_FILE and BULKFLOW_KAFKA_SSL_KEY_FILE"
            )
    for e in errors:
        text = e.str()
        if e.code() == KafkaError._RESOLVE:
            return (
                f"cannot resolve the host of {at} ({_short(text)}): check BULKFLOW_KAFKA_BOOTSTRAP"
            )
        if "Connection refused" in text:
            return (
                f"nothing listens at {s.kafka_bootstrap} (connection refused): check "
                "BULKFLOW_KAFKA_BOOTSTRAP, or start the local broker (`bulkflow broker start`)"
            )
        if re.search(r"security.protocol|Disconnected|Broken pipe|reset by peer", text):
            return (
                f"{at} closed the connection before it answered: check "
                f"BULKFLOW_KAFKA_SECURITY_PROTOCOL (now {s.kafka_security_protocol})"
            )
    return (
        f"no answer from {at} within {timeout_s:.0f}s: check BULKFLOW_KAFKA_BOOTSTRAP and "
        f"that the listener speaks BULKFLOW_KAFKA_SECURITY_PROTOCOL={s.kafka_security_protocol}"
    )


def explain_rights(settings: Settings, role: str, missing: list[str]) -> str:
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    who = (
        "BULKFLOW_KAFKA_SASL_USERNAME"
        if settings.kafka_uses_sasl
        else "BULKFLOW_KAFKA_SSL_CERT_FILE (its common name is the user)"
    )
    return (
        f"Kafka denies {identity(settings)} what the {role} role needs: {shown}; an admin "
        f"grants it with `bulkflow kafka acls --role {role} --apply`, or check {who}"
    )


def _short(text: str) -> str:
    """librdkafka's message without the broker prefix and the state suffix."""
    text = re.sub(r"^\S+/bootstrap: |^\S+: (?=\S)", "", text, count=1)
    return re.sub(r" \(after \d+ms in state \w+\)$", "", text)


def tls_diagnosis(settings: Settings, timeout_s: float = 2.0) -> str | None:
    """Why a broker's certificate failed to verify, found by a handshake of our own with
    the first bootstrap address: "hostname" when it verifies against the CA without the
    name check, "ca" when it does not verify at all, None when this cannot tell."""
    host, _, port = settings.kafka_bootstrap.split(",")[0].strip().rpartition(":")
    context = ssl.create_default_context(
        cafile=str(settings.kafka_ssl_ca_file) if settings.kafka_ssl_ca_file else None
    )
    context.check_hostname = False
    if settings.kafka_ssl_cert_file is not None and settings.kafka_ssl_key_file is not None:
        context.load_cert_chain(str(settings.kafka_ssl_cert_file), str(settings.kafka_ssl_key_file))
    try:
        with (
            socket.create_connection((host, int(port)), timeout=timeout_s) as sock,
            context.wrap_socket(sock, server_hostname=host),
        ):
            return "hostname"
    except ssl.SSLCertVerificationError:
        return "ca"
    except (OSError, ValueError):
        return None
