"""Re-parse a job: read its spooled file again (fetched from Kafka when the spool let it
go) and re-publish its chunks.

The database writes nothing twice (the chunk ledger) and the aggregator counts nothing
twice. Safe by construction: an unknown job, a lost file or an unknown dataset is refused
before anything is published, and a parse that fails this time publishes no
``parse_failed`` (the job keeps the status it has).
"""

from __future__ import annotations

from pathlib import Path

from files.spool import Spool
from files.spool_sweep import release
from messaging.names import SPOOL_SIDE_FILES_S
from messaging.publisher import Publisher
from ops.errors import OpsError
from producer.publish_job import JobOutcome, publish_job
from schemas.dataset import DatasetRegistry
from schemas.errors import DatasetError
from schemas.records import UploadRecord
from schemas.settings import Settings


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


def reparse_job(settings: Settings, job_id: str, tenant: str | None = None) -> JobOutcome:
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
    local = spool.upload_path(job_id, Path(upload.spool_path).name)
    fetched = upload.blob is not None and not local.exists()
    with Publisher(settings) as publisher:
        outcome = publish_job(upload, settings, publisher, datasets, publish_failure=False)
    if fetched:  # the copy fetched for this re-parse goes again: Kafka still has the file
        release(local)
    if not outcome.sealed:
        raise OpsError(
            f"job {job_id}: the file cannot be parsed now ({outcome.reason}); "
            "nothing was changed on the job"
        )
    return outcome
