"""A local single-node Apache Kafka broker (KRaft), run from Maven Central jars on Java 17.

No Docker needed: ``mvn`` resolves ``org.apache.kafka:kafka_2.13`` once into a cache
outside the work tree, the storage is formatted once, and the broker runs as a child
process with a pid file and a log file under ``<home>/kafka``. Its pom.xml and
log4j2.properties ship inside this package (``kafka/``) and are written out beside the jars
and the data, so an installed ``bulkflow`` needs no git checkout. What goes into
server.properties and onto the JVM's command line (and why) is in
``ops.devservers.broker_config``; this module fetches the jars and runs the process.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ops.devservers.broker_config import jvm_flags, packaged_config, server_properties
from ops.devservers.localhost import (
    find_java,
    free_port,
    is_alive,
    open_client_settings,
    port_accepts,
    port_is_free,
    wait_for_broker,
)
from ops.errors import BrokerError
from schemas.settings import Settings

__all__ = ["BrokerStatus", "LocalBroker", "free_port", "port_accepts", "wait_for_broker"]

MVN_TIMEOUT_S = 900
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30
Echo = Callable[[str], None]


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    home: Path
    log_file: Path

    def describe(self) -> str:
        if self.running:
            return (
                f"broker running (pid {self.pid}) at {self.bootstrap}; "
                f"data {self.home}, log {self.log_file}"
            )
        return f"broker not running (would listen on {self.bootstrap}; data {self.home})"


class LocalBroker:
    """The local broker of one settings object (its home, ports and Kafka version)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = (settings.home / "kafka").resolve()
        self.data_dir = self.home / "data"
        self.pid_file = self.home / "broker.pid"
        self.log_file = self.home / "broker.log"
        self.stdout_file = self.home / "broker.stdout"
        self.config_file = self.home / "server.properties"
        self.cluster_id_file = self.home / "cluster.id"
        self.log4j_file = self.home / "log4j2.properties"
        self.libs_dir = (settings.cache_dir / f"kafka-{settings.kafka_version}" / "libs").resolve()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.settings.broker_port}"

    # jars ---------------------------------------------------------------------------------
    def jars_cached(self) -> bool:
        return (self.libs_dir / ".complete").exists()

    def ensure_jars(self, echo: Echo = print) -> Path:
        """Resolve the broker jars once; later calls (and later clones) use the cache."""
        if self.jars_cached():
            return self.libs_dir
        mvn = shutil.which("mvn")
        if not mvn:
            raise BrokerError(
                "Maven (mvn) is needed once to fetch the Kafka broker jars: "
                "install it (apt-get install maven)"
            )
        pom = self.libs_dir.with_name("pom.xml")
        pom.parent.mkdir(parents=True, exist_ok=True)
        pom.write_text(packaged_config("pom.xml"), encoding="utf-8")
        staging = self.libs_dir.with_name(f"libs.partial-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        echo(f"fetching Apache Kafka {self.settings.kafka_version} jars from Maven Central ...")
        cmd = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            f"-Dkafka.version={self.settings.kafka_version}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=MVN_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise BrokerError(
                f"mvn took more than {MVN_TIMEOUT_S}s fetching the Kafka jars: "
                "is Maven Central reachable from here?"
            ) from exc
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr)[-2000:]
            if re.search(r"UnknownHost|Connect|transfer|Could not transfer|timed out", output):
                raise BrokerError(
                    "Maven Central is unreachable, so the Kafka jars cannot be fetched; "
                    "check the network or a proxy in ~/.m2/settings.xml, or point "
                    "BULKFLOW_KAFKA_BOOTSTRAP at a running broker.\n" + output
                )
            raise BrokerError(f"mvn failed to fetch the Kafka jars:\n{output}")
        jars = list(staging.glob("kafka_2.13-*.jar"))
        if not jars:
            raise BrokerError(f"mvn finished but no kafka_2.13 jar is in {staging}")
        (staging / ".complete").write_text(self.settings.kafka_version)
        shutil.rmtree(self.libs_dir, ignore_errors=True)
        staging.rename(self.libs_dir)
        return self.libs_dir

    # process ------------------------------------------------------------------------------
    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    @staticmethod
    def _is_our_broker(pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return b"kafka.Kafka" in cmdline

    def status(self) -> BrokerStatus:
        pid = self._read_pid()
        running = pid is not None and self._is_our_broker(pid)
        return BrokerStatus(
            running, pid if running else None, self.bootstrap, self.home, self.log_file
        )

    def _write_config(self) -> None:
        config = server_properties(self.settings, self.data_dir, os.cpu_count())
        self.config_file.write_text(config)
        self.log4j_file.write_text(packaged_config("log4j2.properties"), encoding="utf-8")

    def _format_storage(self, java: str, classpath: str) -> None:
        meta = self.data_dir / "meta.properties"
        cluster_id = (
            self.cluster_id_file.read_text().strip() if self.cluster_id_file.exists() else ""
        )
        if meta.exists():
            found = re.search(r"cluster\.id=(\S+)", meta.read_text())
            if found and cluster_id and found.group(1) != cluster_id:
                raise BrokerError(
                    f"the data dir {self.data_dir} belongs to another cluster "
                    f"({found.group(1)}, expected {cluster_id}); "
                    "run `bulkflow broker reset` to wipe it"
                )
            return
        if not cluster_id:
            cluster_id = uuid.uuid4().hex[:22]
            self.cluster_id_file.write_text(cluster_id)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                java,
                "-cp",
                classpath,
                f"-Dlog4j2.configurationFile={self.log4j_file}",
                f"-Dbulkflow.broker.log={self.log_file}",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.config_file),
                "--ignore-formatted",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise BrokerError(f"formatting the KRaft storage failed:\n{proc.stderr[-2000:]}")

    def start(self, echo: Echo = print) -> BrokerStatus:
        current = self.status()
        if current.running:
            echo(f"already running: {current.describe()}")
            return current
        if self.pid_file.exists():
            echo(f"removing a stale pid file ({self.pid_file}): its process is gone")
            self.pid_file.unlink()
        for port in (self.settings.broker_port, self.settings.controller_port):
            if not port_is_free(port):
                raise BrokerError(
                    f"port {port} on 127.0.0.1 is in use by another program; stop it or "
                    "choose other ports with BULKFLOW_BROKER_PORT / BULKFLOW_CONTROLLER_PORT"
                )
        java = find_java()
        libs = self.ensure_jars(echo)
        self.home.mkdir(parents=True, exist_ok=True)
        self._write_config()
        classpath = f"{libs}/*"
        self._format_storage(java, classpath)
        started = time.monotonic()
        with open(self.stdout_file, "ab") as out:
            proc = subprocess.Popen(
                [
                    java,
                    *jvm_flags(self.settings.broker_heap),
                    f"-Dlog4j2.configurationFile={self.log4j_file}",
                    f"-Dbulkflow.broker.log={self.log_file}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(self.config_file),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        try:
            wait_for_broker(
                open_client_settings(self.settings, self.bootstrap),
                START_TIMEOUT_S,
                alive=lambda: proc.poll() is None,
            )
        except BrokerError as exc:
            self._kill(proc.pid)
            self.pid_file.unlink(missing_ok=True)
            raise BrokerError(f"{exc}\nlast broker log lines:\n{self.log_tail()}") from exc
        echo(
            f"broker started in {time.monotonic() - started:.1f}s at {self.bootstrap} "
            f"(pid {proc.pid}, log {self.log_file})"
        )
        return self.status()

    def stop(self, echo: Echo = print) -> None:
        current = self.status()
        if not current.running or current.pid is None:
            self.pid_file.unlink(missing_ok=True)
            echo("broker not running")
            return
        self._kill(current.pid)
        self.pid_file.unlink(missing_ok=True)
        echo(f"broker stopped (pid {current.pid})")

    def _kill(self, pid: int) -> None:
        """SIGTERM for a clean shutdown, SIGKILL when it does not end in time."""
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not is_alive(pid):
                return
            time.sleep(0.2)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.5)

    def reset(self) -> None:
        self.stop(echo=lambda _m: None)
        shutil.rmtree(self.home, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        texts = []
        for path in (self.stdout_file, self.log_file):
            if path.exists():
                texts += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(texts[-lines:])
