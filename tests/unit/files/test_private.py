"""Tenants' files are owner-only on disk, whatever the umask: the spool folder 0700, the
spooled upload, its record copy and chunk plan 0600, the SQLite database and its WAL 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.multipart import spool_multipart
from database.engine import make_engine
from database.migrations import ensure_schema
from files.spool import Spool
from files.upload_record import make_upload_record, spool_copy
from producer.publish_job import chunk_rows_for
from schemas.settings import Settings, load_settings
from tests.unit.api.test_multipart import multipart_body


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the common default, which gave 0644 files and 0755 folders
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", datasets_dir=Path("datasets"))


def test_a_spooled_copy_and_its_plan_are_owner_only(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("order_id,customer_email\n1,a@example.com\n")
    spooled = spool_copy(settings, source, "job1")
    assert spooled.read_text() == source.read_text()
    assert mode(settings.spool_path) == 0o700
    assert mode(spooled) == 0o600

    upload = make_upload_record(
        settings, spooled, job_id="job1", tenant="acme", dataset="orders", filename="orders.csv"
    )
    chunk_rows_for(upload, settings, lag_chunks=0)
    assert mode(Path(f"{spooled}.plan.json")) == 0o600


def test_an_existing_world_readable_spool_folder_is_closed(settings: Settings) -> None:
    settings.spool_path.mkdir(parents=True, mode=0o755)
    Spool.of(settings).upload_path("job2", "orders.csv")
    assert mode(settings.spool_path) == 0o700


def test_an_upload_streamed_over_http_is_owner_only(settings: Settings) -> None:
    app = FastAPI()

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, str]:
        form = await spool_multipart(
            request, lambda name: Spool.of(settings).upload_path("job3", name), 1024 * 1024
        )
        return {"path": str(form.path)}

    boundary = "b" * 20
    with TestClient(app) as client:
        content_type = f"multipart/form-data; boundary={boundary}"
        answer = client.post(
            "/upload", content=multipart_body(boundary), headers={"Content-Type": content_type}
        )
    spooled = Path(answer.json()["path"])
    assert spooled.read_bytes().startswith(b"order_id")
    assert mode(spooled) == 0o600 and mode(spooled.parent) == 0o700


def test_the_sqlite_database_and_its_wal_are_owner_only(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
        db = settings.home / "bulkflow.db"
        files = [db, *(Path(f"{db}{suffix}") for suffix in ("-wal", "-shm"))]
        assert {p.name: mode(p) for p in files if p.exists()} == {
            p.name: 0o600 for p in files if p.exists()
        }
        assert Path(f"{db}-wal").exists()
    engine.dispose()
