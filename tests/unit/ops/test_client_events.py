"""ApiClient.events ends at its timeout even while the server keeps the stream alive."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from ops.client import ApiClient


class _KeepAliveOnly(httpx.SyncByteStream):
    """An event stream of a job that never moves: keep-alive comments, for ever."""

    def __iter__(self) -> Iterator[bytes]:
        while True:
            time.sleep(0.02)
            yield b": keep-alive\n\n"


@pytest.mark.timeout(15)
def test_a_stream_of_keep_alives_ends_at_the_timeout() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/uploads/job-1/events"
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_KeepAliveOnly()
        )

    client = ApiClient("http://api.test", "key")
    client._http = httpx.Client(base_url="http://api.test", transport=httpx.MockTransport(answer))
    began = time.monotonic()
    try:
        assert list(client.events("job-1", timeout_s=0.3)) == []
    finally:
        client.close()
    assert time.monotonic() - began < 3
