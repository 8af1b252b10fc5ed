"""Replay chunk records from ``chunks.<tier>`` through the normal worker path (ChunkHandler).

Two passes over the topics, both with a consumer that commits nothing: the first reads the
records' headers and makes the plan (ops/replay_plan.py), which may refuse the request
before anything is sent; the second replays the planned records. ``--to db`` writes the
chunks the ledger lacks (exactly once: the ledger) and sends their chunk results, so a
chunk that had been dead-lettered replaces its failure in the job's counts (a counted chunk
is not counted again; a job whose outcome that changes gets a job.revised from the
aggregator). ``--to results`` re-emits the valid rows on ``results.<dataset>`` with a
``replay_id`` header. Each job whose rows were re-emitted or written gets its notice on
``events`` (ops/delivery_notices.py); the run itself is recorded on ``replays``
(replay.started, replay.completed, keyed by the replay id).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from confluent_kafka import Message

from database.engine import make_engine
from database.migrations import ensure_schema
from database.tables import ledger
from messaging.names import TopicNames, group_names, instance_id, topic_names
from messaging.publisher import Publisher
from ops.delivery_notices import JobDelivery, send_notices
from ops.errors import OpsError
from ops.replay_plan import (
    ChunkRef,
    JobFacts,
    ReplayPlan,
    Selection,
    Target,
    build_plan,
    expired,
    refusals,
    retention_advice,
)
from ops.topic_scan import earliest_offsets, headers_of, retention_ms, scan_topic
from schemas.dataset import DatasetRegistry
from schemas.headers import H_REPLAY_ID, ChunkHeaders
from schemas.records import UploadStatus
from schemas.replay_events import ReplayEvent
from schemas.settings import TIERS, Settings, Tier
from stream_processors.chunk_handler import ChunkHandler
from stream_processors.chunk_routing import route_chunk_output


@dataclass
class ReplayReport:
    replay_id: str
    plan: ReplayPlan
    selection: Selection
    notes: list[str] = field(default_factory=list)  # retention: what cannot be replayed
    written: int = 0
    skipped: int = 0
    emitted: int = 0
    dead_lettered: int = 0
    # planned chunks the topic's retention removed between the plan and the run
    expired: list[ChunkRef] = field(default_factory=list)
    deliveries: dict[str, JobDelivery] = field(default_factory=dict)  # by job id


def _since_ms(selection: Selection) -> int | None:  # the first record the window can hold
    return int(selection.since.timestamp() * 1000) if selection.since else None


def _chunk_refs(settings: Settings, selection: Selection) -> list[ChunkRef]:
    names, group = topic_names(settings), group_names(settings).replay_scan(instance_id())
    refs = []
    for tier in TIERS:
        for msg in scan_topic(settings, names.chunks(tier), group, since_ms=_since_ms(selection)):
            ref = _ref(tier, msg)
            if ref is not None:
                refs.append(ref)
    return refs


def _ref(tier: Tier, msg: Message) -> ChunkRef | None:
    try:
        meta = ChunkHeaders.from_kafka(headers_of(msg))
    except (KeyError, ValueError):
        return None  # no job to replay it for
    return ChunkRef(
        tier=tier,
        partition=msg.partition() or 0,
        offset=msg.offset() or 0,
        timestamp_ms=msg.timestamp()[1],
        job_id=meta.job_id,
        chunk_no=meta.chunk_no,
        rows=meta.row_count,
        tenant=meta.tenant,
        dataset=meta.dataset,
    )


def known_jobs(settings: Settings) -> dict[str, JobFacts]:
    """Every job's last status on the compacted progress topic."""
    names = topic_names(settings)
    group = group_names(settings).job_lookup(instance_id())
    jobs: dict[str, JobFacts] = {}
    for msg in scan_topic(settings, names.progress, group):
        value = msg.value()
        if not value:
            continue
        s = UploadStatus.model_validate_json(value)
        jobs[s.job_id] = JobFacts(
            s.job_id, s.tenant, s.dataset, s.state, s.chunks_total, s.tier, s.submitted_at
        )
    return jobs


def _ledger_holds(settings: Settings, refs: list[ChunkRef]) -> set[tuple[str, int]]:
    job_ids = sorted({r.job_id for r in refs})
    if not job_ids:
        return set()
    engine = make_engine(settings.db_url)
    try:
        ensure_schema(engine)
        held: set[tuple[str, int]] = set()
        with engine.connect() as conn:
            for start in range(0, len(job_ids), 500):
                query = sa.select(ledger.c.job_id, ledger.c.chunk_no).where(
                    ledger.c.job_id.in_(job_ids[start : start + 500])
                )
                held.update((j, int(c)) for j, c in conn.execute(query))
        return held
    finally:
        engine.dispose()


def plan_replay(settings: Settings, selection: Selection, target: Target) -> ReplayReport:
    """Read the topics and the ledger, make the plan; raises OpsError when refused."""
    datasets = DatasetRegistry(settings.datasets_dir).names()
    refs = _chunk_refs(settings, selection)
    jobs = known_jobs(settings)
    problems = refusals(selection, refs, jobs, datasets)
    if problems:
        raise OpsError("replay refused, nothing was sent: " + "; ".join(problems))
    chosen = [r for r in refs if selection.matches(r)]
    plan = build_plan(selection, chosen, jobs, _ledger_holds(settings, chosen), target)
    report = ReplayReport(uuid.uuid4().hex[:12], plan, selection)
    report.notes = _retention_notes(settings, selection, plan, jobs)
    return report


