"""A spooled file as the upload record the pipeline passes on: its format, row estimate and
tier. The API and the CLI make one here, then send it with messaging.upload_blobs."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from files.estimate import estimate_rows
from files.private import open_private
from files.sniff import sniff_format
from files.spool import Spool
from schemas.records import UploadRecord, utcnow
from schemas.settings import Settings


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
