"""The HTTP API against a real broker: auth, uploads, status, events, errors, restarts.

No faust workers run here: the tests check what the API itself does, and play the
aggregator's part by producing statuses onto the progress topic themselves.
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from confluent_kafka import Consumer, Producer
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.idempotency import utc_now
from database.engine import make_engine
from database.migrations import ensure_schema
from messaging.clients import consumer_config, producer_config
from messaging.names import topic_names
from ops.devservers.sample_data import write_orders_csv, write_orders_xlsx
from schemas.dataset import DatasetRegistry
from schemas.records import RowError, UploadRecord, UploadStatus
from schemas.settings import Settings
from tests.support.chunk_store import save_validated
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

A = {"Authorization": "Bearer key-a"}
B = {"Authorization": "Bearer key-b"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.fixture
def api_settings(kafka_settings: Settings) -> Settings:
    return kafka_settings.model_copy(update={"api_keys": "acme:key-a,globex:key-b"})


@contextmanager
def running(app: FastAPI) -> Iterator[TestClient]:
    """The app with its lifespan, once its progress view has caught up."""
    with TestClient(app) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, "the API to be ready", 30)
        yield client


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    with running(create_app(api_settings, keepalive_s=0.3)) as test_client:
        yield test_client


def upload(
    client: TestClient,
    path: Path,
    dataset: str = "orders",
    headers: dict[str, str] | None = None,
    name: str | None = None,
) -> Any:
    with path.open("rb") as f:
        return client.post(
            "/v1/uploads",
            files={"file": (name or path.name, f)},
            data={"dataset": dataset},
            headers=A if headers is None else headers,
        )


def produce_status(settings: Settings, status: UploadStatus | bytes) -> None:
    """Play the aggregator's part. Same partitioner as every bulkflow producer, so a job's
    statuses share a partition and the newest one wins on a replay."""
    producer = Producer(producer_config(settings))
    value = status if isinstance(status, bytes) else status.model_dump_json().encode()
    key = b"garbage" if isinstance(status, bytes) else status.job_id.encode()
    producer.produce(topic_names(settings).progress, key=key, value=value)
    assert producer.flush(10) == 0


def consume_uploads(settings: Settings, tier: str, count: int) -> list[UploadRecord]:
    group = f"{settings.topic_prefix}-test-{tier}"
    consumer = Consumer(
        consumer_config(settings, group, offsets_reset="earliest", auto_commit=True)
    )
    consumer.subscribe([topic_names(settings).uploads(tier)])  # type: ignore[arg-type]
    got: list[UploadRecord] = []

    def enough() -> bool:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            record = UploadRecord.model_validate_json(msg.value() or b"")
            assert msg.key() == record.job_id.encode()
            got.append(record)
        return len(got) >= count

    try:
        wait_until(enough, f"{count} upload records on uploads.{tier}", 20, every_s=0)
    finally:
        consumer.close()
    return got


def test_auth_is_required(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic a2V5LWE="}):
        answer = client.get("/v1/uploads", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert isinstance(answer.json()["detail"], str)
    assert client.post("/v1/uploads", files={"file": ("a.csv", b"x")}).status_code == 401
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/v1/uploads", headers=A).json()["total"] == 0
    assert client.get("/v1/datasets", headers=A).json()["datasets"][0]["name"] == "orders"
    assert client.get("/v1/datasets/orders", headers=B).json()["key"] == ["order_id"]
    assert client.get("/v1/datasets/nope", headers=B).status_code == 404


def test_csv_upload_is_queued_and_published(
    client: TestClient, api_settings: Settings, tmp_path: Path
) -> None:
    path = write_orders_csv(tmp_path / "orders.csv", 10)
    answer = upload(client, path)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    job_id = body["job_id"]
    assert body == {
        "job_id": job_id,
        "tier": "high",
        "state": "queued",
        "status_url": f"/v1/uploads/{job_id}",
        "events_url": f"/v1/uploads/{job_id}/events",
        "errors_url": f"/v1/uploads/{job_id}/errors",
        "replayed": False,
    }
    assert answer.headers["location"] == body["status_url"]

    status = client.get(body["status_url"], headers=A).json()
    assert status["state"] == "queued"
    assert (status["tenant"], status["dataset"], status["filename"]) == (
        "acme",
        "orders",
        path.name,
    )

    (record,) = consume_uploads(api_settings, "high", 1)
    assert (record.job_id, record.tenant, record.tier) == (job_id, "acme", "high")
    assert record.estimated_rows == 10
    assert record.file_format == "csv"
    assert Path(record.spool_path).read_bytes() == path.read_bytes()
    # and the file itself is on Kafka for producers that do not share the API's disk
    assert record.blob is not None and record.blob.size_bytes == path.stat().st_size


def test_tier_follows_the_row_estimate(api_settings: Settings, tmp_path: Path) -> None:
    limits = {"tier_high_max_rows": 100, "tier_medium_max_rows": 1000}
    settings = api_settings.model_copy(update=limits)
    files = {  # the XLSX estimate (sheet XML size, no declared dimension) errs high
        "high": write_orders_xlsx(tmp_path / "small.xlsx", 5),
        "medium": write_orders_csv(tmp_path / "mid.csv", 400),
        "low": write_orders_xlsx(tmp_path / "big.xlsx", 1000),
    }
    with running(create_app(settings)) as client:
        for tier, path in files.items():
            answer = upload(client, path)
            assert answer.status_code == 202, answer.text
            assert answer.json()["tier"] == tier
            (record,) = consume_uploads(settings, tier, 1)
            assert record.job_id == answer.json()["job_id"]
            assert record.file_format == path.suffix[1:]
            assert settings.tier_for_rows(record.estimated_rows) == tier
            status = client.get(f"/v1/uploads/{record.job_id}", headers=A).json()
            assert (status["state"], status["tier"]) == ("queued", tier)


def test_another_tenants_job_is_not_found(client: TestClient, tmp_path: Path) -> None:
    job_id = upload(client, write_orders_csv(tmp_path / "a.csv", 3)).json()["job_id"]
    for suffix in ("", "/events", "/errors"):
        answer = client.get(f"/v1/uploads/{job_id}{suffix}", headers=B)
        assert answer.status_code == 404
        assert answer.json() == {"detail": f"no upload {job_id}"}
    assert client.get("/v1/uploads", headers=B).json()["total"] == 0
    assert client.get(f"/v1/uploads/{job_id}", headers=A).status_code == 200


def test_too_large_is_413_and_leaves_no_file(api_settings: Settings, tmp_path: Path) -> None:
    settings = api_settings.model_copy(update={"max_upload_bytes": 2000})
    small = write_orders_csv(tmp_path / "small.csv", 3)
    medium = write_orders_csv(tmp_path / "medium.csv", 200)  # over the limit while streaming
    huge = write_orders_csv(tmp_path / "huge.csv", 2000)  # over it by Content-Length already
    with running(create_app(settings)) as client:
        for path in (medium, huge):
            answer = upload(client, path)
            assert answer.status_code == 413, answer.text
            assert "limit of 2000 bytes" in answer.json()["detail"]
        assert not any(settings.spool_path.glob("*"))
        answer = upload(client, small)
        assert answer.status_code == 202
        assert list(settings.spool_path.glob(f"{answer.json()['job_id']}.csv"))


def test_unsupported_content_is_415(client: TestClient, tmp_path: Path) -> None:
    png = tmp_path / "image.csv"
    png.write_bytes(PNG)
    fake = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    for path in (png, fake):
        answer = upload(client, path)
        assert answer.status_code == 415, answer.text
        assert answer.json()["detail"].startswith("not a supported file")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    answer = upload(client, empty)
    assert answer.status_code == 422
    assert answer.json() == {"detail": "the file is empty"}
    assert client.get("/v1/uploads", headers=A).json()["total"] == 0


def test_malformed_multipart_is_400(client: TestClient, api_settings: Settings) -> None:
    long_boundary = "x" * 300  # issue 17 item 3: this answered 500 with a traceback
    part = b'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\norder_id\r\n1\r\n'
    cases = [
        (long_boundary, b"--" + long_boundary.encode() + b"\r\n" + part),
        (None, b"--abc\r\n" + part + b"--abc--\r\n"),  # no boundary in the content type
        ("abc", b"--abc\r\nno colon here\r\n\r\n1\r\n--abc--\r\n"),  # a bad part header
        ("abc", b"--abc\r\n" + part),  # cut before its closing boundary
    ]
    for boundary, body in cases:
        ctype = "multipart/form-data" + (f"; boundary={boundary}" if boundary else "")
        answer = client.post("/v1/uploads", content=body, headers={**A, "Content-Type": ctype})
        assert answer.status_code == 400, answer.text
        assert "multipart" in answer.json()["detail"]
    assert not any(api_settings.spool_path.glob("*"))
    assert client.get("/v1/uploads", headers=A).json()["total"] == 0


def test_unknown_dataset_is_422(client: TestClient, api_settings: Settings, tmp_path: Path) -> None:
    answer = upload(client, write_orders_csv(tmp_path / "a.csv", 3), dataset="invoices")
    assert answer.status_code == 422
    assert "unknown dataset 'invoices'" in answer.json()["detail"]
    assert "orders" in answer.json()["detail"]
    answer = client.post("/v1/uploads", data={"dataset": "orders"}, headers=A)
    assert answer.status_code in (415, 422)
    assert not any(api_settings.spool_path.glob("*"))


def test_idempotency_key_gives_the_same_job(api_settings: Settings, tmp_path: Path) -> None:
    path = write_orders_csv(tmp_path / "a.csv", 3)
    other_file = write_orders_csv(tmp_path / "b.csv", 4)

    def post(
        client: TestClient,
        key: str,
        auth: dict[str, str],
        file: Path = path,
        fields: dict[str, str] | None = None,
    ) -> Any:
        with file.open("rb") as f:
            return client.post(
                "/v1/uploads",
                files={"file": (file.name, f)},
                data=fields or {"dataset": "orders"},
                headers={**auth, "Idempotency-Key": key},
            )

    def same_job(answer: Any, first: Any) -> bool:
        body = answer.json()
        return body["job_id"] == first.json()["job_id"] and body["replayed"] is True

    with running(create_app(api_settings)) as client:
        first = post(client, "k-1", A)
        again = post(client, "k-1", A)
        assert first.status_code == again.status_code == 202
        assert first.json()["replayed"] is False and same_job(again, first)
        other = post(client, "k-1", B)  # keys belong to a tenant
        assert other.json()["job_id"] != first.json()["job_id"]
        assert post(client, "k-2", A).json()["job_id"] != first.json()["job_id"]
        assert client.get("/v1/uploads", headers=A).json()["total"] == 2
        # the same key with another file, or another sheet, is a different request: 422
        for answer in (
            post(client, "k-1", A, file=other_file),
            post(client, "k-1", A, fields={"dataset": "orders", "sheet": "Other"}),
        ):
            assert answer.status_code == 422, answer.text
            assert "already used for a different upload" in answer.json()["detail"]
        assert client.get("/v1/uploads", headers=A).json()["total"] == 2
        # the refused files are gone: one spooled file per accepted upload, none of them b.csv
        # (spooled files are named by job id, so a name pattern cannot tell them apart)
        spooled = list(api_settings.spool_path.glob("*.csv"))
        assert len(spooled) == 3
        assert other_file.read_bytes() not in {p.read_bytes() for p in spooled}
        # a replayed answer shows the job's current state
        status = UploadStatus.model_validate(
            client.get(f"/v1/uploads/{first.json()['job_id']}", headers=A).json()
        )
        produce_status(api_settings, status.model_copy(update={"state": "processing"}))
        wait_until(
            lambda: post(client, "k-1", A).json()["state"] == "processing",
            "processing",
            15,
            every_s=0.05,
        )
    with running(create_app(api_settings)) as client:  # a restarted API remembers
        assert same_job(post(client, "k-1", A), first)
        assert client.get("/v1/uploads", headers=A).json()["total"] == 2


def test_idempotency_keys_expire(api_settings: Settings, tmp_path: Path) -> None:
    path = write_orders_csv(tmp_path / "a.csv", 3)
    short = api_settings.model_copy(update={"idempotency_ttl_s": 60.0})

    def post(client: TestClient) -> Any:
        with path.open("rb") as f:
            return client.post(
                "/v1/uploads",
                files={"file": (path.name, f)},
                data={"dataset": "orders"},
                headers={**A, "Idempotency-Key": "k-expiring"},
            )

    with running(create_app(short)) as client:
        # the keys' clock stands still, then jumps past the TTL: however slow the machine,
        # the first two posts are within the TTL and the next two after it
        store = client.app.state.bulkflow.idempotency()  # type: ignore[attr-defined]
        now = utc_now()
        store.clock = lambda: now
        first = post(client).json()["job_id"]
        assert post(client).json()["job_id"] == first
        later = now + timedelta(seconds=61)
        store.clock = lambda: later
        fresh = post(client).json()
        assert fresh["job_id"] != first and fresh["replayed"] is False
        assert post(client).json()["job_id"] == fresh["job_id"]


def test_list_is_newest_first_and_paged(client: TestClient, tmp_path: Path) -> None:
    path = write_orders_csv(tmp_path / "a.csv", 3)
    ids = [upload(client, path).json()["job_id"] for _ in range(3)]
    page = client.get("/v1/uploads", headers=A).json()
    assert [s["job_id"] for s in page["items"]] == ids[::-1]
    assert page["total"] == 3
    page = client.get("/v1/uploads?limit=1&offset=1", headers=A).json()
    assert [s["job_id"] for s in page["items"]] == [ids[1]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert client.get("/v1/uploads?limit=0", headers=A).status_code == 422


def test_readyz_and_metrics(client: TestClient, api_settings: Settings, tmp_path: Path) -> None:
    assert client.get("/readyz").json() == {"status": "ready", "missing": []}
    job_id = upload(client, write_orders_csv(tmp_path / "a.csv", 3)).json()["job_id"]
    status = UploadStatus.model_validate(client.get(f"/v1/uploads/{job_id}", headers=A).json())
    done = status.model_copy(update={"state": "completed", "rows_ok": 2, "rows_failed": 1})
    produce_status(api_settings, done)
    wait_until(
        lambda: client.get(f"/v1/uploads/{job_id}", headers=A).json()["state"] == "completed",
        "the job completed",
        15,
        every_s=0.05,
    )
    text = client.get("/metrics").text
    assert 'uploads_total{state="queued",tier="high"} 1.0' in text
    assert 'uploads_total{state="completed",tier="high"} 1.0' in text
    assert "rows_ok_total 2.0" in text
    assert "rows_failed_total 1.0" in text
    assert "upload_size_bytes_count 1.0" in text
    assert 'jobs{state="completed"} 1.0' in text
    # the bookkeeping's sizes: the job's row is in bulkflow_job_status; its file left the
    # spool when its status came final
    assert 'bookkeeping_rows{table="bulkflow_job_status"} 1.0' in text
    assert "spool_files_released_total 1.0" in text


def save_row_errors(
    settings: Settings, job_id: str, tenant: str, chunk_no: int, errors: list[RowError]
) -> None:
    """Play the worker's part for a chunk with no valid rows: its row errors, saved."""
    engine = make_engine(settings.db_url)
    ensure_schema(engine)
    dataset = DatasetRegistry(settings.datasets_dir).get("orders")
    save_validated(
        engine,
        dataset,
        job_id=job_id,
        tenant=tenant,
        chunk_no=chunk_no,
        valid=pa.table({}),
        errors=errors,
    )
    engine.dispose()


