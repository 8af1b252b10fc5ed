"""``/docs`` (Swagger UI) and ``/redoc`` served with their assets from the package, so the
API's documentation works on a machine without internet access. The assets are those
vendored by the ``fastapi-offline`` package (see pyproject.toml for its pinned version)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS_PATH = "/docs-assets"

router = APIRouter(include_in_schema=False)


def _urls(request: Request) -> tuple[str, str]:
    """The OpenAPI document's URL and the assets' base, under any proxy root path."""
    root = request.scope.get("root_path", "")
    return f"{root}{request.app.openapi_url}", f"{root}{DOCS_ASSETS_PATH}"


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    openapi_url, assets = _urls(request)
    return get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    openapi_url, assets = _urls(request)
    return get_redoc_html(
        openapi_url=openapi_url,
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{assets}/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/favicon.png",
        with_google_fonts=False,
    )


def docs_assets() -> StaticFiles:
    """Swagger UI's and ReDoc's JavaScript and CSS, to mount at ``DOCS_ASSETS_PATH``."""
    return StaticFiles(packages=[("fastapi_offline", "static")])
