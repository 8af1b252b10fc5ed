"""Replay a job: parse its spooled file again and re-publish its chunks.

The database writes nothing twice (the chunk ledger), the aggregator counts nothing twice,
and downstream subscribers of ``results.<dataset>`` get the rows again."""

from __future__ import annotations

from pathlib import Path

from ops.errors import OpsError
from producer.jobs import JobOutcome, publish_job
from producer.publisher import Publisher
from schemas.dataset import DatasetRegistry
from schemas.records import UploadRecord
from schemas.settings import Settings
from schemas.spool import Spool


def find_upload(settings: Settings, job_id: str) -> UploadRecord:
    spool = Spool.of(settings)
    record = spool.find_upload_record(job_id)
    if record is None:
        raise OpsError(
            f"no spooled upload for job {job_id} in {spool.folder}; "
            "only jobs uploaded through this spool can be replayed"
        )
    return UploadRecord.model_validate_json(record.read_text())


def replay_job(settings: Settings, job_id: str) -> JobOutcome:
    upload = find_upload(settings, job_id)
    if not Path(upload.spool_path).exists():
        raise OpsError(f"the spooled file of job {job_id} is gone: {upload.spool_path}")
    with Publisher(settings) as publisher:
        return publish_job(upload, settings, publisher, DatasetRegistry(settings.datasets_dir))
