"""How clients connect to the local cluster: each user's ``BULKFLOW_*`` settings, as a
mapping, as shell lines to source (``env_lines``, the files of ``--env-file``) or as a
Settings object (tests, the cluster's own start).

A secured cluster has two client listeners: SASL_SSL with SCRAM (the default, as on most
managed Kafkas), and mTLS, where the user is the common name of the client certificate
the cluster made for it (``mtls=True``; any librdkafka can use it, where SCRAM against
Kafka 4 needs librdkafka 2.6.1 or later).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from files.private import write_private_text
from messaging.acls import ROLES, role_user
from ops.devservers.cluster_config import ADMIN_USER, SASL_MECHANISM
from ops.errors import BrokerError
from schemas.settings import Settings

if TYPE_CHECKING:
    from ops.devservers.cluster import LocalCluster

# the settings an env file sets; it clears the others, which would clash with them
CLIENT_VARIABLES = (
    "BULKFLOW_KAFKA_SASL_PASSWORD",
    "BULKFLOW_KAFKA_SASL_PASSWORD_FILE",
    "BULKFLOW_KAFKA_SASL_USERNAME",
    "BULKFLOW_KAFKA_SSL_CERT_FILE",
    "BULKFLOW_KAFKA_SSL_KEY_FILE",
)


def client_env(cluster: LocalCluster, user: str = ADMIN_USER, mtls: bool = False) -> dict[str, str]:
    """The ``BULKFLOW_*`` settings with which ``user`` connects to the cluster."""
    layout = cluster.layout()
    if layout is None:
        raise BrokerError(
            f"no local cluster in {cluster.home}: `bulkflow broker start --nodes 3 --secure`"
        )
    env = {
        "BULKFLOW_KAFKA_BOOTSTRAP": layout.mtls_bootstrap if mtls else layout.bootstrap,
        "BULKFLOW_KAFKA_SECURITY_PROTOCOL": "SSL" if mtls else layout.client_protocol,
        "BULKFLOW_REPLICATION_FACTOR": str(layout.replicas),
        "BULKFLOW_MIN_INSYNC_REPLICAS": str(layout.min_insync),
        "BULKFLOW_TOPIC_PREFIX": cluster.settings.topic_prefix,
    }
    if not layout.secure:
        return env
    env["BULKFLOW_KAFKA_SSL_CA_FILE"] = str(cluster.tls_files().truststore)
    if mtls:
        env["BULKFLOW_KAFKA_SSL_CERT_FILE"] = str(cluster.tls_dir / f"{user}.pem")
        env["BULKFLOW_KAFKA_SSL_KEY_FILE"] = str(cluster.tls_dir / f"{user}.key")
    else:
        env["BULKFLOW_KAFKA_SASL_MECHANISM"] = SASL_MECHANISM
        env["BULKFLOW_KAFKA_SASL_USERNAME"] = user
        env["BULKFLOW_KAFKA_SASL_PASSWORD_FILE"] = str(cluster.password_file(user))
    return env


def env_lines(cluster: LocalCluster, user: str = ADMIN_USER, mtls: bool = False) -> list[str]:
    """Shell lines that set ``user``'s settings (and clear those they do not set)."""
    env = client_env(cluster, user, mtls)
    unset = " ".join(v for v in CLIENT_VARIABLES if v not in env)
    return [f"unset {unset}", *(f"export {k}={shlex.quote(v)}" for k, v in env.items())]


def client_settings(
    cluster: LocalCluster, base: Settings, user: str = ADMIN_USER, mtls: bool = False
) -> Settings:
    """``base`` with ``user``'s settings for the cluster on top (the topic prefix and the
    rest stay ``base``'s)."""
    env = client_env(cluster, user, mtls)

    def path(name: str) -> Path | None:
        return Path(env[name]) if name in env else None

    update: dict[str, object] = {
        "kafka_bootstrap": env["BULKFLOW_KAFKA_BOOTSTRAP"],
        "kafka_security_protocol": env["BULKFLOW_KAFKA_SECURITY_PROTOCOL"],
        "replication_factor": int(env["BULKFLOW_REPLICATION_FACTOR"]),
        "min_insync_replicas": int(env["BULKFLOW_MIN_INSYNC_REPLICAS"]),
        "kafka_sasl_username": env.get("BULKFLOW_KAFKA_SASL_USERNAME", ""),
        "kafka_sasl_password": SecretStr(""),
        "kafka_sasl_password_file": path("BULKFLOW_KAFKA_SASL_PASSWORD_FILE"),
        "kafka_ssl_ca_file": path("BULKFLOW_KAFKA_SSL_CA_FILE"),
        "kafka_ssl_cert_file": path("BULKFLOW_KAFKA_SSL_CERT_FILE"),
        "kafka_ssl_key_file": path("BULKFLOW_KAFKA_SSL_KEY_FILE"),
    }
    if "BULKFLOW_KAFKA_SASL_MECHANISM" in env:
        update["kafka_sasl_mechanism"] = env["BULKFLOW_KAFKA_SASL_MECHANISM"]
    return base.model_copy(update=update)


def env_text(cluster: LocalCluster) -> list[str]:
    """What ``broker start`` prints: the admin's settings as lines to source or eval, and
    each role's user (and mTLS certificate) as comments."""
    layout = cluster.layout()
    if layout is None or not layout.secure:
        return ["# the cluster's client settings", *env_lines(cluster)]
    lines = ["# admin (super user: topics, ACLs, demo, bench)", *env_lines(cluster, ADMIN_USER)]
    lines.append("# each role: the admin's settings with its own user (--env-file writes each)")
    for role in ROLES:
        env = client_env(cluster, role_user(role))
        lines.append(
            f"#   {role}: export BULKFLOW_KAFKA_SASL_USERNAME={env['BULKFLOW_KAFKA_SASL_USERNAME']}"
            f" BULKFLOW_KAFKA_SASL_PASSWORD_FILE={env['BULKFLOW_KAFKA_SASL_PASSWORD_FILE']}"
        )
    lines.append(f"# mTLS instead of SCRAM: {layout.mtls_bootstrap}, with <role>.mtls env files")
    return lines


def write_env_files(cluster: LocalCluster, path: Path) -> list[Path]:
    """``path`` for the admin, and beside it ``<stem>.<role><suffix>`` for each role and
    ``<stem>.<role>.mtls<suffix>`` for its mTLS identity: each a complete set of settings
    to source. Owner-only (they name the password files, not the passwords)."""
    path = path.expanduser().absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    layout = cluster.layout()
    files: dict[Path, tuple[str, bool]] = {path: (ADMIN_USER, False)}
    if layout is not None and layout.secure:
        for role in ("admin", *ROLES):
            user = ADMIN_USER if role == "admin" else role_user(role)
            if role != "admin":
                files[path.with_name(f"{path.stem}.{role}{path.suffix}")] = (user, False)
            files[path.with_name(f"{path.stem}.{role}.mtls{path.suffix}")] = (user, True)
    for target, (user, mtls) in files.items():
        write_private_text(target, "\n".join(env_lines(cluster, user, mtls)) + "\n")
    return list(files)
