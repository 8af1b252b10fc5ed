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
from messaging.upload_blobs import BlobFetcher, local_upload
from producer.chunking import build_chunk_records
from producer.corrections import corrections_dataset, with_original_rows
from producer.mapping_desk import MappingDesk
from producer.readers import open_reader
from producer.readers.base import ChunkReader, HeaderNotFound, ReaderLimits
from producer.reading import (
    choose_reading,
    default_encoding,
    read_again_in_code_page,
    with_encoding,
)
from producer.size_policy import choose_chunk_rows
from schemas.column_mapping import MappingPreview, mapped_dataset
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import DatasetError, ParseError
from schemas.locales import LocaleError
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
    paused: bool = False  # needs_mapping: parked until a person maps the columns


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
    return JobEvent.of_upload(upload, kind, **fields).model_dump_json().encode()


def open_upload_reader(
    upload: UploadRecord,
    dataset: Dataset,
    chunk_rows: int,
    limits: ReaderLimits = ReaderLimits(),
    locale: str | None = None,
) -> ChunkReader:
    """The upload's reader: with the person's column mapping when it has one, and with the
    row number column when it corrects another job. ``locale``: the one detected from the
    file, whose code page a text file is then read in (the upload's own comes first)."""
    if upload.mapping:
        dataset = mapped_dataset(dataset, upload.mapping)
    if upload.corrects:
        dataset = corrections_dataset(dataset)
    return open_reader(
        upload.spool_path,
        dataset,
        chunk_rows,
        file_format=upload.file_format,
        sheet=upload.sheet,
        encoding=upload.encoding,
        locale=upload.locale or locale,
        limits=limits,
    )


def publish_job(
    upload: UploadRecord,
    settings: Settings,
    publisher: Publisher,
    datasets: DatasetRegistry,
    lag_chunks: int = 0,
    limits: ReaderLimits = ReaderLimits(),
    *,
    publish_failure: bool = True,
    desk: MappingDesk | None = None,
    chunk_headers: Sequence[tuple[str, bytes]] = (),
    fetcher: BlobFetcher | None = None,
) -> JobOutcome:
    """Parse and publish one upload. A file that cannot be parsed ends as parse_failed
    (with a reason for a person); only Kafka failures raise (PublishError). With a ``desk``,
    a file whose header maps no required columns is read with a saved mapping that fits
    it, or paused for a person to map (needs_mapping).

    ``publish_failure=False`` (an operator's re-parse) reports a failure in the outcome
    only: a re-parse must never turn a job that went through into a failed one;
    ``chunk_headers`` go on every chunk record (a re-parse's ``replay_id``); ``fetcher``
    fetches the file when it is on another machine's spool (the producer keeps one)."""
    names = topic_names(settings)
    failures_to = names.jobs if publish_failure else None
    started = time.monotonic()
    key = upload.job_id.encode()
    chunks = rows = 0
    try:
        upload = local_upload(upload, settings, fetcher)
    except UploadBlobError as exc:
        return _fail(upload, publisher, failures_to, str(exc), started)
    try:
        dataset = datasets.get(upload.dataset)
        chunk_rows = chunk_rows_for(upload, settings, lag_chunks)
        try:
            reader = open_upload_reader(upload, dataset, chunk_rows, limits)
        except HeaderNotFound as exc:
            step = (
                None
                if desk is None or not publish_failure
                else desk.next_step(upload, exc, dataset)
            )
            if isinstance(step, MappingPreview):
                return _pause(upload, publisher, names.jobs, step, started)
            if step is None:
                raise
            upload = step
            reader = open_upload_reader(upload, dataset, chunk_rows, limits)
    except (ParseError, DatasetError) as exc:
        return _fail(upload, publisher, failures_to, str(exc), started)
    except FileNotFoundError:
        return _fail(
            upload, publisher, failures_to, "the uploaded file is gone from the spool", started
        )
    try:
        reading, batches = choose_reading(
            upload, dataset, reader.batches(), default_encoding(reader)
        )
        if read_again_in_code_page(reader, reading):  # the header and cells in their letters
            reader.close()
            reader = open_upload_reader(upload, dataset, chunk_rows, limits, reading.locale)
            batches = reader.batches()
        mapping = reader.mapping
        reading = with_encoding(reading, getattr(reader, "encoding", None))
        registered = _job_event(
            upload,
            "registered",
            unknown_columns=mapping.unknown_columns,
            sheet=mapping.sheet,
            header_row=mapping.header_row,
            mapping={
                c: h for c, h in mapping.headers.items() if c != "row_no" or not upload.corrects
            },
            locale=reading.locale,
            locale_source=reading.source,
            reading=reading.text,
        )
        publisher.produce(names.jobs, registered, key, tag=upload.job_id)
        records = build_chunk_records(
            with_original_rows(batches) if upload.corrects else batches,
            job_id=upload.job_id,
            dataset=upload.dataset,
            tenant=upload.tenant,
            schema_version=dataset.version,
            max_bytes=settings.chunk_max_bytes,
            locale=reading.locale,
            corrects=upload.corrects,
        )
        topic = names.chunks(upload.tier)
        for headers, payload in records:
            headers_out = [*headers.to_kafka(), *chunk_headers]
            publisher.produce(topic, payload, headers.key, headers_out, tag=upload.job_id)
            chunks += 1
            rows += headers.row_count
        warnings = reader.warnings()
    except (ParseError, LocaleError) as exc:
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
    sealed = _job_event(upload, "sealed", total_chunks=chunks, total_rows=rows, warnings=warnings)
    _produce_after_chunks(publisher, upload.job_id, names.jobs, sealed)
    return JobOutcome(upload.job_id, True, chunks, rows, None, time.monotonic() - started)


def _produce_after_chunks(publisher: Publisher, job_id: str, topic: str, event: bytes) -> None:
    """The job's last event, once every record it produced before is acknowledged; the
    caller waits for it with ``publisher.after_delivered(job_id, ...)`` or ``flush()``."""
    publisher.after_delivered(
        job_id, lambda: publisher.produce(topic, event, job_id.encode(), tag=job_id)
    )


def _pause(
    upload: UploadRecord,
    publisher: Publisher,
    jobs_topic: str,
    preview: MappingPreview,
    started: float,
) -> JobOutcome:
    log.info("job %s needs its columns mapped: %s", upload.job_id, preview.reason)
    event = _job_event(upload, "needs_mapping", reason=preview.reason, mapping_preview=preview)
    _produce_after_chunks(publisher, upload.job_id, jobs_topic, event)
    return JobOutcome(
        upload.job_id, False, 0, 0, preview.reason, time.monotonic() - started, paused=True
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
