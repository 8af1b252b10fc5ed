"""The spool's file names: one Spool builds them for the API, the CLI, the producer and
replay, so each finds what another wrote."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from files.spool import Spool
from files.upload_record import make_upload_record, spool_copy
from ops.errors import OpsError
from ops.reparse import find_upload
from producer.publish_job import chunk_rows_for
from schemas.records import UploadRecord
from schemas.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(spool_dir=tmp_path / "spool")


def test_an_upload_is_named_by_its_job_and_the_client_extension(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert spool.upload_path("job1", "Orders March.final.XLSX") == spool.folder / "job1.XLSX"
    assert spool.folder.is_dir()
    assert spool.upload_path("job2", "orders") == spool.folder / "job2"
    long = spool.upload_path("job3", "orders.averyveryverylongextension")
    assert long.name == "job3.averyvery"


def test_side_files_sit_beside_the_upload(tmp_path: Path) -> None:
    upload = tmp_path / "spool" / "job1.csv"
    assert Spool.upload_record_path(upload) == tmp_path / "spool" / "job1.csv.upload.json"
    assert Spool.chunk_plan_path(str(upload)) == tmp_path / "spool" / "job1.csv.plan.json"


def test_discard_removes_the_upload_and_its_side_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    upload = spool.upload_path("job1", "orders.csv")
    for path in (upload, Spool.upload_record_path(upload), Spool.chunk_plan_path(upload)):
        path.write_text("x")
    other = spool.upload_path("job2", "orders.csv")
    other.write_text("kept")
    Spool.discard(upload)
    assert sorted(p.name for p in spool.folder.iterdir()) == ["job2.csv"]
    Spool.discard(upload)  # already gone: nothing to do


def test_the_cli_copy_is_found_by_replay(tmp_path: Path, settings: Settings) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("order_id,customer_email,ordered_at\n1,a@example.com,2024-01-01\n")
    spooled = spool_copy(settings, source, "job1")
    assert spooled == settings.spool_path / "job1.csv"
    assert spooled.read_bytes() == source.read_bytes()
    upload = make_upload_record(
        settings, spooled, job_id="job1", tenant="t", dataset="orders", filename="orders.csv"
    )
    Spool.upload_record_path(spooled).write_text(upload.model_dump_json())
    assert find_upload(settings, "job1") == upload
    with pytest.raises(OpsError, match="no upload record for job job2"):
        find_upload(settings, "job2")


def test_the_chunk_plan_is_written_where_the_spool_says(tmp_path: Path) -> None:
    upload_file = tmp_path / "job1.csv"
    upload = UploadRecord(
        job_id="job1",
        tenant="t",
        dataset="orders",
        filename="orders.csv",
        spool_path=str(upload_file),
        size_bytes=1_000,
        estimated_rows=10,
        tier="low",
        submitted_at=datetime.now(UTC),
    )
    rows = chunk_rows_for(upload, Settings(), lag_chunks=0)
    plan = json.loads(Spool.chunk_plan_path(upload_file).read_text())
    assert plan["chunk_rows"] == rows
