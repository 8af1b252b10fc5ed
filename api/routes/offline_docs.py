"""``/docs`` (Swagger UI) and ``/redoc`` served with their assets from the package, so the
API's documentation works on a machine without internet access. The assets are those
vendored by the ``fastapi-offline`` package (see pyproject.toml for its pinned version).

ReDoc's script shows Redocly's logo from their CDN in its footer, with no option to leave it
out: the script is served with that address replaced by an empty inline image (ReDoc then
hides the logo), so no page of the API asks anything of another server."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS_PATH = "/docs-assets"
REDOC_SCRIPT_PATH = "/redoc-assets/redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"

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
        redoc_js_url=f"{request.scope.get('root_path', '')}{REDOC_SCRIPT_PATH}",
        redoc_favicon_url=f"{assets}/favicon.png",
        with_google_fonts=False,
    )


@lru_cache(maxsize=1)
def redoc_script() -> bytes:
    """ReDoc's standalone script from the package, its one CDN address made inline."""
    source = resources.files("fastapi_offline").joinpath("static", "redoc.standalone.js")
    return source.read_text(encoding="utf-8").replace(REDOC_CDN_LOGO, EMPTY_IMAGE).encode()


@router.get(REDOC_SCRIPT_PATH)
async def redoc_standalone() -> Response:
    return Response(
        redoc_script(),
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def docs_assets() -> StaticFiles:
    """Swagger UI's and ReDoc's JavaScript and CSS, to mount at ``DOCS_ASSETS_PATH``."""
    return StaticFiles(packages=[("fastapi_offline", "static")])
