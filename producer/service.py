"""The producer service: a consumer group on ``uploads.<tier>`` that parses one upload at a
time, highest tier first, with aging so the lowest tier is never starved.

An upload's offset is committed only after its job's seal (or parse_failed) is delivered,
so a crash means a clean re-parse of the same chunks (see publish_job.py). The service does
not wait for it: the commit is an action of the publisher's delivery reports, asynchronous,
and only ever for a partition's run of done uploads (producer/offsets.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from pydantic import ValidationError

from messaging.chunk_lag import ChunkLagProbe
from messaging.clients import (
    FOLLOWER_FETCH_WAIT_MS,
    HEARTBEAT_INTERVAL_MS,
    SESSION_TIMEOUT_MS,
    consumer_config,
)
from messaging.consume import consume_ready
from messaging.names import group_names, topic_names
from messaging.publisher import Publisher
from messaging.upload_blobs import BlobFetcher
from producer.mapping_desk import MappingDesk
from producer.offsets import DoneOffsets
from producer.publish_job import publish_job
from producer.spool_keeper import ProducerSpool
from producer.warm_imports import PRODUCER_MODULES, warm_imports
from schemas.dataset import DatasetRegistry
from schemas.records import UploadRecord
from schemas.settings import TIERS, Settings, Tier

log = logging.getLogger(__name__)
TIER_WEIGHT: dict[str, float] = {"high": 2.0, "medium": 1.0, "low": 0.0}
AGING_S = 20.0  # a waiting upload gains one tier of priority per this many seconds
MAX_BUFFERED_PER_TIER = 100
FILL_BATCH = 50  # upload records taken from the consumer at a time
IDLE_POLL_S = 0.02  # how soon an idle producer looks again for the reports a seal waits on


@dataclass(order=True)
class Pending:
    arrived: float
    msg: Message = field(compare=False)


def pick_tier(
    queues: dict[str, deque[Pending]], now: float, aging_s: float = AGING_S
) -> str | None:
    """The tier whose head upload is most urgent: tier weight plus age over the aging step."""
    best: tuple[float, str] | None = None
    for tier, queue in queues.items():
        if queue:
            score = TIER_WEIGHT[tier] + (now - queue[0].arrived) / aging_s
            if best is None or score > best[0]:
                best = (score, tier)
    return best[1] if best else None


def upload_consumer_config(settings: Settings) -> dict[str, Any]:
    return consumer_config(
        settings,
        group_names(settings).producer,
        offsets_reset="earliest",
        # one big file may take minutes to parse between two polls
        max_poll_interval_ms=30 * 60 * 1000,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        fetch_wait_max_ms=FOLLOWER_FETCH_WAIT_MS,
        instance_id=settings.instance_id,
    )


class ProducerService:
    def __init__(self, settings: Settings, datasets: DatasetRegistry | None = None) -> None:
        self.settings = settings
        self.datasets = datasets or DatasetRegistry(settings.datasets_dir)
        self.names = topic_names(settings)
        self.topic_tier = {self.names.uploads(t): t for t in TIERS}
        self.queues: dict[str, deque[Pending]] = {t: deque() for t in TIERS}
        self._paused: set[str] = set()
        self._offsets = DoneOffsets()
        self._committed: dict[tuple[str, int], int] = {}  # the last commit asked per partition
        self.spool_keeper = ProducerSpool(settings)
        self.desk = MappingDesk(settings)
        self.fetcher = BlobFetcher(settings)  # uploads on another machine's spool

    def _consumer(self) -> Consumer:
        consumer = Consumer(upload_consumer_config(self.settings))
        consumer.subscribe(list(self.topic_tier), on_revoke=self._on_revoke)
        return consumer

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # the new owner re-reads what we had not committed; a new assignment starts unpaused
        self._paused.clear()
        lost = {(p.topic, p.partition) for p in partitions}
        self._offsets.forget(lost)
        for tier, queue in self.queues.items():
            self.queues[tier] = deque(
                p for p in queue if (p.msg.topic(), p.msg.partition()) not in lost
            )

    def _buffered(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def _fill(self, consumer: Consumer, timeout_s: float) -> None:
        for msg in consume_ready(consumer, FILL_BATCH, timeout_s):
            error = msg.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("upload consumer: %s", error)
                continue
            tier = self.topic_tier[msg.topic() or ""]
            self.queues[tier].append(Pending(time.monotonic(), msg))
        # bound memory per tier: a tier with enough waiting here stops fetching, the
        # others go on (a full low tier must never keep a small upload out)
        for topic, tier in self.topic_tier.items():
            queue = self.queues[tier]
            if len(queue) >= MAX_BUFFERED_PER_TIER and topic not in self._paused:
                self._set_paused(consumer, topic, True)
            elif len(queue) < MAX_BUFFERED_PER_TIER // 2 and topic in self._paused:
                self._set_paused(consumer, topic, False)

    def _set_paused(self, consumer: Consumer, topic: str, paused: bool) -> None:
        partitions = [tp for tp in consumer.assignment() if tp.topic == topic]
        if paused:
            consumer.pause(partitions)
            self._paused.add(topic)
        else:
            consumer.resume(partitions)
            self._paused.discard(topic)

    def run(self, stop: threading.Event | None = None, idle_exit_s: float | None = None) -> None:
        stop = stop or threading.Event()
        warm_imports(PRODUCER_MODULES)  # not inside the first upload (its latency, its CPU)
        consumer = self._consumer()
        lag = ChunkLagProbe(self.settings)
        idle_since = time.monotonic()
        try:
            with Publisher(self.settings) as publisher:
                while not stop.is_set():
                    self.spool_keeper.sweep_when_due()
                    publisher.poll(0)  # delivery reports: seals and commits of earlier jobs
                    # while a seal waits for its reports, come back for them soon
                    idle_wait = IDLE_POLL_S if publisher.waiting_actions else 0.5
                    self._fill(consumer, 0.0 if self._buffered() else idle_wait)
                    tier = pick_tier(self.queues, time.monotonic())
                    if tier is None:
                        if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                            break
                        continue
                    pending = self.queues[tier].popleft()
                    self._handle(consumer, publisher, lag, pending.msg, tier)  # type: ignore[arg-type]
                    idle_since = time.monotonic()
            # the publisher is flushed: every done upload's commit has been asked for
            self._commit_last(consumer)
        finally:
            lag.close()
            consumer.close()
            self.fetcher.close()
            self.spool_keeper.close()
            self.desk.close()

    def _handle(
        self, consumer: Consumer, publisher: Publisher, lag: ChunkLagProbe, msg: Message, tier: Tier
    ) -> None:
        partition, offset = (msg.topic() or "", msg.partition() or 0), msg.offset() or 0
        self._offsets.take(partition, offset)
        try:
            upload = UploadRecord.model_validate_json(msg.value() or b"")
        except ValidationError as exc:
            log.error(
                "skipping a malformed upload record at %s[%d]@%d: %s",
                msg.topic(),
                msg.partition(),
                msg.offset(),
                exc,
            )
            self._commit_done(consumer, partition, offset)
        else:
            log.info("parsing job %s (%s, %s tier)", upload.job_id, upload.filename, tier)
            outcome = publish_job(
                upload,
                self.settings,
                publisher,
                self.datasets,
                lag_chunks=lag.lag(tier),
                desk=self.desk,
                fetcher=self.fetcher,
            )
            if outcome.sealed:
                ended = "sealed"
            else:
                ended = "needs_mapping" if outcome.paused else f"parse_failed ({outcome.reason})"
            log.info(
                "job %s: %s, %d chunks, %d rows in %.2fs",
                outcome.job_id,
                ended,
                outcome.total_chunks,
                outcome.total_rows,
                outcome.seconds,
            )
            fetched = self.spool_keeper.fetched_copy(upload)

            def done() -> None:
                if fetched is not None:  # Kafka has the file: a re-parse fetches it again
                    self.spool_keeper.release(fetched)
                self._commit_done(consumer, partition, offset)

            publisher.after_delivered(upload.job_id, done)

    def _commit_done(self, consumer: Consumer, partition: tuple[str, int], offset: int) -> None:
        committable = self._offsets.done(partition, offset)
        if committable is not None:
            topic, number = partition
            self._committed[partition] = committable
            consumer.commit(offsets=[TopicPartition(topic, number, committable)], asynchronous=True)

    def _commit_last(self, consumer: Consumer) -> None:
        """On a clean stop, the last commits once more, synchronously: the asynchronous ones
        may still be on their way when the consumer closes."""
        if self._committed:
            offsets = [TopicPartition(t, p, o) for (t, p), o in self._committed.items()]
            consumer.commit(offsets=offsets, asynchronous=False)