def test_errors_csv_neutralises_formulas(
    client: TestClient, api_settings: Settings, tmp_path: Path
) -> None:
    job_id = upload(client, write_orders_csv(tmp_path / "a.csv", 3)).json()["job_id"]
    errors = [
        RowError(row=2, column="customer_email", value='=HYPERLINK("x")', message="bad, email"),
        RowError(row=3, column="amount", value="-5.00", message="must be >= 0"),
        RowError(row=4, column="notes", value="+1", message="@odd"),
        RowError(row=5, column="country", value="\tDE", message="plain"),
        RowError(row=6, column="order_id", value=None, message="required"),
    ]
    save_row_errors(api_settings, job_id, "acme", 0, errors)
    # another tenant's errors never show
    save_row_errors(
        api_settings, job_id, "globex", 1, [RowError(row=9, column="x", value="y", message="z")]
    )
    answer = client.get(f"/v1/uploads/{job_id}/errors", headers=A)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    # the last column: the locale the values were read by (none: this job names none)
    assert rows == [
        ["row", "column", "value", "message", "locale"],
        ["2", "customer_email", '\'=HYPERLINK("x")', "bad, email", "none"],
        ["3", "amount", "'-5.00", "must be >= 0", "none"],
        ["4", "notes", "'+1", "'@odd", "none"],
        ["5", "country", "'\tDE", "plain", "none"],
        ["6", "order_id", "", "required", "none"],
    ]


