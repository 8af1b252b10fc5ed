"""The local Kafka cluster's configuration (``bulkflow broker start --nodes N [--secure]``):
its ports, each node's server.properties, the users and what `kafka-storage format` adds.

Every node is a broker and a controller (KRaft, static ``controller.quorum.voters``). The
ports are consecutive blocks from the base port: the clients' listener of every node, then
the brokers' own listener, then the controllers', then (secured) an mTLS listener for
clients. Secured, it is set up as a company's cluster is:

* clients log in with SASL/SCRAM-SHA-512 over TLS (``CLIENT``); the users and their
  random passwords are written into the metadata when the storage is formatted;
* clients with a certificate of the project's CA connect with mTLS (``MTLS``); the
  certificate's common name is the user (``ssl.principal.mapping.rules``), so a role's
  ACLs hold on both listeners;
* brokers and controllers talk to each other over mTLS with the brokers' own certificate
  (principal ``bulkflow-broker``, a super user, as is ``admin``);
* the standard authorizer denies what no ACL allows;
* every topic Kafka makes itself has three copies, two of which must have a write.

Pure: functions of the layout and the paths; ``ops.devservers.cluster`` writes and runs.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ops.devservers.broker_config import (
    common_properties,
    properties_text,
    replication_properties,
)

ADMIN_USER = "admin"
BROKER_PRINCIPAL = "bulkflow-broker"
SASL_MECHANISM = "SCRAM-SHA-512"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
# a broker's certificate subject "CN=name" is user "name"; other subjects stay as they are
PRINCIPAL_RULES = "RULE:^CN=([^,]+)$/$1/,DEFAULT"
# A SIGKILLed node is fenced, and its partitions led elsewhere, when the controller has had
# no heartbeat from it for this long (Kafka's 9 s and 2 s made the stall of a leader's
# death about 12 s). Controlled shutdowns (SIGTERM) move leaders at once.
BROKER_SESSION_TIMEOUT_MS = 5_000
BROKER_HEARTBEAT_INTERVAL_MS = 1_000
# each node's JVM heap: three nodes share the machine with the pipeline (about 350 MB of
# memory per node with it)
NODE_HEAP = "256m"
SCRAM_ITERATIONS = 8192


@dataclass(frozen=True)
class ClusterLayout:
    """Which ports the nodes listen on, from ``base_port``: consecutive blocks of ``nodes``."""

    nodes: int
    base_port: int
    secure: bool
    host: str = "127.0.0.1"

    def client_port(self, i: int) -> int:
        return self.base_port + i

    def internal_port(self, i: int) -> int:
        return self.base_port + self.nodes + i

    def controller_port(self, i: int) -> int:
        return self.base_port + 2 * self.nodes + i

    def mtls_port(self, i: int) -> int:
        return self.base_port + 3 * self.nodes + i

    def ports(self) -> list[int]:
        """Every port a node of this cluster listens on."""
        blocks = 4 if self.secure else 3
        return list(range(self.base_port, self.base_port + blocks * self.nodes))

    @property
    def bootstrap(self) -> str:
        """The clients' listener of every node (SASL_SSL when secured)."""
        return ",".join(f"{self.host}:{self.client_port(i)}" for i in range(self.nodes))

    @property
    def mtls_bootstrap(self) -> str:
        return ",".join(f"{self.host}:{self.mtls_port(i)}" for i in range(self.nodes))

    @property
    def client_protocol(self) -> str:
        return "SASL_SSL" if self.secure else "PLAINTEXT"

    @property
    def replicas(self) -> int:
        return min(3, self.nodes)

    @property
    def min_insync(self) -> int:
        return self.replicas // 2 + 1


@dataclass(frozen=True)
class TlsFiles:
    """What a secured node reads: its key and certificate chain in one PEM file, the CA."""

    keystore: Path
    truststore: Path


