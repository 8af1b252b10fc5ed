"""The FastAPI app factory. Nothing here has side effects at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.http_errors import install_error_handlers
from api.routes import (
    account,
    asyncapi,
    dataset_templates,
    datasets,
    health,
    locales,
    mapping,
    offline_docs,
    page,
    row_errors,
    upload_events,
    uploads,
)
from api.state import AppState
from schemas.settings import Settings, get_settings


def create_app(settings: Settings | None = None, *, keepalive_s: float = 15.0) -> FastAPI:
    """An app for ``settings`` (default: from the environment). Its lifespan starts the
    progress view and stops it, the publisher (built on first use) and the database engine."""
    state = AppState(settings or get_settings(), keepalive_s=keepalive_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.start()
        try:
            yield
        finally:
            await run_in_threadpool(state.stop)

    app = FastAPI(
        title="bulkflow",
        version="1.0.0",
        description="Bulk spreadsheet uploads as a Kafka streaming pipeline, with live progress.",
        lifespan=lifespan,
        # served by offline_docs instead, with assets from the package rather than a CDN
        docs_url=None,
        redoc_url=None,
    )
    app.state.bulkflow = state
    install_error_handlers(app)
    # before uploads: /v1/uploads/events must not be read as the upload with id "events"
    app.include_router(upload_events.router)
    app.include_router(uploads.router)
    app.include_router(row_errors.router)
    app.include_router(mapping.router)
    app.include_router(account.router)
    app.include_router(datasets.router)
    app.include_router(asyncapi.router)
    app.include_router(dataset_templates.router)
    app.include_router(locales.router)
    app.include_router(health.router)
    app.include_router(page.router)
    app.include_router(offline_docs.router)
    app.mount("/static", page.page_assets(), name="static")
    app.mount(offline_docs.DOCS_ASSETS_PATH, offline_docs.docs_assets(), name="docs-assets")
    return app
