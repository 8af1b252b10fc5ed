"""One job's status for a tenant, a page of the tenant's jobs, a job's live events, and
the live events of all the tenant's jobs.

The status view holds running and recent jobs; any other job's status is read from the
database (``bulkflow_job_status``), which has every job's, and held by the view from then on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from sqlalchemy import exc as sa_exc
from starlette.concurrency import run_in_threadpool

from api.http_errors import NotFound, ServiceUnavailable
from api.progress_view import ProgressView
from api.state import AppState
from database.job_statuses import get_status, list_statuses
from schemas.records import UploadStatus, is_step_back

DATABASE_DOWN = "the status database does not answer; retry shortly"


async def find_job(state: AppState, tenant: str, job_id: str) -> UploadStatus:
    """The tenant's job; another tenant's job is as unknown as a missing one (404)."""
    view = state.view
    status = view.get(job_id)
    if status is None:
        try:
            status = await run_in_threadpool(lambda: get_status(state.engine(), job_id))
        except sa_exc.SQLAlchemyError as exc:
            raise ServiceUnavailable(DATABASE_DOWN) from exc
        if status is not None:
            view.hold(status)
            status = view.get(job_id) or status  # the view may have had news meanwhile
    if status is None or status.tenant != tenant:
        if not view.caught_up:
            raise ServiceUnavailable("the status view is still catching up; retry shortly")
        raise NotFound(f"no upload {job_id}")
    return status


async def list_jobs(
    state: AppState, tenant: str, limit: int, offset: int
) -> tuple[list[UploadStatus], int]:
    """A page of the tenant's jobs, newest first, from the database; a running job's status
    as the view has it (newer than the database's, which is written every few seconds)."""
    try:
        items, total = await run_in_threadpool(
            lambda: list_statuses(state.engine(), tenant, limit, offset)
        )
    except sa_exc.SQLAlchemyError as exc:
        raise ServiceUnavailable(DATABASE_DOWN) from exc
    return [_newest(state.view, status) for status in items], total


def _newest(view: ProgressView, stored: UploadStatus) -> UploadStatus:
    held = view.get(stored.job_id)
    return held if held is not None and not is_step_back(stored, held) else stored


async def status_events(
    view: ProgressView, first: UploadStatus, keepalive_s: float
) -> AsyncIterator[str]:
    """Server-sent events: the current status, then each change, until a final state."""
    job_id = first.job_id
    version, status = view.snapshot(job_id)
    if status is None:  # let go by the view meanwhile: what the caller found
        status = first
    while status is not None:
        yield f"data: {status.model_dump_json()}\n\n"
        if status.is_final:
            return
        while not await view.wait_change(job_id, version, keepalive_s):
            yield ": keep-alive\n\n"
        version, status = view.snapshot(job_id)


async def tenant_events(view: ProgressView, tenant: str, keepalive_s: float) -> AsyncIterator[str]:
    """Server-sent events: each new status of any of the tenant's jobs, as it comes, for as
    long as the client listens (a comment first, so the client knows it is connected)."""
    queue = view.streams.subscribe(tenant)
    try:
        yield ": following the uploads of this tenant\n\n"
        while True:
            try:
                status = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield f"data: {status.model_dump_json()}\n\n"
    finally:
        view.streams.unsubscribe(tenant, queue)
