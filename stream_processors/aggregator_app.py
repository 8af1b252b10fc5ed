"""The aggregator app: one faust agent folds ``jobs`` and ``chunk-results`` (co-partitioned
by job id) into each job's progress, kept in a table, and publishes the status on
``progress`` and the outcome on ``events``.

The fold is pure (progress.py); when to publish is ProgressPublisher's (progress_publisher.py).
"""

from __future__ import annotations

import time
from typing import Any, cast

import faust

from messaging.faust_patches import as_current_event
from messaging.names import PROGRESS_TABLE, group_names, topic_names
from schemas.records import UploadStatus
from schemas.settings import Settings
from stream_processors.faust_common import build_faust_app, raw_topic
from stream_processors.progress import JobProgress, fold_batch
from stream_processors.progress_publisher import ProgressPublisher

AGGREGATE_BATCH = 500
# a job's records (registered, chunk results, sealed) arrive within a few hundred ms of each
# other: batches of up to 0.5 s fold more of them into one table write and one publish; a
# status shows up to 0.4 s later, while finished_at comes from the records' own times
AGGREGATE_WITHIN_S = 0.5


def aggregator_app_id(settings: Settings) -> str:
    return group_names(settings).aggregator


def create_aggregator_app(settings: Settings) -> faust.App:
    app = build_faust_app(settings, aggregator_app_id(settings))
    names = topic_names(settings)
    source = raw_topic(app, names.jobs, names.chunk_results)
    progress_topic = raw_topic(app, names.progress)
    events_topic = raw_topic(app, names.events)
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
