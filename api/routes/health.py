"""Liveness, readiness and metrics: no auth."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from api.deps import StateDep
from api.models import HealthBody, ReadyBody, body_openapi

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthBody)
async def healthz() -> HealthBody:
    return HealthBody(status="ok")


@router.get("/readyz", response_model=ReadyBody, responses={503: {"model": ReadyBody}})
async def readyz(state: StateDep) -> ReadyBody | JSONResponse:
    view = state.view
    missing = []
    if not view.broker_ok:
        detail = f": {view.last_error}" if view.last_error else ""
        missing.append(f"the Kafka broker has not answered{detail}")
    elif not view.caught_up:
        missing.append("the progress view is still catching up")
    if missing:
        body = ReadyBody(status="not ready", missing=missing)
        return JSONResponse(body.model_dump(), status_code=503)
    return ReadyBody(status="ready")


@router.get(
    "/metrics",
    response_class=Response,
    responses=body_openapi(CONTENT_TYPE_LATEST, "Prometheus text format"),
)
async def metrics(state: StateDep) -> Response:
    await run_in_threadpool(state.stats.refresh_lag)
    try:
        await run_in_threadpool(state.refresh_sizes)
    except SQLAlchemyError as exc:  # the sizes wait; the rest of the metrics answer
        log.warning("metrics: bookkeeping sizes unavailable: %s", exc)
    body = state.metrics.render(state.view.counts_by_state)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
