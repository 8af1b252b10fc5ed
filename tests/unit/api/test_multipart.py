"""The streaming multipart parser behind POST /v1/uploads, on a bare ASGI app (no broker).

Every malformed body answers 400 with a JSON ``detail`` and leaves no file in the spool
(issue 17 item 3: a 300-character boundary used to answer 500 with a traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.http_errors import install_error_handlers
from api.multipart import spool_multipart

MAX_BYTES = 10_000
CSV = b"order_id,customer_email\r\n1,a@example.com\r\n"


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    folder = tmp_path / "spool"
    folder.mkdir()
    return folder


@pytest.fixture
def client(spool: Path) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, object]:
        form = await spool_multipart(request, lambda name: spool / f"job-{name}", MAX_BYTES)
        assert form.path is not None
        return {
            "fields": form.fields,
            "filename": form.filename,
            "body": form.path.read_bytes().decode(),
        }

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def multipart_body(boundary: str, file_bytes: bytes = CSV) -> bytes:
    b = boundary.encode()
    return (
        b"--" + b + b"\r\n"
        b'Content-Disposition: form-data; name="dataset"\r\n\r\n'
        b"orders\r\n"
        b"--" + b + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="orders.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + file_bytes + b"\r\n"
        b"--" + b + b"--\r\n"
    )


def post(client: TestClient, body: bytes, content_type: str) -> tuple[int, dict[str, object]]:
    answer = client.post("/upload", content=body, headers={"Content-Type": content_type})
    assert answer.headers["content-type"] == "application/json", answer.text
    return answer.status_code, answer.json()


def test_a_well_formed_body_lands_in_the_spool(client: TestClient, spool: Path) -> None:
    boundary = "b" * 70
    status, body = post(
        client, multipart_body(boundary), f"multipart/form-data; boundary={boundary}"
    )
    assert status == 200, body
    assert body == {"fields": {"dataset": "orders"}, "filename": "orders.csv", "body": CSV.decode()}
    assert [p.name for p in spool.iterdir()] == ["job-orders.csv"]


def test_a_300_character_boundary_is_400(client: TestClient, spool: Path) -> None:
    boundary = "x" * 300
    status, body = post(
        client, multipart_body(boundary), f"multipart/form-data; boundary={boundary}"
    )
    assert status == 400
    assert body["detail"] == (
        "the multipart boundary is not usable: Boundary length 300 exceeds maximum of 256"
    )
    assert not any(spool.iterdir())


def test_a_missing_boundary_is_400(client: TestClient) -> None:
    status, body = post(client, multipart_body("abc"), "multipart/form-data")
    assert status == 400
    assert body == {"detail": "the multipart/form-data content type has no boundary"}


def test_another_content_type_is_still_415(client: TestClient) -> None:
    status, body = post(client, b"dataset=orders", "application/x-www-form-urlencoded")
    assert status == 415
    assert body == {"detail": "the request must be multipart/form-data with a boundary"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not multipart at all", id="no-opening-boundary"),
        pytest.param(
            b"--abc\r\nContent Disposition: form-data\r\n\r\nv\r\n--abc--\r\n",
            id="space-in-header-name",
        ),
        pytest.param(b"--abc\r\n: form-data\r\n\r\nv\r\n--abc--\r\n", id="empty-header-name"),
    ],
)
def test_bad_headers_are_400(client: TestClient, spool: Path, body: bytes) -> None:
    status, answer = post(client, body, "multipart/form-data; boundary=abc")
    assert status == 400
    assert str(answer["detail"]).startswith("the multipart body is malformed: ")
    assert not any(spool.iterdir())


ENDED_EARLY = "the multipart body ended before its closing boundary"
ENDED_IN_PART = "the multipart body ended in the middle of a part"


def cut_in_the_file(whole: bytes) -> bytes:
    return whole[: whole.index(CSV) + len(CSV) // 2]


def cut_before_the_closing_dashes(whole: bytes) -> bytes:
    # "\r\n--abc" could still be file bytes until the next two arrive: the part is open
    return whole[: whole.rindex(b"--\r\n")]


def cut_after_the_first_part(whole: bytes) -> bytes:
    return whole[: whole.index(b"--abc", 1) + len(b"--abc\r\n")]


@pytest.mark.parametrize(
    ("truncate", "detail"),
    [
        (lambda whole: b"", ENDED_EARLY),
        (lambda whole: whole[:30], ENDED_EARLY),  # inside the first part's headers
        (cut_after_the_first_part, ENDED_EARLY),
        (cut_in_the_file, ENDED_IN_PART),
        (cut_before_the_closing_dashes, ENDED_IN_PART),
    ],
    ids=["empty", "in-the-headers", "after-a-part", "in-the-file", "before-the-closing-dashes"],
)
def test_a_truncated_body_is_400(
    client: TestClient, spool: Path, truncate: Callable[[bytes], bytes], detail: str
) -> None:
    body = truncate(multipart_body("abc"))
    status, answer = post(client, body, "multipart/form-data; boundary=abc")
    assert status == 400
    assert answer == {"detail": detail}
    assert not any(spool.iterdir())
