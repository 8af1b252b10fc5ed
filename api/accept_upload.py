"""Accepting an upload: spool, check, record, publish. Routes call ``accept_upload``."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from api.form_fields import chosen_encoding, chosen_locale
from api.http_errors import (
    BadRequest,
    Conflict,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
    parse_error_answer,
)
from api.idempotency import fingerprint, valid_key
from api.job_status import find_job
from api.models import UploadAccepted
from api.multipart import SpooledForm, spool_multipart
from api.state import AppState
from database.idempotency import Binding
from database.job_statuses import get_status, record_queued
from files.spool import Spool
from files.upload_record import make_upload_record, new_job_id
from messaging.names import topic_names
from messaging.publisher import Delivery, PublishError
from messaging.upload_blobs import submit_upload
from schemas.column_mapping import ColumnMapping, mapped_dataset
from schemas.dataset import Dataset
from schemas.errors import DatasetError, ParseError
from schemas.locales import describe_reading
from schemas.records import JobState, UploadRecord, UploadStatus, utcnow
from schemas.settings import Tier

log = logging.getLogger(__name__)

REPEAT_ANSWER_WAIT_S = 5.0
FORM_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and small fields


SPOOL_FULL = "the upload spool is full of files still waiting to be parsed; retry in a few minutes"
SPOOL_FULL_RETRY_S = 60

KEY_REUSED = (
    "this Idempotency-Key was already used for a different upload (another file, dataset or "
    "sheet); send a new key for a new upload"
)


def accepted(
    job_id: str, tier: Tier, state: JobState = "queued", *, replayed: bool = False
) -> UploadAccepted:
    base = f"/v1/uploads/{job_id}"
    return UploadAccepted(
        job_id=job_id,
        tier=tier,
        state=state,
        replayed=replayed,
        status_url=base,
        events_url=f"{base}/events",
        errors_url=f"{base}/errors",
    )


def queued_status(record: UploadRecord) -> UploadStatus:
    chosen = record.locale
    source = record.locale_source or "chosen"
    return UploadStatus(
        job_id=record.job_id,
        tenant=record.tenant,
        dataset=record.dataset,
        filename=record.filename,
        tier=record.tier,
        state="queued",
        submitted_at=record.submitted_at,
        locale=chosen,
        locale_source=source if chosen else None,
        reading=describe_reading(chosen, source, None) if chosen else None,
        corrects=record.corrects,
    )


async def accept_upload(
    request: Request, state: AppState, tenant: str, idempotency_key: str | None
) -> UploadAccepted:
    settings = state.settings
    if idempotency_key is not None:
        if not valid_key(idempotency_key):
            raise BadRequest("the Idempotency-Key must be 1-255 printable characters")
        store = await run_in_threadpool(state.idempotency)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.max_upload_bytes + FORM_OVERHEAD_BYTES:
        raise PayloadTooLarge(
            f"the file is larger than the limit of {settings.max_upload_bytes} bytes"
        )
    declared = int(length) if length.isdigit() else 0
    if not await run_in_threadpool(state.spool.room_for, declared):
        raise ServiceUnavailable(SPOOL_FULL, headers={"Retry-After": str(SPOOL_FULL_RETRY_S)})
    job_id = new_job_id()
    form = await spool_multipart(
        request,
        lambda name: Spool.of(settings).upload_path(job_id, name),
        settings.max_upload_bytes,
    )
    try:
        options = await upload_options(state, tenant, form)
        dataset = options.dataset
        assert form.path is not None and form.filename is not None
        sheet = form.fields.get("sheet") or None
        locale, source = chosen_locale(form), "chosen"
        encoding = chosen_encoding(form)
        if locale is None and options.locale is not None:  # as the corrected job was read
            locale, source = options.locale, "corrected"
        mapping_text = form.fields.get("mapping", "")
        request_fingerprint = fingerprint(
            dataset,
            sheet,
            form.sha256,
            mapping_text,
            options.corrects or "",
            locale or "",
            f"encoding={encoding}" if encoding else "",
        )
        if idempotency_key is not None:
            existing = await run_in_threadpool(store.get, tenant, idempotency_key)
            if existing is not None:
                await remove(form.path)
                return await repeat_answer(state, existing, request_fingerprint)
        record = await run_in_threadpool(
            make_record,
            state,
            form.path,
            job_id,
            tenant,
            dataset,
            form.filename,
            sheet,
            locale,
        )
        record = record.model_copy(
            update={
                "mapping": options.mapping,
                "corrects": options.corrects,
                "locale_source": source if locale else None,
                "encoding": encoding,
            }
        )
        if idempotency_key is not None:
            bound = await run_in_threadpool(
                store.claim, tenant, idempotency_key, job_id, request_fingerprint
            )
            if bound.job_id != job_id:  # a concurrent request with the same key won
                await remove(form.path)
                return await repeat_answer(state, bound, request_fingerprint)
        try:
            await run_in_threadpool(publish, state, record, form.sha256)
        except BaseException:
            if idempotency_key is not None:
                with anyio.CancelScope(shield=True):
                    await run_in_threadpool(store.release, tenant, idempotency_key, job_id)
            raise
    except BaseException:
        if form.path is not None:
            with anyio.CancelScope(shield=True):
                await remove(form.path)
        raise
    state.metrics.accepted(record.tier, record.size_bytes)
    state.spool.accepted(job_id, Path(record.spool_path), record.size_bytes)
    log.info(
        "accepted upload %s of %s (%s, %d bytes, ~%d rows, tier %s)",
        job_id,
        tenant,
        record.dataset,
        record.size_bytes,
        record.estimated_rows,
        record.tier,
    )
    return accepted(job_id, record.tier)


@dataclass(frozen=True)
class UploadOptions:
    dataset: str
    mapping: ColumnMapping | None = None
    corrects: str | None = None
    locale: str | None = None  # the locale the corrected job was read by


async def upload_options(state: AppState, tenant: str, form: SpooledForm) -> UploadOptions:
    """The dataset, the column mapping and the job corrected (with the locale it was read
    by), from the form; 422 for what is missing or wrong, 404 for a corrected job the tenant
    does not have, 409 for one that has not ended."""
    corrects = form.fields.get("corrects", "").strip() or None
    original = None if corrects is None else await find_job(state, tenant, corrects)
    name = form.fields.get("dataset", "").strip() or (original.dataset if original else "")
    known = ", ".join(state.registry.names()) or "none"
    if not name:
        raise Unprocessable(f"the form field 'dataset' is required (known datasets: {known})")
    try:
        dataset = state.registry.get(name)
    except DatasetError as exc:
        raise Unprocessable(f"unknown dataset {name!r} (known datasets: {known})") from exc
    if form.path is None:
        raise Unprocessable("the form field 'file' with the spreadsheet is required")
    if original is not None:
        if original.dataset != name:
            raise Unprocessable(
                f"upload {corrects} is of dataset {original.dataset}, not {name}: its "
                "corrections must be too"
            )
        if not original.is_final:
            raise Conflict(f"upload {corrects} has not ended yet; correct it once it has")
    mapping = parse_mapping_field(form.fields.get("mapping", ""), dataset)
    return UploadOptions(name, mapping, corrects, original.locale if original else None)


def parse_mapping_field(text: str, dataset: Dataset) -> ColumnMapping | None:
    """The ``mapping`` form field: a JSON object, dataset column -> the file's header."""
    if not text.strip():
        return None
    try:
        mapping = json.loads(text)
    except ValueError as exc:
        raise Unprocessable(f"the form field 'mapping' is not JSON: {exc}") from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise Unprocessable(
            "the form field 'mapping' must be a JSON object of dataset column -> file header"
        )
    try:
        mapped_dataset(dataset, mapping)
    except DatasetError as exc:
        raise Unprocessable(f"the column mapping cannot apply: {exc}") from exc
    return mapping