def _retention_notes(
    settings: Settings, selection: Selection, plan: ReplayPlan, jobs: dict[str, JobFacts]
) -> list[str]:
    names, now = topic_names(settings), datetime.now(UTC)
    notes = [
        f"job {job_id}: {len(lost)} chunks are no longer on Kafka, not replayable "
        f"(chunk numbers from {lost[0]})"
        for job_id, lost in plan.gone.items()
    ]
    short_tiers = {jobs[j].tier for j in plan.gone if j in jobs}
    for tier in TIERS:
        topic = names.chunks(tier)
        kept = retention_ms(settings, topic)
        window = selection.since is not None and kept is not None
        too_old = window and (now - selection.since).total_seconds() * 1000 > kept  # type: ignore[operator]
        if too_old or tier in short_tiers:
            notes.append(retention_advice(topic, kept, settings.kafka_bootstrap))
    return notes


ChunkDone = Callable[[ChunkRef, str], None]


def run_replay(settings: Settings, report: ReplayReport, on_chunk: ChunkDone | None = None) -> None:
    """Carry the plan out; ``on_chunk(ref, what)`` follows it (written, skipped, emitted,
    dead-lettered, gone: removed by retention since the plan)."""
    plan, names = report.plan, topic_names(settings)
    by_record = {(c.tier, c.partition, c.offset): c for c in plan.chunks}
    handler = ChunkHandler(settings.db_url, DatasetRegistry(settings.datasets_dir))
    group = group_names(settings).replay_scan(instance_id())
    report.deliveries = {j.job_id: JobDelivery(j.job_id, j.tenant, j.dataset) for j in plan.jobs}
    try:
        with Publisher(settings) as publisher:
            _event(publisher, names.replays, report, "replay.started")
            for tier in sorted({c.tier for c in plan.chunks}, key=TIERS.index):
                topic = names.chunks(tier)
                since_ms = min(c.timestamp_ms for c in plan.chunks if c.tier == tier)
                low = earliest_offsets(settings, topic, group)
                for lost in expired(plan.chunks, {(tier, p): o for p, o in low.items()}):
                    report.expired.append(lost)
                    if on_chunk is not None:
                        on_chunk(lost, "gone")
                for msg in scan_topic(settings, topic, group, since_ms=since_ms):
                    ref = by_record.get((tier, msg.partition() or 0, msg.offset() or 0))
                    if ref is None:
                        continue
                    what = _replay_one(handler, publisher, names, report, ref, msg, topic)
                    if on_chunk is not None:
                        on_chunk(ref, what)
            publisher.flush()  # the notices say what is on the topics and in the database
            jobs = list(report.deliveries.values())
            send_notices(publisher, names.events, jobs, report.replay_id)
            _event(publisher, names.replays, report, "replay.completed")
            publisher.flush()
    finally:
        handler.close()


def _replay_one(
    handler: ChunkHandler,
    publisher: Publisher,
    names: TopicNames,
    report: ReplayReport,
    ref: ChunkRef,
    msg: Message,
    topic: str,
) -> str:
    target, chunk_headers = report.plan.target, list(headers_of(msg).items())
    replay_header = (H_REPLAY_ID, report.replay_id.encode())
    write = target != "results"
    if target == "db" and ref.chunk not in report.plan.to_write:
        report.skipped += 1
        return "skipped"
    # the replay id rides on the chunk's headers, so the worker path stamps it on every
    # result record it makes (stream_processors/result_records.py)
    output = handler.handle(
        [*chunk_headers, replay_header], msg.value() or b"", source_topic=topic, persist=write
    )
    routes = route_chunk_output(output, names)
    if routes.dead_letter_reason is not None:
        report.dead_lettered += 1
        return "dead-lettered"
    delivery = report.deliveries[ref.job_id]
    sent = []
    what = "emitted"
    if write:
        if output.already_saved:
            report.skipped += 1
            what = "skipped"
        else:
            report.written += 1
            what = "written"
            # the aggregator counts a chunk once; a dead chunk's failure is replaced
            sent.append(routes.chunk_result)
            delivery.wrote(output.chunk_result)
    if target != "db" and routes.results:
        sent = [*routes.results, *sent]
        report.emitted += len(routes.results)
        delivery.published(output.chunk_result, len(routes.results))
        what = "emitted" if target == "results" else what
    for record in sent:
        publisher.produce(record.topic, record.value, record.key, record.headers)
    return what


def _event(publisher: Publisher, topic: str, report: ReplayReport, kind: str) -> None:
    plan = report.plan
    event = ReplayEvent(
        type=kind,  # type: ignore[arg-type]
        replay_id=report.replay_id,
        target=plan.target,
        selection=_described(report.selection),
        jobs=[j.job_id for j in plan.jobs],
        chunks=len(plan.chunks),
        rows=plan.rows,
        written=report.written,
        skipped=report.skipped,
        emitted=report.emitted,
        dead_lettered=report.dead_lettered,
        not_replayable=sum(len(v) for v in plan.gone.values()) + len(report.expired),
    )
    publisher.produce(topic, event.model_dump_json().encode(), report.replay_id.encode())


def _described(selection: Selection) -> dict[str, str | list[str] | None]:
    return {
        "jobs": list(selection.jobs),
        "dataset": selection.dataset,
        "tenant": selection.tenant,
        "since": selection.since.isoformat() if selection.since else None,
        "until": selection.until.isoformat() if selection.until else None,
    }
