"""The local broker's configuration: its server.properties, its JVM flags and the files of
configuration shipped in this package (``kafka/``), with the reason for each setting that
differs from Kafka's defaults.

Pure functions of the settings (and the machine's CPU count, passed in); ``LocalBroker`` in
``ops.devservers.broker`` writes them out and starts the process.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ops.devservers.localhost import heap_mb
from schemas.settings import Settings

__all__ = [
    "common_properties",
    "jvm_flags",
    "packaged_config",
    "properties_text",
    "replication_properties",
    "server_properties",
    "thread_counts",
]


def thread_counts(cpus: int | None) -> dict[str, str]:
    """Kafka's request and background thread pools sized for this machine. Its defaults
    (8 I/O, 3 network, 10 background threads) are for a dedicated server; on a 2-core machine
    shared with the whole pipeline their wake-ups and hand-offs cost CPU the work needs."""
    cores = max(1, cpus or 1)
    return {
        "num.io.threads": str(max(2, cores)),
        "num.network.threads": str(max(1, min(3, cores // 2))),
        "background.threads": str(max(2, min(10, cores))),
    }


def packaged_config(name: str) -> str:
    """A file of the broker's configuration shipped as package data (``kafka/<name>``)."""
    return resources.files("ops.devservers").joinpath("kafka", name).read_text(encoding="utf-8")


def server_properties(settings: Settings, data_dir: Path, cpus: int | None) -> str:
    """The text of server.properties for a single-node KRaft broker (broker and controller
    in one process) listening on 127.0.0.1 at the settings' ports."""
    s = settings
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{s.controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{s.broker_port},"
        f"CONTROLLER://127.0.0.1:{s.controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{s.broker_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        **replication_properties(1),
        **common_properties(cpus),
    }
    return properties_text(props)


def replication_properties(replicas: int) -> dict[str, str]:
    """The copies of Kafka's own topics (group offsets, transactions, share groups) and the
    defaults of the topics it creates; a write to them needs a majority in sync."""
    min_isr = str(replicas // 2 + 1)
    return {
        "default.replication.factor": str(replicas),
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": str(replicas),
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.min.isr": min_isr,
    }


def common_properties(cpus: int | None) -> dict[str, str]:
    """What every local broker sets, alone or in a cluster."""
    return {
        "num.partitions": "1",
        # topics are declared in messaging/names.py; a typo must not create one silently
        "auto.create.topics.enable": "false",
        "offsets.topic.num.partitions": "10",
        "group.initial.rebalance.delay.ms": "0",
        "log.cleaner.backoff.ms": "1000",
        # a new segment's two index files are mmapped sparse files of this size, and the
        # first write to each faults in up to read_ahead_kb of zeros (megabytes on a
        # typical VM), a large part of the request threads' CPU on fresh topics. A segment
        # whose index is full rolls: at 1 MiB that is after 341 MiB of records at least (12-byte time
        # index entries, one per 4 KiB), where segments roll at 1 GiB anyway
        "log.index.size.max.bytes": str(1024 * 1024),
        "message.max.bytes": str(4 * 1024 * 1024),
        **thread_counts(cpus),
    }


def properties_text(props: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in props.items())


def jvm_flags(heap: str, tls: bool = False) -> list[str]:
    """The broker JVM's heap, garbage collector and JIT flags (before the classpath)."""
    return [
        f"-Xmx{heap}",
        f"-Xms{min(128, heap_mb(heap))}m",
        # G1's concurrent marking, set off by the ~1 MiB chunk records (humongous
        # objects for its 1 MiB regions), takes a large share of the broker's CPU;
        # the serial collector's short young pauses cost next to none
        "-XX:+UseSerialGC",
        # Without TLS: C1 only, compiling after a few calls, not hundreds: the produce and
        # fetch paths are compiled at start rather than interpreted through a fresh
        # broker's first busy seconds.
        # With TLS: C2 too, at its usual thresholds. Only C2 compiles AES-GCM and GHASH to
        # the CPU's AES and carry-less multiply instructions (C1-compiled ciphers cost a
        # secured node's CPU per MB several times over), and compiling everything with C2
        # at once costs more CPU than it saves
        *([] if tls else ["-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=0.02"]),
        "-Djava.awt.headless=true",
    ]
