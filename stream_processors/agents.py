"""faust agents: chunk processing per tier, and the progress aggregator.

Agent bodies only move records: the work is in ChunkHandler (validate + persist) and in
the pure progress fold.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import faust

from messaging.faust_patches import as_current_event
from messaging.names import PROGRESS_TABLE, group_names, topic_names
from messaging.publisher import Delivery, Publisher
from schemas.dataset import DatasetRegistry
from schemas.records import (
    H_ERROR,
    H_ERROR_STAGE,
    H_SOURCE_TOPIC,
    UploadStatus,
)
from schemas.settings import TIERS, Settings, Tier
from stream_processors.chunk_handler import ChunkHandler, ChunkOutput
from stream_processors.errors import PermanentChunkError
from stream_processors.faust_common import build_faust_app
from stream_processors.progress import JobProgress, fold_batch
from stream_processors.progress_publisher import ProgressPublisher
from stream_processors.result_records import ResultRecord

log = logging.getLogger(__name__)
AGGREGATE_BATCH = 500
RESULTS_TIMEOUT_S = 120.0
# a job's records (registered, chunk results, sealed) arrive within a few hundred ms of each
# other: batches of up to 0.5 s fold more of them into one table write and one publish
# (the aggregator from 1.18 to 0.78 µs of CPU per row in the quick bench); a status shows up
# to 0.4 s later, while finished_at comes from the records' own times
AGGREGATE_WITHIN_S = 0.5


def worker_app_id(settings: Settings, tiers: tuple[Tier, ...]) -> str:
    # the app id is the consumer group; the producer's lag probe reads the same name
    return group_names(settings).workers(tiers)


def _raw_topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(
        name, key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw"
    )


def create_worker_app(settings: Settings, tiers: tuple[Tier, ...] = TIERS) -> faust.App:
    """The chunk workers of the given tiers, each tier with its own concurrency."""
    app = build_faust_app(settings, worker_app_id(settings, tiers))
    names = topic_names(settings)
    datasets = DatasetRegistry(settings.datasets_dir)
    handler = ChunkHandler(settings.db_url, datasets)
    handler.prepare()  # a dataset change that would lose data stops the worker here
    executor = ThreadPoolExecutor(max_workers=sum(settings.concurrency(t) for t in tiers))
    chunk_results = _raw_topic(app, names.chunk_results)
    dlq = _raw_topic(app, names.dlq)
    # results records go through librdkafka, not faust's producer (docs/decisions.md)
    results_publisher = Publisher(settings, **{"compression.type": settings.stream_compression})

    async def process(event: faust.EventT, tier: Tier) -> None:
        message = event.message
        headers = message.headers
        loop = asyncio.get_running_loop()
        try:
            output: ChunkOutput = await loop.run_in_executor(
                executor,
                functools.partial(
                    handler.handle, source_topic=message.topic, priority=TIERS.index(tier)
                ),
                headers,
                bytes(message.value or b""),
            )
        except PermanentChunkError as exc:  # no usable headers: nothing to report a job on
            await _dead_letter(dlq, message, str(exc), "headers")
            return
        if output.dead_letter_reason is not None:
            await _dead_letter(dlq, message, output.dead_letter_reason, "process")
        elif output.results and output.dataset:
            # durable when this returns: the chunk's result (and its offset) comes after
            topic = names.results(output.dataset)
            await loop.run_in_executor(
                executor, send_results, results_publisher, topic, output.results
            )
        delivered = await chunk_results.send(
            key=output.job_id.encode(), value=output.result.model_dump_json().encode()
        )
        await delivered  # the chunk's offset is committed only after its result is out

    for tier in tiers:
        source = _raw_topic(app, names.chunks(tier))

        async def agent_body(stream: faust.StreamT, tier: Tier = tier) -> None:
            async for event in stream.events():
                await process(event, tier)

        agent_body.__name__ = f"process_{tier}_chunks"
        app.agent(source, name=f"chunks-{tier}", concurrency=settings.concurrency(tier))(agent_body)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    def _close(app: faust.App, **_kw: Any) -> None:  # pragma: no cover - shutdown path
        handler.close()
        executor.shutdown(wait=False, cancel_futures=True)
        results_publisher.close()

    return app


def send_results(
    publisher: Publisher,
    topic: str,
    records: Sequence[ResultRecord],
    timeout_s: float = RESULTS_TIMEOUT_S,
) -> None:
    """Send a chunk's results records and wait for their acknowledgements (in the handler's
    thread): durable when this returns, else PublishError. aiokafka, under faust, builds a
    produce request in Python and copied a ~0.9 MB record several times: 1.55-1.66 ms of
    CPU against 0.30-0.32 through librdkafka."""
    delivery = Delivery()
    for record in records:
        publisher.produce(
            topic, record.value, record.key, record.headers, timeout_s, delivery=delivery
        )
    publisher.wait(delivery, timeout_s)


def _header_list(headers: Any) -> list[tuple[str, bytes]]:
    items = headers.items() if isinstance(headers, dict) else headers or []
    return [(str(k), v) for k, v in items]


async def _dead_letter(dlq: faust.TopicT, message: Any, reason: str, stage: str) -> None:
    headers = _header_list(message.headers)
    headers += [
        (H_ERROR, reason.encode()[:4000]),
        (H_ERROR_STAGE, stage.encode()),
        (H_SOURCE_TOPIC, message.topic.encode()),
    ]
    delivered = await dlq.send(key=message.key, value=message.value, headers=headers)
    await delivered


def aggregator_app_id(settings: Settings) -> str:
    return group_names(settings).aggregator


def create_aggregator_app(settings: Settings) -> faust.App:
    app = build_faust_app(settings, aggregator_app_id(settings))
    names = topic_names(settings)
    source = app.topic(
        names.jobs,
        names.chunk_results,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    progress_topic = _raw_topic(app, names.progress)
    events_topic = _raw_topic(app, names.events)
    table = app.Table(
        PROGRESS_TABLE,
        default=None,
        partitions=settings.topic_partitions,
        key_type=str,
        value_type=str,
    )
    publisher = ProgressPublisher()

    async def publish(progress: JobProgress, status: UploadStatus) -> None:
        await progress_topic.send(
            key=progress.job_id.encode(), value=status.model_dump_json().encode()
        )
        outcome = publisher.outcome(progress)
        if outcome is not None:
            await events_topic.send(
                key=progress.job_id.encode(), value=outcome.model_dump_json().encode()
            )

    def stored(job_id: str) -> JobProgress | None:
        text = table.get(job_id)
        return JobProgress.model_validate_json(text) if text else None

    @app.agent(source, name="progress")
    async def aggregate(stream: faust.StreamT) -> None:
        # In batches: a job's progress is read, written to the table and published once per
        # batch, not once per record (each write and publish is a Kafka record).
        batched = cast("faust.Stream[Any]", stream)
        async for events in batched.take_events(AGGREGATE_BATCH, within=AGGREGATE_WITHIN_S):
            records = [
                (
                    (e.message.key or b"").decode(),
                    e.message.topic == names.jobs,
                    bytes(e.message.value or b""),
                )
                for e in events
            ]
            for job_id, (progress, last) in fold_batch(records, stored).items():
                with as_current_event(events[last]):
                    table[job_id] = progress.model_dump_json()
                status = publisher.due(progress, time.monotonic())
                if status is not None:
                    await publish(progress, status)

    @app.timer(interval=0.5)
    async def flush_dirty() -> None:
        for progress in list(publisher.dirty.values()):
            status = publisher.due(progress, time.monotonic())
            if status is not None:
                await publish(progress, status)

    return app