def test_errors_json_gives_the_first_errors_of_the_tenant(
    client: TestClient, api_settings: Settings, tmp_path: Path
) -> None:
    job_id = upload(client, write_orders_csv(tmp_path / "a.csv", 3)).json()["job_id"]
    errors = [
        RowError(row=r, column="amount", value=f"-{r}", message="must be at least 0")
        for r in range(2, 7)
    ]
    save_row_errors(api_settings, job_id, "acme", 0, errors)

    first = client.get(f"/v1/uploads/{job_id}/errors.json?limit=3", headers=A)
    assert first.status_code == 200
    assert first.json() == {
        "items": [e.model_dump() for e in errors[:3]],
        "limit": 3,
        "offset": 0,
        "more": True,
    }
    # the next page: where the first one ended
    rest = client.get(f"/v1/uploads/{job_id}/errors.json?limit=3&offset=3", headers=A).json()
    assert ([e["row"] for e in rest["items"]], rest["more"]) == ([5, 6], False)
    every = client.get(f"/v1/uploads/{job_id}/errors.json", headers=A).json()
    assert [e["row"] for e in every["items"]] == [2, 3, 4, 5, 6] and every["more"] is False
    assert client.get(f"/v1/uploads/{job_id}/errors.json", headers=B).status_code == 404
    assert client.get(f"/v1/uploads/{job_id}/errors.json?limit=0", headers=A).status_code == 422


