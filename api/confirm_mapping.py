"""Confirming a person's column mapping for an upload paused in needs_mapping: the upload
record the producer parked goes out again with the mapping, after a mapping_confirmed job
event, and the mapping is saved for the tenant and dataset. Blocking: run it in a thread."""

from __future__ import annotations

from api.http_errors import Conflict, Unprocessable
from api.job_status import find_job
from api.models import MappingConfirm
from api.state import AppState
from database.column_mappings import paused_upload, release_paused, save_mapping
from messaging.names import topic_names
from messaging.publisher import Delivery
from schemas.column_mapping import header_signature, mapped_dataset, mapping_problems
from schemas.errors import DatasetError
from schemas.records import JobEvent, UploadRecord, UploadStatus


def confirm_mapping(
    state: AppState, tenant: str, job_id: str, body: MappingConfirm
) -> UploadStatus:
    """The job's status once its upload is queued again; 409 when it is not waiting for a
    mapping, 422 for a mapping that does not fit the file or the dataset."""
    status = find_job(state.view, tenant, job_id)
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
    event = JobEvent.of_upload(record, "mapping_confirmed", mapping=body.mapping)
    names = topic_names(state.settings)
    publisher = state.publisher()
    delivery = Delivery()
    # the event first: the job is out of needs_mapping before its upload is read again
    publisher.produce(
        names.jobs, event.model_dump_json().encode(), job_id.encode(), delivery=delivery
    )
    publisher.wait(delivery)
    delivery = Delivery()
    publisher.produce(
        names.uploads(record.tier),
        record.model_dump_json().encode(),
        job_id.encode(),
        delivery=delivery,
    )
    publisher.wait(delivery)
    if body.remember:
        signature = header_signature(paused.file_columns)
        save_mapping(engine, tenant, record.dataset, signature, body.mapping)
    release_paused(engine, job_id)
    resumed = status.model_copy(
        update={"state": "parsing", "mapping_preview": None, "mapping": dict(body.mapping)}
    )
    state.view.put(resumed)
    return resumed
