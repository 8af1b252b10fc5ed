"""Uploaded files through Kafka, so that the API and the producers share no disk.

The submitter (the API, the CLI's local upload, or a test's ``submit_file``) streams the
spooled file to ``uploads-blobs`` as parts of at most 1 MiB keyed by the job id (one
partition, in order) and puts where they are, with the file's sha256, in the upload
record (``submit_upload``). A producer on any
machine fetches the parts into its own spool (its cache: a copy that is already there and
matches the checksum is used as it is), then parses the local copy. Neither side holds more
than a few parts in memory. The parts are removed by the topic's retention only
(messaging/names.py), the same as the upload records that point at them.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from files.private import open_private, write_private_text
from files.spool import Spool
from messaging.blob_assembly import BlobAssembler
from messaging.clients import consumer_config
from messaging.consume import consume_ready
from messaging.names import UPLOAD_BLOB_PART_BYTES, group_names, topic_names
from messaging.publisher import Delivery, Publisher, PublishError
from schemas.headers import H_BLOB_PART
from schemas.records import UploadBlob, UploadRecord
from schemas.settings import Settings

HASH_READ_BYTES = 1 << 20
# no part for this long while some are still due: Kafka is down, not the file gone
FETCH_STALL_S = 60.0
WATERMARK_TIMEOUT_S = 10.0
# the fetching consumer's read-ahead: a few parts, never the whole file
FETCH_QUEUE_KBYTES = 8 * 1024
# how soon it fetches again once that read-ahead was full, in ms (librdkafka's 1,000 ms
# stalled a big file's fetch a second each time)
FETCH_QUEUE_BACKOFF_MS = 10
# how long the broker holds a fetch that finds nothing yet, in ms: a kept consumer's last
# fetch of one file would hold up the first of the next (librdkafka's 500 ms)
FETCH_LONG_POLL_MS = 10
# records taken from the consumer at a time (parts, or other uploads' parts between them)
FETCH_BATCH = 8
# how long to wait for the first of them, in seconds
FETCH_WAIT_S = 1.0


def publish_upload_blob(
    publisher: Publisher, settings: Settings, job_id: str, path: Path, sha256: str | None = None
) -> UploadBlob:
    """Stream ``path`` to ``uploads-blobs``; durable when this returns (raises PublishError).
    ``sha256``: the file's, when the caller took it as the bytes came in (the API does): the
    producers then check the blob against the bytes as received, and it is not taken twice."""
    topic = topic_names(settings).upload_blobs
    key = job_id.encode()
    delivery = Delivery()
    digest = None if sha256 else hashlib.sha256()
    size = parts = 0
    with path.open("rb") as handle:
        while data := handle.read(UPLOAD_BLOB_PART_BYTES):
            if digest is not None:
                digest.update(data)
            size += len(data)
            publisher.produce(
                topic,
                data,
                key,
                [(H_BLOB_PART, str(parts).encode())],
                delivery=delivery,
            )
            parts += 1
    placed = [(msg.partition() or 0, msg.offset() or 0) for msg in publisher.wait(delivery)]
    partitions = {partition for partition, _ in placed}
    if len(placed) != parts or len(partitions) > 1:
        raise PublishError(f"the parts of upload {job_id} did not all land on one partition")
    offsets = [offset for _, offset in placed] or [0]
    return UploadBlob(
        topic=topic,
        partition=partitions.pop() if partitions else 0,
        first_offset=min(offsets),
        last_offset=max(offsets) if placed else -1,
        parts=parts,
        size_bytes=size,
        sha256=digest.hexdigest() if digest is not None else str(sha256),
    )


def submit_upload(
    publisher: Publisher, settings: Settings, upload: UploadRecord, sha256: str | None = None
) -> UploadRecord:
    """Send the spooled file to ``uploads-blobs``, then publish the upload record that points
    at it; both are durable when this returns, so a producer on any machine can fetch the
    file, now or after a crash. A copy of the record beside the spooled file lets operators
    replay the job later. Returns the record as published. ``sha256``: the file's, if known."""
    blob = publish_upload_blob(publisher, settings, upload.job_id, Path(upload.spool_path), sha256)
    upload = upload.model_copy(update={"blob": blob})
    write_private_text(Spool.upload_record_path(upload.spool_path), upload.model_dump_json())
    topic = topic_names(settings).uploads(upload.tier)
    delivery = Delivery()
    publisher.produce(
        topic, upload.model_dump_json().encode(), upload.job_id.encode(), delivery=delivery
    )
    publisher.wait(delivery)
    return upload