def test_events_stream_until_final(
    client: TestClient, api_settings: Settings, tmp_path: Path
) -> None:
    job_id = upload(client, write_orders_csv(tmp_path / "a.csv", 3)).json()["job_id"]
    view = client.app.state.bulkflow.view  # type: ignore[attr-defined]
    queued = view.get(job_id)
    events: list[dict[str, Any]] = []
    comments = 0
    with client.stream("GET", f"/v1/uploads/{job_id}/events", headers=A) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == 1:
                    wait_until(lambda: view.waiting(job_id) == 1, "one waiter", 15, every_s=0.05)
                    time.sleep(0.5)  # long enough for a keep-alive
                    update = {"state": "processing", "rows_total": 3, "chunks_done": 1}
                    produce_status(api_settings, queued.model_copy(update=update))
                elif len(events) == 2:
                    update = {"state": "completed", "rows_ok": 3, "percent": 100.0}
                    produce_status(api_settings, queued.model_copy(update=update))
            elif line.startswith(":"):
                comments += 1
    assert [e["state"] for e in events] == ["queued", "processing", "completed"]
    assert events[2]["rows_ok"] == 3
    assert comments >= 1
    # a finished job answers its final status and ends at once
    with client.stream("GET", f"/v1/uploads/{job_id}/events", headers=A) as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("data: ")]
    assert [json.loads(line[6:])["state"] for line in lines] == ["completed"]


