"""Re-parse a job: read its spooled file again (fetched from Kafka when the spool let it
go) and re-publish its chunks.

The database writes nothing twice (the chunk ledger) and the aggregator counts nothing
twice. Safe by construction: an unknown job, a lost file or an unknown dataset is refused
before anything is published, and a parse that fails this time publishes no
``parse_failed`` (the job keeps the status it has).

Its chunk records carry a ``replay_id`` header, which the workers put on every result
record they send for them; the command follows the workers' chunk results of that id and
then sends the job's notices on ``events`` (ops/delivery_notices.py) with what they did.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Message

from files.spool import Spool
from files.spool_sweep import release
from messaging.names import SPOOL_SIDE_FILES_S, group_names, instance_id, topic_names
from messaging.publisher import Publisher
from ops.delivery_notices import JobDelivery, send_notices
from ops.errors import OpsError
from ops.topic_scan import follow_topic
from producer.publish_job import JobOutcome, publish_job
from schemas.dataset import DatasetRegistry
from schemas.errors import DatasetError
from schemas.headers import H_REPLAY_ID
from schemas.records import ChunkResult, UploadRecord
from schemas.settings import Settings

WAIT_S = 300.0  # how long the command waits for the workers to handle its chunks
CLOCK_SLACK_MS = 60_000  # chunk results are found by time: allow for clocks a minute apart


@dataclass(frozen=True)
class ReparseReport:
    outcome: JobOutcome
    replay_id: str
    delivery: JobDelivery
    handled: int  # chunks whose results came within the wait


def find_upload(settings: Settings, job_id: str) -> UploadRecord:
    spool = Spool.of(settings)
    record = spool.find_upload_record(job_id)
    if record is None:
        days = SPOOL_SIDE_FILES_S / 86400
        raise OpsError(
            f"no upload record for job {job_id} in {spool.folder}: only jobs uploaded "
            f"through this spool can be re-parsed, and for {days:.0f} days (after that "
            "the file is gone from Kafka too); upload the file again"
        )
    return UploadRecord.model_validate_json(record.read_text())


def reparse_job(
    settings: Settings, job_id: str, tenant: str | None = None, wait_s: float = WAIT_S
) -> ReparseReport:
    spool = Spool.of(settings)
    upload = find_upload(settings, job_id)
    if tenant is not None and upload.tenant != tenant:
        raise OpsError(f"job {job_id} is not tenant {tenant!r}'s")
    if upload.blob is None and not Path(upload.spool_path).exists():
        raise OpsError(
            f"the spooled file of job {job_id} is gone: {upload.spool_path}, and it was not sent through Kafka"
        )
    datasets = DatasetRegistry(settings.datasets_dir)
    try:
        datasets.get(upload.dataset)
    except DatasetError as exc:
        raise OpsError(
            f"job {job_id} is of dataset {upload.dataset!r}, unknown in "
            f"{settings.datasets_dir}: {exc}"
        ) from exc
    replay_id = f"reparse-{uuid.uuid4().hex[:12]}"
    since_ms = int(time.time() * 1000) - CLOCK_SLACK_MS
    local = spool.upload_path(job_id, Path(upload.spool_path).name)
    fetched = upload.blob is not None and not local.exists()
    with Publisher(settings) as publisher:
        outcome = publish_job(
            upload,
            settings,
            publisher,
            datasets,
            publish_failure=False,
            chunk_headers=[(H_REPLAY_ID, replay_id.encode())],
        )
    if fetched:  # the copy fetched for this re-parse goes again: Kafka still has the file
        release(local)
    if not outcome.sealed:
        raise OpsError(
            f"job {job_id}: the file cannot be parsed now ({outcome.reason}); "
            "nothing was changed on the job"
        )
    results = _chunk_results(settings, job_id, replay_id, outcome.total_chunks, since_ms, wait_s)
    delivery = JobDelivery(job_id, upload.tenant, upload.dataset)
    for result in results.values():
        delivery.published(result, result.result_records)
        if result.written:
            delivery.wrote(result)
    with Publisher(settings) as publisher:
        send_notices(publisher, topic_names(settings).events, [delivery], replay_id)
    return ReparseReport(outcome, replay_id, delivery, len(results))


def _chunk_results(
    settings: Settings, job_id: str, replay_id: str, chunks: int, since_ms: int, wait_s: float
) -> dict[int, ChunkResult]:
    """The workers' chunk results of this re-parse, by chunk, as many as came in time."""
    found: dict[int, ChunkResult] = {}

    def take(msg: Message) -> bool:
        if msg.key() == job_id.encode():
            result = ChunkResult.model_validate_json(msg.value() or b"{}")
            if result.replay_id == replay_id:
                found.setdefault(result.chunk_no, result)
        return len(found) >= chunks

    if chunks:
        follow_topic(
            settings,
            topic_names(settings).chunk_results,
            group_names(settings).replay_scan(instance_id()),
            since_ms=since_ms,
            done=take,
            timeout_s=wait_s,
        )
    return found