def local_upload(
    upload: UploadRecord, settings: Settings, fetcher: BlobFetcher | None = None
) -> UploadRecord:
    """The upload with ``spool_path`` on this machine's spool, fetched there (by ``fetcher``,
    else by a consumer of its own) when it is not there yet. Raises UploadBlobError when the
    file is gone or damaged (the job fails), PublishError when Kafka does not answer (the
    upload is retried later)."""
    if upload.blob is None:
        return upload
    target = Spool.of(settings).upload_path(upload.job_id, Path(upload.spool_path).name)
    if not holds_blob(target, upload.blob):
        if fetcher is not None:
            fetcher.fetch(upload.job_id, upload.blob, target)
        else:
            fetch_upload_blob(settings, upload.job_id, upload.blob, target)
    local = upload.model_copy(update={"spool_path": str(target)})
    # beside the local copy, so `bulkflow replay` on this machine finds the job
    write_private_text(Spool.upload_record_path(target), local.model_dump_json())
    return local


def holds_blob(path: Path, blob: UploadBlob) -> bool:
    """Whether ``path`` is already the whole file (same size and sha256)."""
    try:
        if path.stat().st_size != blob.size_bytes:
            return False
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while data := handle.read(HASH_READ_BYTES):
                digest.update(data)
    except OSError:
        return False
    return digest.hexdigest() == blob.sha256


def fetch_upload_blob(settings: Settings, job_id: str, blob: UploadBlob, target: Path) -> None:
    """Rebuild the file at ``target`` with a consumer of its own (see BlobFetcher)."""
    with BlobFetcher(settings) as fetcher:
        fetcher.fetch(job_id, blob, target)


class BlobFetcher:
    """Fetches uploaded files with one consumer kept from one file to the next: a producer
    fetches every upload it parses, and a consumer per file cost a connection (TLS and SASL
    on a secured cluster), its metadata and its threads each time. The consumer is assigned
    one file's range at a time and unassigned after it; a fetch that fails closes it, and
    the next fetch builds another. One thread at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._consumer: Consumer | None = None

    def fetch(self, job_id: str, blob: UploadBlob, target: Path) -> None:
        """Rebuild the file at ``target``: written beside it under a temporary name, then
        moved into place whole, so a crash never leaves a part-file that looks fetched."""
        if self._consumer is None:
            self._consumer = Consumer(blob_fetch_config(self.settings))
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        try:
            with open_private(partial) as sink:
                assembler = BlobAssembler(job_id, blob, sink)
                if blob.parts:
                    _read_parts(self._consumer, blob, assembler)
                    self._consumer.unassign()
                assembler.finish()
            os.replace(partial, target)
        except BaseException:
            self.close()
            raise
        finally:
            partial.unlink(missing_ok=True)

    def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close()

    def __enter__(self) -> BlobFetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def blob_fetch_config(settings: Settings) -> dict[str, Any]:
    return consumer_config(
        settings,
        group_names(settings).blob_fetch,
        offsets_reset="earliest",
        fetch_wait_max_ms=FETCH_LONG_POLL_MS,
        overrides={
            "queued.max.messages.kbytes": FETCH_QUEUE_KBYTES,
            "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS,
        },
    )


def _read_parts(consumer: Consumer, blob: UploadBlob, assembler: BlobAssembler) -> None:
    start = TopicPartition(blob.topic, blob.partition, blob.first_offset)
    try:
        low, high = consumer.get_watermark_offsets(start, timeout=WATERMARK_TIMEOUT_S)
    except KafkaException as exc:
        raise PublishError(f"cannot reach {blob.topic} to fetch the upload: {exc}") from exc
    if low > blob.first_offset or high <= blob.last_offset:
        return  # deleted by retention (or never kept): finish() says the file is gone
    consumer.assign([start])
    last_progress = time.monotonic()
    while not assembler.complete:
        messages = consume_ready(consumer, FETCH_BATCH, FETCH_WAIT_S)
        if messages:
            last_progress = time.monotonic()
        elif time.monotonic() - last_progress > FETCH_STALL_S:
            raise PublishError(
                f"Kafka returned no part of the upload for {FETCH_STALL_S:.0f}s "
                f"({blob.topic}[{blob.partition}]@{blob.first_offset})"
            )
        for msg in messages:
            if _take(msg, assembler) >= blob.last_offset:
                return


def _take(msg: Message, assembler: BlobAssembler) -> int:
    """Hand one record to the assembler; its offset (-1 for a consumer event)."""
    error = msg.error()
    if error is not None:
        if error.code() != KafkaError._PARTITION_EOF and error.fatal():
            raise PublishError(f"fetching the upload: {error.str()}")
        return -1
    part = dict(msg.headers() or []).get(H_BLOB_PART)
    part_no = int(part) if isinstance(part, bytes) and part.isdigit() else -1
    assembler.add((msg.key() or b"").decode(), part_no, msg.value() or b"")
    return msg.offset() or 0