def node_properties(
    layout: ClusterLayout, i: int, data_dir: Path, tls: TlsFiles | None, cpus: int | None
) -> dict[str, str]:
    """server.properties of node ``i`` (0-based; its node.id is i + 1)."""
    h = layout.host
    voters = ",".join(f"{n + 1}@{h}:{layout.controller_port(n)}" for n in range(layout.nodes))
    listeners = {
        "CLIENT": layout.client_port(i),
        "INTERNAL": layout.internal_port(i),
        "CONTROLLER": layout.controller_port(i),
    }
    if layout.secure:
        listeners["MTLS"] = layout.mtls_port(i)
    protocols = {
        "CLIENT": layout.client_protocol,
        "INTERNAL": "SSL" if layout.secure else "PLAINTEXT",
        "CONTROLLER": "SSL" if layout.secure else "PLAINTEXT",
        "MTLS": "SSL",
    }
    advertised = [name for name in listeners if name != "CONTROLLER"]
    props = {
        "process.roles": "broker,controller",
        "node.id": str(i + 1),
        "controller.quorum.voters": voters,
        "listeners": ",".join(f"{n}://{h}:{port}" for n, port in listeners.items()),
        "advertised.listeners": ",".join(f"{n}://{h}:{listeners[n]}" for n in advertised),
        "listener.security.protocol.map": ",".join(f"{n}:{protocols[n]}" for n in listeners),
        "inter.broker.listener.name": "INTERNAL",
        "controller.listener.names": "CONTROLLER",
        "log.dirs": str(data_dir),
        "broker.session.timeout.ms": str(BROKER_SESSION_TIMEOUT_MS),
        "broker.heartbeat.interval.ms": str(BROKER_HEARTBEAT_INTERVAL_MS),
        # the compaction's key map (of the progress topic, the aggregator's changelog and
        # the group offsets) is taken from the heap at start: Kafka's 128 MiB does not fit
        # in NODE_HEAP, and 16 MiB maps some 600,000 keys per cleaning pass
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        **replication_properties(layout.replicas),
        **common_properties(cpus),
    }
    if layout.secure:
        if tls is None:
            raise ValueError("a secured node needs its TLS files")
        props.update(security_properties(tls))
    return props


def security_properties(tls: TlsFiles) -> dict[str, str]:
    """TLS everywhere, SCRAM on the clients' listener, mTLS between nodes, the authorizer."""
    mechanism = SASL_MECHANISM.lower()
    return {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(tls.keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.truststore),
        "ssl.endpoint.identification.algorithm": "https",
        "ssl.principal.mapping.rules": PRINCIPAL_RULES,
        "listener.name.internal.ssl.client.auth": "required",
        "listener.name.controller.ssl.client.auth": "required",
        "listener.name.mtls.ssl.client.auth": "required",
        "sasl.enabled.mechanisms": SASL_MECHANISM,
        "listener.name.client.sasl.enabled.mechanisms": SASL_MECHANISM,
        f"listener.name.client.{mechanism}.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        ),
        "authorizer.class.name": AUTHORIZER,
        "super.users": f"User:{ADMIN_USER};User:{BROKER_PRINCIPAL}",
        "allow.everyone.if.no.acl.found": "false",
    }


def node_properties_text(
    layout: ClusterLayout, i: int, data_dir: Path, tls: TlsFiles | None, cpus: int | None
) -> str:
    return properties_text(node_properties(layout, i, data_dir, tls, cpus))


def scram_arguments(passwords: dict[str, str], salts: dict[str, bytes]) -> list[str]:
    """``kafka-storage format`` arguments that create each user. They carry the salted
    password (RFC 5802's SaltedPassword), never the password itself, so the command line
    that any local user can list shows nothing that logs in."""
    args: list[str] = []
    for user, password in sorted(passwords.items()):
        salt = salts[user]
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, SCRAM_ITERATIONS)
        fields = (
            f"name={user},iterations={SCRAM_ITERATIONS},"
            f'salt="{base64.b64encode(salt).decode()}",'
            f'saltedpassword="{base64.b64encode(salted).decode()}"'
        )
        args += ["--add-scram", f"{SASL_MECHANISM}=[{fields}]"]
    return args
