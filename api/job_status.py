"""One job's status for a tenant, and its live events; the live events of all its jobs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from api.http_errors import NotFound, ServiceUnavailable
from api.progress_view import ProgressView
from schemas.records import UploadStatus


def find_job(view: ProgressView, tenant: str, job_id: str) -> UploadStatus:
    """The tenant's job; another tenant's job is as unknown as a missing one (404)."""
    status = view.get(job_id)
    if status is None or status.tenant != tenant:
        if not view.caught_up:
            raise ServiceUnavailable("the status view is still catching up; retry shortly")
        raise NotFound(f"no upload {job_id}")
    return status


async def status_events(view: ProgressView, job_id: str, keepalive_s: float) -> AsyncIterator[str]:
    """Server-sent events: the current status, then each change, until a final state."""
    version, status = view.snapshot(job_id)
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
    queue = view.subscribe(tenant)
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
        view.unsubscribe(tenant, queue)
