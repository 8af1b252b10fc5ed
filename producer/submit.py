"""Turn a file into an upload record on ``uploads.<tier>``: the API's and the CLI's entry."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from messaging.names import topic_names
from messaging.publisher import Delivery, Publisher
from producer.readers import estimate_rows
from producer.readers.sniff import sniff_format
from producer.upload_blobs import publish_upload_blob
from schemas.private_files import open_private, write_private_text
from schemas.records import UploadRecord, utcnow
from schemas.settings import Settings
from schemas.spool import Spool


def new_job_id() -> str:
    return uuid.uuid4().hex


def make_upload_record(
    settings: Settings,
    spooled: Path,
    *,
    job_id: str,
    tenant: str,
    dataset: str,
    filename: str,
    sheet: str | None = None,
    encoding: str | None = None,
    locale: str | None = None,
) -> UploadRecord:
    """Sniff the spooled file and estimate its rows (raises ParseError on what is not a
    supported file), then pick the tier from the estimate."""
    file_format = sniff_format(spooled)
    rows = estimate_rows(spooled, file_format)
    return UploadRecord(
        job_id=job_id,
        tenant=tenant,
        dataset=dataset,
        filename=filename,
        spool_path=str(spooled.resolve()),
        size_bytes=spooled.stat().st_size,
        estimated_rows=rows,
        tier=settings.tier_for_rows(rows),
        submitted_at=utcnow(),
        file_format=file_format,
        sheet=sheet,
        encoding=encoding,
        locale=locale,
    )


def spool_copy(settings: Settings, source: Path, job_id: str) -> Path:
    """Copy a local file into the spool, from where it is parsed or sent to the producers."""
    target = Spool.of(settings).upload_path(job_id, source.name)
    with source.open("rb") as src, open_private(target) as dst:
        shutil.copyfileobj(src, dst)
    return target


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
