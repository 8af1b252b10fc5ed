"""Stream a multipart/form-data request straight to the spool.

The request body is parsed as it arrives (python-multipart's push parser): the one file part
goes to its spool file in 1 MiB writes made in a worker thread, small text fields are kept,
and the size limit is enforced as bytes arrive, so neither memory nor a temporary copy ever
holds the whole file. Any failure removes the partial file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import anyio
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartState, parse_options_header
from starlette.requests import Request

from api.http_errors import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from files.private import open_private

WRITE_BYTES = 1 << 20
MAX_FIELDS = 16
MAX_FIELD_BYTES = 4096


@dataclass
class SpooledForm:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    path: Path | None = None
    size: int = 0
    sha256: str = ""  # of the file's bytes, taken as they stream in (Idempotency-Key fingerprint)


def client_filename(raw: str) -> str:
    """The base name a client sent, without any directory part."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:255] or "upload"


def safe_filename(name: str) -> str:
    """A name fit for the spool's file suffix."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class _Collector:
    """python-multipart callbacks, turned into a list of events to handle asynchronously."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._name = b""
        self._value = b""

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._headers = []

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers.append((self._name.lower(), self._value))
        self._name, self._value = b"", b""

    def on_headers_finished(self) -> None:
        self.events.append(("headers", dict(self._headers)))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", bytes(data[start:end])))

    def on_part_end(self) -> None:
        self.events.append(("end", None))


class _Spooler:
    def __init__(self, target_for: Callable[[str], Path], max_bytes: int, file_field: str):
        self.form = SpooledForm()
        self.target_for = target_for
        self.max_bytes = max_bytes
        self.file_field = file_field
        self.part: str | None = None  # "file" | "field" | None
        self.field_name = ""
        self.field_data = bytearray()
        self.buffer = bytearray()
        self.handle: IO[bytes] | None = None
        self.hasher = hashlib.sha256()
        self.ended = True

    async def feed(self, kind: str, payload: Any) -> None:
        if kind == "headers":
            await self._begin(payload)
        elif kind == "data":
            await self._data(payload)
        else:
            await self._end()

    async def _begin(self, headers: dict[bytes, bytes]) -> None:
        self.ended = False
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if self.form.path is not None:
                raise Unprocessable("send exactly one file per upload")
            if name != self.file_field:
                raise Unprocessable(f"send the file in the form field {self.file_field!r}")
            filename = client_filename(options[b"filename"].decode("utf-8", "replace"))
            target = self.target_for(safe_filename(filename))
            self.form.filename, self.form.path = filename, target
            self.handle = await anyio.to_thread.run_sync(open_private, target)
            self.part = "file"
        else:
            if len(self.form.fields) >= MAX_FIELDS:
                raise Unprocessable(f"too many form fields (at most {MAX_FIELDS})")
            self.part, self.field_name, self.field_data = "field", name, bytearray()

    async def _data(self, data: bytes) -> None:
        if self.part == "file":
            self.form.size += len(data)
            if self.form.size > self.max_bytes:
                raise PayloadTooLarge(
                    f"the file is larger than the limit of {self.max_bytes} bytes"
                )
            self.buffer += data
            self.hasher.update(data)
            if len(self.buffer) >= WRITE_BYTES:
                await self._flush()
        elif self.part == "field":
            self.field_data += data
            if len(self.field_data) > MAX_FIELD_BYTES:
                raise Unprocessable(f"the form field {self.field_name!r} is too long")

    async def _end(self) -> None:
        if self.part == "file":
            await self._flush()
            await self._close()
            self.form.sha256 = self.hasher.hexdigest()
        elif self.part == "field":
            try:
                self.form.fields[self.field_name] = self.field_data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Unprocessable(f"the form field {self.field_name!r} is not UTF-8") from exc
        self.part, self.ended = None, True

    async def _flush(self) -> None:
        if self.buffer and self.handle is not None:
            data, self.buffer = bytes(self.buffer), bytearray()
            await anyio.to_thread.run_sync(self.handle.write, data)

    async def _close(self) -> None:
        if self.handle is not None:
            handle, self.handle = self.handle, None
            await anyio.to_thread.run_sync(handle.close)

    async def discard(self) -> None:
        await self._close()
        path = self.form.path
        if path is not None:
            await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))


async def spool_multipart(
    request: Request,
    target_for: Callable[[str], Path],
    max_bytes: int,
    file_field: str = "file",
) -> SpooledForm:
    """Parse the request body as it streams in; the file lands at ``target_for(name)``."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data":
        raise UnsupportedMediaType("the request must be multipart/form-data with a boundary")
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadRequest("the multipart/form-data content type has no boundary")
    collector = _Collector()
    spooler = _Spooler(target_for, max_bytes, file_field)
    try:  # the parser refuses some boundaries (e.g. over 256 bytes) when it is built
        parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    except FormParserError as exc:
        raise BadRequest(f"the multipart boundary is not usable: {exc}") from exc
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except FormParserError as exc:
                raise BadRequest(f"the multipart body is malformed: {exc}") from exc
            events, collector.events = collector.events, []
            for kind, payload in events:
                await spooler.feed(kind, payload)
        parser.finalize()
        # finalize() does not check that the closing boundary came; a cut body stops short
        if not spooler.ended:
            raise BadRequest("the multipart body ended in the middle of a part")
        if parser.state != MultipartState.END:
            raise BadRequest("the multipart body ended before its closing boundary")
    except BaseException:
        with anyio.CancelScope(shield=True):
            await spooler.discard()
        raise
    return spooler.form