def make_record(
    state: AppState,
    path: Path,
    job_id: str,
    tenant: str,
    dataset: str,
    filename: str,
    sheet: str | None,
    locale: str | None = None,
) -> UploadRecord:
    """Sniff and estimate (blocking): the empty file is 422, anything unsupported 415
    (api.http_errors.PARSE_ERROR_ANSWERS)."""
    try:
        return make_upload_record(
            state.settings,
            path,
            job_id=job_id,
            tenant=tenant,
            dataset=dataset,
            filename=filename,
            sheet=sheet,
            locale=locale,
        )
    except ParseError as exc:
        raise parse_error_answer(exc) from exc


def publish(state: AppState, record: UploadRecord, sha256: str) -> None:
    """The queued status first (durable, and in the view at once), then the upload record.
    ``sha256``: the file's, taken as it streamed in."""
    publisher = state.publisher()
    status = queued_status(record)
    try:  # the database has every job from its first status on: GET and the list read it
        record_queued(state.engine(), status)
    except SQLAlchemyError as exc:
        raise ServiceUnavailable("the status database does not answer; retry shortly") from exc
    progress = topic_names(state.settings).progress
    delivery = Delivery()  # this request's records only: not the other requests' big files
    publisher.produce(
        progress, status.model_dump_json().encode(), record.job_id.encode(), delivery=delivery
    )
    publisher.wait(delivery)
    state.view.put(status)
    try:
        submit_upload(publisher, state.settings, record, sha256)
    except PublishError as exc:
        failed = status.model_copy(
            update={
                "state": "failed",
                "finished_at": utcnow(),
                "error": "the upload could not be queued; please upload it again",
            }
        )
        state.view.put(failed)
        try:
            publisher.produce(progress, failed.model_dump_json().encode(), record.job_id.encode())
            publisher.flush(5)
        except PublishError:
            log.warning("could not publish the failed status of %s", record.job_id)
        raise exc


async def repeat_answer(
    state: AppState, binding: Binding, request_fingerprint: str
) -> UploadAccepted:
    """The answer already given for an Idempotency-Key, with the job's current state; 422 when
    the key was bound to another request."""
    if binding.fingerprint and binding.fingerprint != request_fingerprint:
        raise Unprocessable(KEY_REUSED)
    job_id = binding.job_id
    deadline = time.monotonic() + REPEAT_ANSWER_WAIT_S
    version, status = state.view.snapshot(job_id)
    if status is None:  # a job no longer in the view's memory is in the database
        status = await run_in_threadpool(lambda: get_status(state.engine(), job_id))
    while status is None and time.monotonic() < deadline:
        await state.view.wait_change(job_id, version, deadline - time.monotonic())
        version, status = state.view.snapshot(job_id)
    if status is None:
        raise Conflict("the upload with this Idempotency-Key is still being accepted; retry")
    return accepted(job_id, status.tier, status.state, replayed=True)


async def remove(path: Path) -> None:
    """Remove a spooled file that will not be processed (and submit_upload's record copy)."""
    await anyio.to_thread.run_sync(Spool.discard, path)
