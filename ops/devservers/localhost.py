"""Local process and port helpers for the broker: ports, Java, liveness, readiness."""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from ops.errors import BrokerError
from schemas.settings import Settings


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    """Connect, never bind: binding would race the broker for its own port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def open_client_settings(settings: Settings, bootstrap: str) -> Settings:
    """``settings`` as a client of the open local broker at ``bootstrap``: no login, no TLS
    (whatever Kafka security the environment sets for another cluster)."""
    return settings.model_copy(
        update={
            "kafka_bootstrap": bootstrap,
            "kafka_security_protocol": "PLAINTEXT",
            "kafka_sasl_username": "",
            "kafka_sasl_password": SecretStr(""),
            "kafka_sasl_password_file": None,
            "kafka_ssl_ca_file": None,
            "kafka_ssl_cert_file": None,
            "kafka_ssl_key_file": None,
        }
    )


def free_port_block(count: int, low: int = 20_000, high: int = 32_000) -> int:
    """The first of ``count`` consecutive free ports (a local cluster's), below Linux's
    range for outgoing connections (32768 and up), so none is taken from under it."""
    for _ in range(200):
        base = random.randrange(low, high - count)
        if all(port_is_free(p) for p in range(base, base + count)):
            return base
    raise BrokerError(f"no {count} consecutive free ports between {low} and {high}")


def find_java() -> str:
    candidates = [os.environ.get("JAVA_HOME", "") + "/bin/java", shutil.which("java") or ""]
    for java in candidates:
        if java and os.access(java, os.X_OK):
            out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
            match = re.search(r'version "(\d+)', out.stderr + out.stdout)
            if match and int(match.group(1)) >= 17:
                return java
    raise BrokerError(
        "Java 17 or newer is needed to run the local Kafka broker: "
        "install it (apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
    )


def heap_mb(heap: str) -> int:
    match = re.fullmatch(r"(\d+)([mMgG])", heap)
    if not match:
        return 512
    return int(match.group(1)) * (1024 if match.group(2) in "gG" else 1)


def is_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # reap it if it is our child
        os.waitpid(pid, os.WNOHANG)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.split(") ", 1)[-1][:1] not in ("Z", "X")


def wait_for_broker(
    settings: Settings,
    timeout_s: float,
    alive: Callable[[], bool] = lambda: True,
    brokers: int = 1,
) -> None:
    """Wait until an AdminClient of ``settings`` sees ``brokers`` brokers in the metadata."""
    from confluent_kafka.admin import AdminClient

    from messaging.clients import admin_config

    bootstrap = settings.kafka_bootstrap
    deadline = time.monotonic() + timeout_s
    addresses = [a.strip().rpartition(":") for a in bootstrap.split(",")][:brokers]
    # wait for the ports first: librdkafka logs every refused connection
    while time.monotonic() < deadline:
        if not alive():
            raise BrokerError(f"the broker process exited before {bootstrap} answered")
        if all(port_accepts(int(port), host or "127.0.0.1") for host, _, port in addresses):
            break
        time.sleep(0.2)
    admin = AdminClient(admin_config(settings, socket_timeout_ms=2000))
    last = ""
    while time.monotonic() < deadline:
        if not alive():
            raise BrokerError(f"the broker process exited before {bootstrap} answered")
        try:
            meta = admin.list_topics(timeout=2)
            if len(meta.brokers) >= brokers:
                return
            last = f"({len(meta.brokers)} of {brokers} brokers up)"
        except Exception as exc:  # the admin client raises KafkaException while connecting
            last = str(exc)
        time.sleep(0.3)
    raise BrokerError(f"no Kafka broker answered at {bootstrap} within {timeout_s:.0f}s {last}")
