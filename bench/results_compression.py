"""Kafka compression of results records, through a real broker: the CPU it costs the worker
that sends them and the broker that stores them, per row, and the bytes the broker keeps.

Run from the repo root: ``python -m bench compression [--records 60] [--rounds 4]``

The record is what a worker publishes on ``results.<dataset>``: one 10,000-row typed orders
chunk as an uncompressed Arrow IPC stream (stream_processors/result_records.py), sent with
the worker's producer settings (``Publisher``, ``compression.type`` as
``BULKFLOW_STREAM_COMPRESSION`` sets it). Each round sends ``--records`` of them per codec,
the codecs in turn on topics of their own, and takes the sender's CPU (all its threads), the
broker process's CPU and the wall time from the first record to the last acknowledgement;
the first round warms the broker's compilers and is not counted. The lowest of the other
rounds is reported, since the machine is shared. Raw ceiling: the sender's CPU with ``none`` is the
least a client pays to hand the bytes over; each codec's line gives its ratio to it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.result_codec_bench import typed_chunk
from schemas.arrow_codec import encode_batch

if TYPE_CHECKING:
    from schemas.settings import Settings

CODECS = ("none", "lz4", "zstd")
SETTLE_S = 1.0  # the broker's request threads finish the last batch after the acknowledgement


def broker_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def topic_bytes(data_dir: Path, topic: str) -> int:
    return sum(f.stat().st_size for f in data_dir.glob(f"{topic}-*/*.log"))


def one_round(settings: Settings, value: bytes, records: int, pid: int) -> dict[str, list[float]]:
    """Per codec: [sender CPU s, broker CPU s, wall s] of ``records`` sends."""
    from messaging.publisher import Publisher

    found: dict[str, list[float]] = {}
    for codec in CODECS:
        with Publisher(settings, **{"compression.type": codec}) as publisher:
            publisher.produce(f"bench-{codec}", b"warm", b"w")
            publisher.flush()
            time.sleep(SETTLE_S)
            sender, broker, wall = time.process_time(), broker_cpu_s(pid), time.perf_counter()
            for i in range(records):
                publisher.produce(f"bench-{codec}", value, str(i).encode())
                publisher.poll(0)
            publisher.flush()
            wall = time.perf_counter() - wall
            time.sleep(SETTLE_S)
            found[codec] = [time.process_time() - sender, broker_cpu_s(pid) - broker, wall]
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench compression", description=__doc__)
    parser.add_argument("--records", type=int, default=60, help="records per codec and round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, the first not counted")
    args = parser.parse_args(argv)
    from confluent_kafka.admin import AdminClient, NewTopic

    from messaging.clients import admin_config
    from ops.devservers.broker import LocalBroker, free_port
    from schemas.settings import load_settings

    batch = typed_chunk()
    value = encode_batch(batch, None)
    rows = args.records * batch.num_rows
    print(
        f"load average {os.getloadavg()[0]:.2f}; {args.records} records of {len(value):,} "
        f"bytes ({batch.num_rows:,} rows each) per codec and round"
    )
    with tempfile.TemporaryDirectory(prefix="bulkflow-compression-") as home:
        ports = {"broker_port": free_port(), "controller_port": free_port()}
        broker = LocalBroker(load_settings(home=home, **ports))
        settings = load_settings(home=home, kafka_bootstrap=broker.bootstrap, **ports)
        pid = broker.start(echo=lambda *_: None).pid
        assert pid is not None
        try:
            admin = AdminClient(admin_config(settings))
            topics = [
                NewTopic(f"bench-{c}", 1, 1, config={"max.message.bytes": "4194304"})
                for c in CODECS
            ]
            for future in admin.create_topics(topics).values():
                future.result(60)
            best: dict[str, list[float]] = {}
            for round_no in range(args.rounds):
                found = one_round(settings, value, args.records, pid)
                if round_no == 0:
                    continue
                for codec, figures in found.items():
                    old = best.get(codec, figures)
                    best[codec] = [min(a, b) for a, b in zip(old, figures, strict=True)]
            kept = {c: topic_bytes(broker.data_dir, f"bench-{c}") for c in CODECS}
        finally:
            broker.stop(echo=lambda *_: None)
    print(
        f"{'codec':<6} {'sender us/row':>14} {'broker us/row':>14} {'sum':>7} "
        f"{'sum / none':>11} {'wall us/row':>12} {'bytes kept/row':>15}"
    )
    base = sum(best["none"][:2]) / rows * 1e6
    for codec in CODECS:
        sender, kafka, wall = (x / rows * 1e6 for x in best[codec])
        print(
            f"{codec:<6} {sender:>14.3f} {kafka:>14.3f} {sender + kafka:>7.3f} "
            f"{(sender + kafka) / base:>11.2f} {wall:>12.3f} "
            f"{kept[codec] / (rows * args.rounds):>15.1f}"
        )


if __name__ == "__main__":
    main()
