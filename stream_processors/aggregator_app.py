"""The aggregator app: one faust agent folds ``jobs`` and ``chunk-results`` (co-partitioned
by job id) into each job's progress, kept in a table, and publishes the status on
``progress`` and the outcome on ``events``.

The fold is pure (progress.py); when to publish is ProgressPublisher's (progress_publisher.py).
Every job's status also goes into the database (status_store.py). The table holds running
jobs and, for ``finished_job_grace_s``, finished ones; then a finished job is let go (a
tombstone on the changelog, so the table and its restore stay the size of current work),
and a late record for it reloads its progress from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import faust

from database.engine import make_engine
from database.migrations import ensure_schema
from database.reports import ledger_chunks
from messaging.faust_patches import as_current_event, at_partition
from messaging.names import PROGRESS_TABLE, group_names, topic_names
from schemas.events import JobOutcomeEvent
from schemas.records import UploadStatus
from schemas.settings import Settings
from stream_processors.faust_common import build_faust_app, raw_topic
from stream_processors.job_status import to_status
from stream_processors.late_results import LateResults, ledger_results
from stream_processors.progress import JobProgress, fold_batch, is_publishable
from stream_processors.progress_publisher import ProgressPublisher
from stream_processors.status_store import StatusStore

AGGREGATE_BATCH = 500
# a job's records (registered, chunk results, sealed) arrive within a few hundred ms of each
# other: batches of up to 0.5 s fold more of them into one table write and one publish; a
# status shows up to 0.4 s later, while finished_at comes from the records' own times
AGGREGATE_WITHIN_S = 0.5
LET_GO_EVERY_S = 10.0
log = logging.getLogger(__name__)
# (job id, its status, its outcome event when one is due)
Publication = tuple[str, UploadStatus, JobOutcomeEvent | None]


def aggregator_app_id(settings: Settings) -> str:
    return group_names(settings).aggregator


def create_aggregator_app(settings: Settings) -> faust.App:
    app = build_faust_app(settings, aggregator_app_id(settings))
    names = topic_names(settings)
    source = raw_topic(app, names.jobs, names.chunk_results)
    progress_topic = raw_topic(app, names.progress)
    events_topic = raw_topic(app, names.events)
    engine = make_engine(settings.db_url)
    ensure_schema(engine)
    store = StatusStore(engine)

    async def on_changelog_event(event: faust.EventT) -> None:
        """A table entry being restored: a finished job is stored and let go in turn."""
        job_id = str(event.key)
        if event.value is None:
            store.forget(job_id)
            late.forget(job_id)
            return
        progress = JobProgress.model_validate_json(event.value)
        late.changed(progress, event.message.partition or 0, time.monotonic())
        if is_publishable(progress):
            publisher.reloaded(progress)
            store.restored(progress, _status(progress), event.message.partition or 0)

    table = app.Table(
        PROGRESS_TABLE,
        default=None,
        partitions=settings.topic_partitions,
        key_type=str,
        value_type=str,
        on_changelog_event=on_changelog_event,
    )
    publisher = ProgressPublisher()
    late = LateResults(settings.stalled_job_after_s)

    def decide(progress: JobProgress) -> Publication | None:
        """What to publish of a job now (nothing: no news, or too soon)."""
        status = publisher.due(progress, time.monotonic())
        return None if status is None else (progress.job_id, status, publisher.outcome(progress))

    async def send(publication: Publication) -> None:
        job_id, status, outcome = publication
        await progress_topic.send(key=job_id.encode(), value=status.model_dump_json().encode())
        if outcome is not None:
            await events_topic.send(key=job_id.encode(), value=outcome.model_dump_json().encode())

    def written(progress: JobProgress, partition: int, now: float) -> Publication | None:
        """A job's progress just written to the table: what else follows it, and what to
        publish of it now."""
        late.changed(progress, partition, now)
        if is_publishable(progress):
            store.offer(progress, _status(progress), partition)
        return decide(progress)

    def held(job_id: str) -> JobProgress | None:
        text = table.get(job_id)
        return JobProgress.model_validate_json(text) if text else None

    async def before_batch(job_ids: set[str]) -> dict[str, JobProgress | None]:
        """The batch's jobs as they were before it: from the table, else (a job let go) from
        the database. The table is read before any await: let_go may run during one."""
        before = {job: held(job) for job in job_ids}
        missing = {job for job, progress in before.items() if progress is None}
        if missing:
            back = await asyncio.get_running_loop().run_in_executor(None, store.load, missing)
            for progress in back.values():
                publisher.reloaded(progress)
            before.update(back)
        return before

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
            before = await before_batch({job_id for job_id, _, _ in records})
            publications = []
            now = time.monotonic()
            # no await from here to the sends: the table, the store and the publisher's
            # bookkeeping change together
            for job_id, (progress, last) in fold_batch(records, before.get).items():
                with as_current_event(events[last]):
                    table[job_id] = progress.model_dump_json()
                publication = written(progress, events[last].message.partition, now)
                if publication is not None:
                    publications.append(publication)
            for publication in publications:
                await send(publication)

    @app.timer(interval=max(1.0, settings.stalled_job_after_s / 3))
    async def count_late_results() -> None:
        """A job waiting too long for results of chunks the ledger holds counts them from it."""
        owned = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == names.jobs}
        due = late.due(time.monotonic(), held, owned)
        if not due:
            return
        loop = asyncio.get_running_loop()
        try:
            in_ledger = await loop.run_in_executor(None, ledger_chunks, engine, list(due))
        except Exception as exc:  # the database away: the jobs are due again later
            log.warning("cannot read the ledger of jobs waiting for chunk results: %s", exc)
            return
        publications = []
        written_before = datetime.now(UTC) - timedelta(seconds=settings.stalled_job_after_s)
        for job_id, partition in due.items():  # no await from here to the sends
            progress = held(job_id)
            if progress is None:
                continue
            results = ledger_results(progress, in_ledger, written_before)
            if not results:
                continue
            log.warning(
                "job %s: no result arrived for chunks %s, which the ledger holds: counted "
                "from the ledger",
                job_id,
                [r.chunk_no for r in results],
            )
            records = [(job_id, False, r.model_dump_json().encode()) for r in results]
            counted, _ = fold_batch(records, {job_id: progress}.get)[job_id]
            with at_partition(names.jobs, partition):
                table[job_id] = counted.model_dump_json()
            publication = written(counted, partition, time.monotonic())
            if publication is not None:
                publications.append(publication)
        for publication in publications:
            await send(publication)

    @app.timer(interval=0.5)
    async def flush_dirty() -> None:
        due = [decide(progress) for progress in list(publisher.dirty.values())]
        for publication in due:
            if publication is not None:
                await send(publication)

    @app.timer(interval=min(LET_GO_EVERY_S, max(1.0, settings.finished_job_grace_s / 10)))
    async def let_go() -> None:
        """Finished jobs past their grace leave the table (their status is stored)."""
        for job_id, partition in store.ended_before(time.time() - settings.finished_job_grace_s):
            if table.get(job_id) is not None:
                with at_partition(names.jobs, partition):
                    del table[job_id]
            publisher.forget(job_id)
            late.forget(job_id)

    @app.task
    async def start_store() -> None:
        store.start()

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    def _stop_store(app: faust.App, **_kw: Any) -> None:  # pragma: no cover - shutdown path
        store.stop()
        engine.dispose()

    return app


def _status(progress: JobProgress) -> UploadStatus:
    return to_status(progress, datetime.now(UTC))
