"""The API's exceptions, one hierarchy under BulkflowError, and their JSON handlers.

Every error answers ``{"detail": "<message for a person>"}``.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from messaging.publisher import PublishError
from schemas.errors import BulkflowError, ParseError, ParseErrorKind

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The body of every error answer."""

    detail: str


class ApiError(BulkflowError):
    """An error the API answers with its own status code and message."""

    status_code: ClassVar[int] = 400

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class BadRequest(ApiError):
    status_code = 400


class Unauthorized(ApiError):
    status_code = 401

    def __init__(self, detail: str = "a valid API key is required (Authorization: Bearer <key>)"):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Gone(ApiError):
    status_code = 410


class PayloadTooLarge(ApiError):
    status_code = 413


class UnsupportedMediaType(ApiError):
    status_code = 415


class Unprocessable(ApiError):
    status_code = 422


class ServiceUnavailable(ApiError):
    status_code = 503


# the answer to an upload whose file cannot be read, by what is wrong with it: the file's
# content is the problem (415) unless it is a readable file that does not fit (413, 422)
PARSE_ERROR_ANSWERS: dict[ParseErrorKind, type[ApiError]] = {
    ParseErrorKind.EMPTY: Unprocessable,
    ParseErrorKind.UNSUPPORTED_FORMAT: UnsupportedMediaType,
    ParseErrorKind.UNREADABLE: UnsupportedMediaType,
    ParseErrorKind.MALFORMED: UnsupportedMediaType,
    ParseErrorKind.ENCODING: UnsupportedMediaType,
    ParseErrorKind.TOO_LARGE: PayloadTooLarge,
    ParseErrorKind.MISSING_COLUMNS: Unprocessable,
    ParseErrorKind.DUPLICATE_COLUMNS: Unprocessable,
    ParseErrorKind.NO_SUCH_SHEET: Unprocessable,
}
UNSUPPORTED_FILE = "not a supported file"


def parse_error_answer(exc: ParseError) -> ApiError:
    """The API error for a file that cannot be read; its status is chosen by ``exc.kind``.

    A 415 says the file is not supported: sniffing's UNSUPPORTED_FORMAT messages already
    start with "not a supported file", the other kinds are prefixed with it."""
    answer = PARSE_ERROR_ANSWERS[exc.kind]
    detail = str(exc)
    if answer is UnsupportedMediaType and exc.kind is not ParseErrorKind.UNSUPPORTED_FORMAT:
        detail = f"{UNSUPPORTED_FILE}: {detail}"
    return answer(detail)


def _body(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _body(exc.status_code, exc.detail, exc.headers)


async def _publish_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("Kafka refused a record: %s", exc)
    return _body(503, f"the message broker did not accept the upload: {exc}")


async def _bulkflow_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected bulkflow error: %s", exc)
    return _body(500, str(exc))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _body(exc.status_code, str(exc.detail), getattr(exc, "headers", None))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return _body(422, "; ".join(parts) or "invalid request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(PublishError, _publish_error)
    app.add_exception_handler(BulkflowError, _bulkflow_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def error_responses(*codes: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses=`` for the given error codes, all with ErrorBody."""
    return {code: {"model": ErrorBody} for code in codes}