def test_restarted_api_rebuilds_status_from_the_topic(
    api_settings: Settings, tmp_path: Path
) -> None:
    path = write_orders_csv(tmp_path / "a.csv", 3)
    with running(create_app(api_settings)) as client:
        job_id = upload(client, path).json()["job_id"]
        second = upload(client, path).json()["job_id"]
    produce_status(api_settings, b"{not json")  # a malformed record is skipped
    with running(create_app(api_settings)) as client:
        first = client.get(f"/v1/uploads/{job_id}", headers=A).json()
        assert (first["state"], first["tenant"]) == ("queued", "acme")
        processing = UploadStatus.model_validate(first).model_copy(update={"state": "processing"})
        produce_status(api_settings, processing)
        page = client.get("/v1/uploads", headers=A).json()
        assert [s["job_id"] for s in page["items"]] == [second, job_id]
        wait_until(
            lambda: client.get(f"/v1/uploads/{job_id}", headers=A).json()["state"] == "processing",
            "the processing status",
            15,
            every_s=0.05,
        )
        assert client.app.state.bulkflow.view.skipped == 1  # type: ignore[attr-defined]
    with running(create_app(api_settings)) as client:
        assert client.get(f"/v1/uploads/{job_id}", headers=A).json()["state"] == "processing"
