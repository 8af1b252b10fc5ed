"""Publish one spooled upload as a job: registered, its chunks, then sealed or parse_failed.

The last event is produced once the chunks' delivery reports are in (Publisher.after_delivered),
not after a synchronous flush: registered before chunks before sealed, without the wait.

Chunk size is chosen once per job and written beside the spooled file (the plan), so a
re-parse after a crash yields exactly the same chunks, whatever the load is then. An upload
sent through Kafka is first fetched into this machine's spool (messaging/upload_blobs.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from files.private import write_private_text
from files.spool import Spool
from messaging.blob_assembly import UploadBlobError
from messaging.names import topic_names
from messaging.publisher import Publisher, PublishError
from messaging.upload_blobs import local_upload
from producer.chunking import build_chunk_records
from producer.readers import open_reader
from producer.readers.base import ReaderLimits
from producer.size_policy import choose_chunk_rows
from schemas.dataset import DatasetRegistry
from schemas.errors import DatasetError, ParseError
from schemas.records import JobEvent, UploadRecord
from schemas.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    sealed: bool
    total_chunks: int
    total_rows: int
    reason: str | None
    seconds: float


def chunk_rows_for(upload: UploadRecord, settings: Settings, lag_chunks: int) -> int:
    """The job's chunk size: from its plan when it has one, else chosen now and recorded."""
    plan = Spool.chunk_plan_path(upload.spool_path)
    try:
        return int(json.loads(plan.read_text())["chunk_rows"])
    except (OSError, ValueError, KeyError):
        pass
    # No estimate (0) must not read as "the whole file is one row": that made 2-row chunks.
    # Unknown row sizes are left to build_chunk_records, which splits chunks by bytes.
    estimated = upload.estimated_rows
    avg_row_bytes = upload.size_bytes / estimated if estimated > 0 else 0.0
    rows = choose_chunk_rows(lag_chunks, avg_row_bytes, settings)
    try:
        write_private_text(plan, json.dumps({"chunk_rows": rows, "lag_chunks": lag_chunks}))
    except OSError as exc:  # a read-only spool still works; only crash-replay loses the plan
        log.warning("cannot write the chunk plan %s: %s", plan, exc)
    return rows


def _job_event(upload: UploadRecord, kind: str, **fields: object) -> bytes:
    event = JobEvent(
        job_id=upload.job_id,
        kind=kind,  # type: ignore[arg-type]
        tenant=upload.tenant,
        dataset=upload.dataset,
        filename=upload.filename,
        tier=upload.tier,
        submitted_at=upload.submitted_at,
        **fields,  # type: ignore[arg-type]
    )
    return event.model_dump_json().encode()


def publish_job(
    upload: UploadRecord,
    settings: Settings,
    publisher: Publisher,
    datasets: DatasetRegistry,
    lag_chunks: int = 0,
    limits: ReaderLimits = ReaderLimits(),
    *,
    publish_failure: bool = True,
    chunk_headers: Sequence[tuple[str, bytes]] = (),
) -> JobOutcome:
    """Parse and publish one upload. A file that cannot be parsed ends as parse_failed
    (with a reason for a person); only Kafka failures raise (PublishError).

    ``publish_failure=False`` (an operator's re-parse) reports a failure in the outcome
    only: a re-parse must never turn a job that went through into a failed one;
    ``chunk_headers`` go on every chunk record (a re-parse's ``replay_id``)."""
    names = topic_names(settings)
    failures_to = names.jobs if publish_failure else None
    started = time.monotonic()
    key = upload.job_id.encode()
    chunks = rows = 0
    try:
        upload = local_upload(upload, settings)
    except UploadBlobError as exc:
        return _fail(upload, publisher, failures_to, str(exc), started)
    try:
        dataset = datasets.get(upload.dataset)
        reader = open_reader(
            upload.spool_path,
            dataset,
            chunk_rows_for(upload, settings, lag_chunks),
            file_format=upload.file_format,
            sheet=upload.sheet,
            encoding=upload.encoding,
            limits=limits,
        )
    except (ParseError, DatasetError) as exc:
        return _fail(upload, publisher, failures_to, str(exc), started)
    except FileNotFoundError:
        return _fail(
            upload, publisher, failures_to, "the uploaded file is gone from the spool", started
        )
    try:
        publisher.produce(
            names.jobs,
            _job_event(upload, "registered", unknown_columns=reader.mapping.unknown_columns),
            key,
            tag=upload.job_id,
        )
        records = build_chunk_records(
            reader.batches(),
            job_id=upload.job_id,
            dataset=upload.dataset,
            tenant=upload.tenant,
            schema_version=dataset.version,
            max_bytes=settings.chunk_max_bytes,
        )
        topic = names.chunks(upload.tier)
        for headers, payload in records:
            headers_out = [*headers.to_kafka(), *chunk_headers]
            publisher.produce(topic, payload, headers.key, headers_out, tag=upload.job_id)
            chunks += 1
            rows += headers.row_count
    except ParseError as exc:
        return _fail(upload, publisher, failures_to, str(exc), started, chunks, rows)
    except PublishError:
        raise
    except Exception as exc:  # a library bug on a strange file must fail this job only
        log.exception("job %s: unexpected error while parsing", upload.job_id)
        reason = f"the file could not be read ({type(exc).__name__}: {exc})"
        return _fail(upload, publisher, failures_to, reason, started, chunks, rows)
    finally:
        reader.close()
    # chunks must be durable before the seal announces them: it is produced once their
    # delivery reports are in, while the caller goes on to the next job
    sealed = _job_event(upload, "sealed", total_chunks=chunks, total_rows=rows)
    _produce_after_chunks(publisher, upload.job_id, names.jobs, sealed)
    return JobOutcome(upload.job_id, True, chunks, rows, None, time.monotonic() - started)


def _produce_after_chunks(publisher: Publisher, job_id: str, topic: str, event: bytes) -> None:
    """The job's last event, once every record it produced before is acknowledged; the
    caller waits for it with ``publisher.after_delivered(job_id, ...)`` or ``flush()``."""
    publisher.after_delivered(
        job_id, lambda: publisher.produce(topic, event, job_id.encode(), tag=job_id)
    )


def _fail(
    upload: UploadRecord,
    publisher: Publisher,
    jobs_topic: str | None,
    reason: str,
    started: float,
    chunks: int = 0,
    rows: int = 0,
) -> JobOutcome:
    log.info("job %s parse_failed: %s", upload.job_id, reason)
    if jobs_topic is None:  # a re-parse: the outcome tells the operator, the job is untouched
        publisher.flush()
        return JobOutcome(upload.job_id, False, chunks, rows, reason, time.monotonic() - started)
    failed = _job_event(upload, "parse_failed", reason=reason)
    _produce_after_chunks(publisher, upload.job_id, jobs_topic, failed)
    return JobOutcome(upload.job_id, False, chunks, rows, reason, time.monotonic() - started)
