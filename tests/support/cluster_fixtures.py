"""pytest fixtures for the tests on the local secured 3-node cluster (marker ``cluster``):
the cluster, started once per session on free ports, and a served pipeline whose processes
each log in as their own role, with only that role's ACLs.

Registered from tests/conftest.py with ``pytest_plugins``.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from messaging.acls import ROLES, role_user
from messaging.topics import create_topics
from ops.cli_kafka import apply_role_acls
from ops.devservers.broker import free_port
from ops.devservers.cluster import LocalCluster
from ops.devservers.cluster_clients import client_env, client_settings
from ops.devservers.cluster_config import ClusterLayout
from ops.devservers.localhost import free_port_block
from ops.serve import build_supervisor
from schemas.settings import Settings, load_settings, packaged_datasets_dir
from tests.integration.crash_support import Served
from tests.support.waiting import wait_until

NODES = 3
# the variables that make a child process log in as its role's user
ROLE_VARIABLES = ("BULKFLOW_KAFKA_SASL_USERNAME", "BULKFLOW_KAFKA_SASL_PASSWORD_FILE")


@dataclass
class SecureCluster:
    cluster: LocalCluster
    layout: ClusterLayout

    def admin(self, base: Settings) -> Settings:
        """``base`` as the cluster's admin (a super user)."""
        return client_settings(self.cluster, base)

    def as_role(self, base: Settings, role: str) -> Settings:
        return client_settings(self.cluster, base, role_user(role))

    def role_env(self, role: str) -> dict[str, str]:
        env = client_env(self.cluster, role_user(role))
        return {k: env[k] for k in ROLE_VARIABLES}


@pytest.fixture(scope="session")
def secure_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureCluster]:
    """``bulkflow broker start --nodes 3 --secure``, once, on a free block of ports."""
    home = tmp_path_factory.mktemp("cluster-home")
    layout = ClusterLayout(NODES, free_port_block(4 * NODES), secure=True)
    cluster = LocalCluster(load_settings(home=home, broker_port=layout.base_port))
    cluster.start(NODES, secure=True, echo=print)
    try:
        yield SecureCluster(cluster, layout)
    finally:
        cluster.stop(echo=print, sig=signal.SIGKILL)  # its data goes with the test's folder


@pytest.fixture(scope="module")
def cluster_settings(
    secure_cluster: SecureCluster, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A test module's settings (its own prefix and home) as the cluster's admin, with its
    topics created (three copies, two in sync) and every role's ACLs for its prefix.
    One per module: each topic's partitions are more for every node to load and sync."""
    home = tmp_path_factory.mktemp("cluster-settings") / "home"
    return pipeline_settings(home, secure_cluster, chunk_partitions=4, topic_partitions=2)


def wait_for_rights(cluster: SecureCluster, settings: Settings, timeout_s: float = 60) -> None:
    """Until every broker grants each role what it needs: an ACL just created reaches the
    brokers through the metadata log, seconds later on a busy machine."""
    from messaging.preflight import KafkaAccessError, check_kafka

    deadline = time.monotonic() + timeout_s
    for role in ROLES:
        role_settings = cluster.as_role(settings, role)

        def granted(role: str = role, role_settings: Settings = role_settings) -> bool:
            check_kafka(role_settings, role)
            return True

        left_s = max(deadline - time.monotonic(), 0.5)
        wait_until(
            granted, f"the {role} role's rights", left_s, every_s=0.5, ignoring=(KafkaAccessError,)
        )


def role_of(child: str) -> str:
    """``producer-1`` -> ``producer``: the role a child of ``bulkflow serve`` plays."""
    return child.rsplit("-", 1)[0] if child[-1].isdigit() else child


def serve_as_roles(
    settings: Settings, cluster: SecureCluster, log_dir: Path, workers: int = 1
) -> Served:
    """The processes of ``bulkflow serve`` on the cluster, each logged in as its own role's
    user; a child that dies is restarted (so a test can tell that none had to be)."""
    port = free_port()
    supervisor = build_supervisor(
        settings, host="127.0.0.1", port=port, workers=workers, log_dir=log_dir
    )
    supervisor.restart = True
    role_env = {
        **{r: cluster.role_env(r) for r in ("api", "producer", "worker", "aggregator")},
        "gc": cluster.role_env("operator"),  # retention is an operator's job
    }
    for name, child in supervisor.children.items():
        child.env.update(role_env[role_of(name)])
    supervisor.start()
    served = Served(supervisor, f"http://127.0.0.1:{port}")
    served.wait_until("API up", served.api_up, 90)
    return served


def pipeline_settings(home: Path, cluster: SecureCluster, **overrides: object) -> Settings:
    """A pipeline's settings on the cluster (as its admin), under a fresh prefix."""
    base = load_settings(
        topic_prefix=f"t{uuid.uuid4().hex[:10]}",
        home=home,
        datasets_dir=packaged_datasets_dir(),
        **overrides,
    )
    admin = cluster.admin(base)
    create_topics(admin, ["orders"])
    apply_role_acls(admin, ROLES)
    wait_for_rights(cluster, admin)
    return admin
