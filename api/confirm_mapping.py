"""Confirming a person's column mapping for an upload paused in needs_mapping: the upload
record the producer parked goes out again with the mapping, after a mapping_confirmed job
event, and the mapping is saved for the tenant and dataset. Blocking: run it in a thread."""

from __future__ import annotations

from api.http_errors import Conflict, Unprocessable
from api.models import MappingConfirm
from api.state import AppState
from database.column_mappings import (
    paused_upload,
    release_paused,
    restore_paused,
    save_mapping,
)
from messaging.names import topic_names
from messaging.publisher import Delivery
from schemas.column_mapping import header_signature, mapped_dataset, mapping_problems
from schemas.errors import DatasetError
from schemas.records import JobEvent, UploadRecord, UploadStatus


def confirm_mapping(state: AppState, status: UploadStatus, body: MappingConfirm) -> UploadStatus:
    """The job's status (the tenant's, found by ``find_job``) once its upload is queued
    again; 409 when it is not waiting for a mapping, 422 for a mapping that does not fit the
    file or the dataset."""
    job_id, tenant = status.job_id, status.tenant
    if status.state != "needs_mapping":
        raise Conflict(
            f"upload {job_id} is not waiting for a column mapping (it is {status.state})"
        )
    engine = state.engine()
    paused = paused_upload(engine, job_id, tenant)
    if paused is None:
        raise Conflict(f"upload {job_id} is no longer waiting for a column mapping")
    dataset = state.registry.get(status.dataset)
    problems = mapping_problems(dataset, body.mapping, paused.file_columns)
    if problems:
        raise Unprocessable("; ".join(problems))
    try:
        mapped_dataset(dataset, body.mapping)
    except DatasetError as exc:
        raise Unprocessable(str(exc)) from exc
    record = UploadRecord.model_validate_json(paused.upload)
    sheet = status.mapping_preview.sheet if status.mapping_preview else None
    record = record.model_copy(update={"mapping": body.mapping, "sheet": sheet or record.sheet})
    # taking the paused row out decides between this confirmation and the expiry (or a
    # second confirmation): only the one that took it sends anything
    if not release_paused(engine, job_id):
        raise Conflict(f"upload {job_id} is no longer waiting for a column mapping")
    try:
        _send_again(state, record, body)
    except BaseException:
        restore_paused(engine, paused)
        raise
    if body.remember:
        signature = header_signature(paused.file_columns)
        save_mapping(engine, tenant, record.dataset, signature, body.mapping)
    resumed = status.model_copy(
        update={"state": "parsing", "mapping_preview": None, "mapping": dict(body.mapping)}
    )
    state.view.put(resumed)
    return resumed


def _send_again(state: AppState, record: UploadRecord, body: MappingConfirm) -> None:
    """The mapping_confirmed job event, then the upload record with its mapping."""
    event = JobEvent.of_upload(record, "mapping_confirmed", mapping=body.mapping)
    names = topic_names(state.settings)
    publisher = state.publisher()
    delivery = Delivery()
    # the event first: the job is out of needs_mapping before its upload is read again
    publisher.produce(
        names.jobs, event.model_dump_json().encode(), record.job_id.encode(), delivery=delivery
    )
    publisher.wait(delivery)
    delivery = Delivery()
    publisher.produce(
        names.uploads(record.tier),
        record.model_dump_json().encode(),
        record.job_id.encode(),
        delivery=delivery,
    )
    publisher.wait(delivery)
