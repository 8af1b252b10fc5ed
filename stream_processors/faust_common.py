"""faust settings shared by the worker and the aggregator apps, built from our settings."""

from __future__ import annotations

from typing import Any

import faust

from schemas.settings import Settings


def faust_broker_url(settings: Settings) -> str:
    hosts = [h.strip() for h in settings.kafka_bootstrap.split(",") if h.strip()]
    return ";".join(f"kafka://{h}" for h in hosts)


def install_commit_guard() -> None:
    """Never commit an offset past a record that is still being processed.

    faust-streaming 0.15 commits the longest run of acked offsets, and only holds back when
    that run starts more than one past the committed offset (and not at all before the
    first commit). With agent concurrency, a slow chunk at the head of a partition was
    skipped: its successors were acked and committed, and a worker killed then (SIGKILL)
    never saved it (faust-streaming issue #606). Here the run must start below every record
    still in flight on the partition.
    """
    from faust.transport.consumer import Consumer
    from faust.types.tuples import ack_lock

    original = Consumer._new_offset
    if getattr(original, "bulkflow_guard", False):
        return

    def _new_offset(self: Consumer, tp: Any) -> int | None:
        with ack_lock:
            acked = self._acked[tp]
            in_flight = [m.offset for m in list(self._unacked_messages)
                         if m.tp == tp and not m.acked]  # fmt: skip
            if acked and in_flight and min(in_flight) < min(acked):
                return None
            return original(self, tp)

    _new_offset.bulkflow_guard = True  # type: ignore[attr-defined]
    Consumer._new_offset = _new_offset  # type: ignore[method-assign]


def install_seek_fix() -> None:
    """After a rebalance, read again what faust dropped from partitions never committed.

    On a rebalance faust clears every buffered record of every partition, then seeks each
    assigned partition back to its committed offset so that those records are fetched
    again. aiokafka's ``seek_to_committed`` only seeks when that offset is above 0, so a
    partition that had no commit yet kept its fetch position past the dropped records, and
    faust, which does not look for a gap before a partition's first commit, then committed
    over them. A 500-user bench lost a chunk this way when the second worker joined the group
    (the job stayed at 1 of 2 chunks). Such partitions now go back to their first offset,
    which is where a consumer without a commit starts under ``auto_offset_reset=earliest``.
    """
    from aiokafka import AIOKafkaConsumer

    original = AIOKafkaConsumer.seek_to_committed
    if getattr(original, "bulkflow_fix", False):
        return

    async def seek_to_committed(self: AIOKafkaConsumer, *partitions: Any) -> dict[Any, Any]:
        committed: dict[Any, Any] = await original(self, *partitions)
        if self._auto_offset_reset == "earliest":
            never = [tp for tp, offset in committed.items() if not offset]
            if never:
                await self.seek_to_beginning(*never)
        return committed

    seek_to_committed.bulkflow_fix = True  # type: ignore[attr-defined]
    AIOKafkaConsumer.seek_to_committed = seek_to_committed


def build_faust_app(settings: Settings, app_id: str, **extra: Any) -> faust.App:
    install_commit_guard()
    install_seek_fix()
    datadir = (settings.home / "faust" / app_id).resolve()
    datadir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "broker": faust_broker_url(settings),
        "store": "memory://",
        "processing_guarantee": "at_least_once",
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.replication_factor,
        "datadir": str(datadir),
        "web_enabled": False,
        # chunk records are up to 1 MiB: keep few of them waiting in memory
        "stream_buffer_maxsize": 128,
        "broker_max_poll_records": 200,
        "consumer_max_fetch_size": 8 * 1024 * 1024,
        "producer_max_request_size": 4 * 1024 * 1024,
        "producer_acks": -1,
        "broker_commit_every": 100,
        "broker_commit_interval": 1.0,
        "consumer_auto_offset_reset": "earliest",
    }
    options.update(extra)
    return faust.App(app_id, **options)
