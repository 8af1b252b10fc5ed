"""A local Kafka cluster of N KRaft nodes (``bulkflow broker start --nodes N [--secure]``),
run from the same jars as the single broker, one data folder and one process per node.

Secured, it makes (once, kept in its folder) the project's CA and the brokers' certificate
(``ops.devservers.certs``), a random password per user in an owner-only file, and a client
certificate per user for mTLS; the SCRAM users are written at format time. What each node's
server.properties says is in ``ops.devservers.cluster_config``. The clients' settings of
each user are ``export BULKFLOW_...`` lines (``ops.devservers.cluster_clients``), which a
person, a test or a script sources to connect.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from files.private import open_private, private_dir, write_private_text
from messaging.acls import ROLES, role_user
from ops.devservers.broker import LocalBroker
from ops.devservers.broker_config import jvm_flags, packaged_config
from ops.devservers.certs import ensure_ca, issue_cert
from ops.devservers.cluster_clients import client_settings
from ops.devservers.cluster_config import (
    ADMIN_USER,
    BROKER_PRINCIPAL,
    NODE_HEAP,
    ClusterLayout,
    TlsFiles,
    node_properties_text,
    scram_arguments,
)
from ops.devservers.cluster_health import warm_group_coordinator
from ops.devservers.localhost import find_java, is_alive, port_is_free, wait_for_broker
from ops.errors import BrokerError
from schemas.settings import Settings

START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30
FORMAT_TIMEOUT_S = 120
Echo = Callable[[str], None]
USERS = (ADMIN_USER, *(role_user(r) for r in ROLES))


@dataclass(frozen=True)
class NodeStatus:
    node_id: int
    pid: int | None
    address: str
    log_file: Path

    @property
    def running(self) -> bool:
        return self.pid is not None


class LocalCluster:
    """The cluster under ``<home>/kafka-cluster`` (its layout is kept in cluster.json)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = (settings.home / "kafka-cluster").resolve()
        self.state_file = self.home / "cluster.json"
        self.tls_dir = self.home / "tls"
        self.users_dir = self.home / "users"
        self.log4j_file = self.home / "log4j2.properties"
        self.jars = LocalBroker(settings)  # the same jar cache as the single broker
        # the nodes this object started: a process just started has no command line to
        # recognise it by for a moment, so their liveness is asked of the handles
        self._procs: dict[int, subprocess.Popen[bytes]] = {}

    # layout and files ---------------------------------------------------------------------
    def layout(self) -> ClusterLayout | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        return ClusterLayout(state["nodes"], state["base_port"], state["secure"])

    def node_dir(self, i: int) -> Path:
        return self.home / f"node-{i + 1}"

    def _pid_file(self, i: int) -> Path:
        return self.node_dir(i) / "broker.pid"

    def log_file(self, i: int) -> Path:
        return self.node_dir(i) / "broker.log"

    def password_file(self, user: str) -> Path:
        return self.users_dir / f"{user}.password"

    def tls_files(self) -> TlsFiles:
        return TlsFiles(self.tls_dir / "broker-keystore.pem", self.tls_dir / "ca.pem")

    # processes ----------------------------------------------------------------------------
    def node_pid(self, i: int) -> int | None:
        """The pid of node ``i`` while its process runs (checked against /proc)."""
        try:
            pid = int(self._pid_file(i).read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        config = str(self.node_dir(i) / "server.properties").encode()
        return pid if b"kafka.Kafka" in cmdline and config in cmdline and is_alive(pid) else None

    def status(self) -> list[NodeStatus]:
        layout = self.layout()
        if layout is None:
            return []
        return [
            NodeStatus(
                i + 1, self.node_pid(i), f"{layout.host}:{layout.client_port(i)}", self.log_file(i)
            )
            for i in range(layout.nodes)
        ]

    def describe(self) -> str:
        layout = self.layout()
        if layout is None:
            return f"no local cluster in {self.home}"
        kind = "secured (SASL_SSL, SCRAM-SHA-512, ACLs)" if layout.secure else "open"
        lines = [f"{layout.nodes}-node {kind} cluster in {self.home}:"]
        for node in self.status():
            state = f"running (pid {node.pid})" if node.running else "not running"
            lines.append(f"  node {node.node_id} at {node.address}: {state}; log {node.log_file}")
        return "\n".join(lines)

    def start(self, nodes: int, secure: bool, echo: Echo = print) -> ClusterLayout:
        layout = ClusterLayout(nodes, self.settings.broker_port, secure)
        existing = self.layout()
        if existing is not None and existing != layout:
            raise BrokerError(
                f"{self.home} holds a {existing.nodes}-node "
                f"{'secured' if existing.secure else 'open'} cluster on ports from "
                f"{existing.base_port}: start it as it is, or `bulkflow broker reset` first"
            )
        stopped = [i for i in range(nodes) if self.node_pid(i) is None]
        if not stopped:
            echo(f"already running:\n{self.describe()}")
            return layout
        busy = [p for p in layout.ports() if not port_is_free(p)] if len(stopped) == nodes else []
        if busy:
            raise BrokerError(
                f"ports {', '.join(map(str, busy))} on 127.0.0.1 are in use; the cluster needs "
                f"{layout.ports()[0]}-{layout.ports()[-1]}: choose another base port with "
                "BULKFLOW_BROKER_PORT"
            )
        java = find_java()
        classpath = f"{self.jars.ensure_jars(echo)}/*"
        self._prepare(layout)
        started = time.monotonic()
        self._format(java, classpath, layout)
        for i in stopped:
            self._spawn(java, classpath, i)
        try:
            self.wait_ready(layout, START_TIMEOUT_S)
        except BrokerError:
            self.stop(echo=lambda _m: None)
            raise
        echo(
            f"{nodes}-node {'secured ' if secure else ''}cluster started in "
            f"{time.monotonic() - started:.1f}s at {layout.bootstrap} (logs in {self.home})"
        )
        return layout

    def _prepare(self, layout: ClusterLayout) -> None:
        """Folders, state, TLS material and passwords (made once), each node's config."""
        private_dir(self.home)
        if not self.state_file.exists():
            state = {
                "nodes": layout.nodes,
                "base_port": layout.base_port,
                "secure": layout.secure,
                "cluster_id": uuid.uuid4().hex[:22],
            }
            self.state_file.write_text(json.dumps(state))
        tls = self._make_tls() if layout.secure else None
        self.log4j_file.write_text(packaged_config("log4j2.properties"), encoding="utf-8")
        for i in range(layout.nodes):
            private_dir(self.node_dir(i))
            text = node_properties_text(layout, i, self.node_dir(i) / "data", tls, os.cpu_count())
            (self.node_dir(i) / "server.properties").write_text(text)

    def _make_tls(self) -> TlsFiles:
        files = self.tls_files()
        if not files.keystore.exists():
            ensure_ca(self.tls_dir)
            pair = issue_cert(self.tls_dir, BROKER_PRINCIPAL, peer=True)
            with open_private(files.keystore) as f:  # Kafka's PEM keystore: key, then chain
                f.write(pair.key.read_bytes() + pair.cert.read_bytes())
        for user in USERS:
            if not (self.tls_dir / f"{user}.pem").exists():
                issue_cert(self.tls_dir, user, client=True)
        private_dir(self.users_dir)
        for user in USERS:
            if not self.password_file(user).exists():
                write_private_text(self.password_file(user), secrets.token_urlsafe(24))
        return files

    def _format(self, java: str, classpath: str, layout: ClusterLayout) -> None:
        """Format each node's storage once (all at once), with the SCRAM users if secured."""
        state = json.loads(self.state_file.read_text())
        users: list[str] = []
        if layout.secure:
            passwords = {u: self.password_file(u).read_text().strip() for u in USERS}
            users = scram_arguments(passwords, {u: secrets.token_bytes(16) for u in USERS})
        procs = []
        for i in range(layout.nodes):
            if (self.node_dir(i) / "data" / "meta.properties").exists():
                continue
            cmd = [
                java,
                "-cp",
                classpath,
                f"-Dlog4j2.configurationFile={self.log4j_file}",
                f"-Dbulkflow.broker.log={self.log_file(i)}",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                state["cluster_id"],
                "-c",
                str(self.node_dir(i) / "server.properties"),
                *users,
            ]
            procs.append(
                (i, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
            )
        for i, proc in procs:
            try:
                out, _ = proc.communicate(timeout=FORMAT_TIMEOUT_S)
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                raise BrokerError(f"formatting node {i + 1} took over {FORMAT_TIMEOUT_S}s") from exc
            if proc.returncode != 0:
                text = out.decode(errors="replace")[-2000:]
                raise BrokerError(f"formatting node {i + 1}'s storage failed:\n{text}")

    def _spawn(self, java: str, classpath: str, i: int) -> int:
        folder = self.node_dir(i)
        with open(folder / "broker.stdout", "ab") as out:
            proc = subprocess.Popen(
                [
                    java,
                    *jvm_flags(NODE_HEAP, tls=self._secure()),
                    f"-Dlog4j2.configurationFile={self.log4j_file}",
                    f"-Dbulkflow.broker.log={self.log_file(i)}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(folder / "server.properties"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._pid_file(i).write_text(str(proc.pid))
        self._procs[i] = proc
        return proc.pid

    def _secure(self) -> bool:
        layout = self.layout()
        return layout is not None and layout.secure

    def alive(self, i: int) -> bool:
        """Whether node ``i`` runs (asked of the process handle when this object started it)."""
        proc = self._procs.get(i)
        return proc.poll() is None if proc is not None else self.node_pid(i) is not None

    def wait_ready(self, layout: ClusterLayout, timeout_s: float) -> None:
        """Until every node is a live broker in the cluster's metadata, or fail."""
        deadline = time.monotonic() + timeout_s
        admin_settings = client_settings(self, self.settings)
        try:
            wait_for_broker(
                admin_settings,
                timeout_s,
                alive=lambda: all(self.alive(i) for i in range(layout.nodes)),
                brokers=layout.nodes,
            )
        except BrokerError as exc:
            dead = [i for i in range(layout.nodes) if not self.alive(i)]
            tails = "\n".join(f"--- node {i + 1} ---\n{self.log_tail(i)}" for i in dead)
            raise BrokerError(f"{exc}\n{tails}".rstrip()) from exc
        warm_group_coordinator(admin_settings, deadline)

    def start_node(self, i: int) -> int:
        """Start one stopped node again (a rolling restart); it rejoins on its own."""
        pid = self.node_pid(i)
        if pid is not None:
            return pid
        return self._spawn(find_java(), f"{self.jars.ensure_jars()}/*", i)

    def stop_node(
        self, i: int, sig: int = signal.SIGTERM, timeout_s: float = STOP_TIMEOUT_S
    ) -> None:
        """SIGTERM: a controlled shutdown that hands its leaderships over first; SIGKILL:
        the node is lost as a crashed machine would be. Falls back to SIGKILL at the
        timeout."""
        pid = self.node_pid(i)
        if pid is None:
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and is_alive(pid):
            time.sleep(0.1)
        if is_alive(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
        self._pid_file(i).unlink(missing_ok=True)

    def stop(self, echo: Echo = print, sig: int = signal.SIGTERM) -> None:
        """Every node; SIGKILL for a cluster whose data is thrown away next (tests)."""
        layout = self.layout()
        if layout is None:
            return
        pids = {i: self.node_pid(i) for i in range(layout.nodes)}
        running = {i: pid for i, pid in pids.items() if pid is not None}
        for pid in running.values():  # all at once: a last node alone waits for a quorum
            os.kill(pid, sig)
        for i in running:
            self.stop_node(i, sig, timeout_s=STOP_TIMEOUT_S)
        echo(f"cluster stopped ({len(running)} of {layout.nodes} nodes were running)")

    def reset(self) -> None:
        import shutil

        self.stop(echo=lambda _m: None)
        shutil.rmtree(self.home, ignore_errors=True)

    def log_tail(self, i: int, lines: int = 20) -> str:
        texts: list[str] = []
        for path in (self.node_dir(i) / "broker.stdout", self.log_file(i)):
            if path.exists():
                texts += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(texts[-lines:])
