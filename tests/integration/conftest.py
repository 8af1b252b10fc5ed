"""Pipeline fixtures: the real producer service, chunk worker and aggregator as processes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from files.upload_record import make_upload_record, new_job_id, spool_copy
from messaging.publisher import Publisher
from messaging.upload_blobs import submit_upload
from ops.supervisor import Supervisor, settings_env
from schemas.records import UploadRecord, utcnow
from schemas.settings import Settings
from tests.unit.ops.test_cli_messages import BULKFLOW


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_settings(request: pytest.FixtureRequest, kafka_settings: Settings) -> Settings:
    """The test's settings on SQLite, then again on PostgreSQL (a fresh database each)."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_database_url")
        return kafka_settings.model_copy(update={"database_url": url})
    return kafka_settings


def start_pipeline(settings: Settings, log_dir: Path, *components: str) -> Supervisor:
    supervisor = Supervisor(settings, log_dir, restart=False)
    for name in components or ("producer", "worker", "aggregator"):
        supervisor.add(name, name, *(["--loglevel", "warning"] if name != "producer" else []))
    supervisor.start()
    return supervisor


@contextmanager
def served_api(settings: Settings, log_dir: Path) -> Iterator[str]:
    """The API as a process (on a port only its own settings know) with the producer, worker
    and aggregator; yields the API's base URL once it is ready."""
    from ops.devservers.localhost import free_port
    from tests.support.waiting import api_ready, wait_until

    port = free_port()
    supervisor = Supervisor(settings, log_dir, restart=False)
    supervisor.add("api", "api", "--port", str(port))
    for name in ("producer", "worker", "aggregator"):
        supervisor.add(name, name, *(["--loglevel", "warning"] if name != "producer" else []))
    supervisor.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: api_ready(base), "the API to be ready", 90, every_s=0.3)
        yield base
    finally:
        supervisor.stop()


@pytest.fixture
def pipeline(db_settings: Settings, tmp_path: Path) -> Iterator[Supervisor]:
    supervisor = start_pipeline(db_settings, tmp_path / "logs")
    try:
        yield supervisor
    finally:
        supervisor.stop()


@pytest.fixture
def pipeline_sqlite(kafka_settings: Settings, tmp_path: Path) -> Iterator[Supervisor]:
    """The pipeline on SQLite only, for what does not depend on the database."""
    supervisor = start_pipeline(kafka_settings, tmp_path / "logs")
    try:
        yield supervisor
    finally:
        supervisor.stop()


def unchecked_upload(
    spooled: Path, job_id: str, dataset: str, tenant: str, filename: str
) -> UploadRecord:
    """An upload record as the API would make it, without its door checks (the dataset, the
    format and the row estimate are not looked at)."""
    return UploadRecord(
        job_id=job_id,
        tenant=tenant,
        dataset=dataset,
        filename=filename,
        spool_path=str(spooled),
        size_bytes=spooled.stat().st_size,
        estimated_rows=0,
        tier="high",
        submitted_at=utcnow(),
    )


def submit_file(
    settings: Settings,
    path: Path,
    dataset: str = "orders",
    tenant: str = "acme",
    *,
    sniff: bool = True,
) -> str:
    """What the API does with an upload: spool it, then put its record on uploads.<tier>.

    ``sniff=False`` skips the API's door checks, so the producer meets the file as it is."""
    job_id = new_job_id()
    spooled = spool_copy(settings, path, job_id)
    if sniff:
        upload = make_upload_record(
            settings, spooled, job_id=job_id, tenant=tenant, dataset=dataset, filename=path.name
        )
    else:
        upload = unchecked_upload(spooled, job_id, dataset, tenant, path.name)
    with Publisher(settings) as publisher:
        submit_upload(publisher, settings, upload)
    return job_id


def bulkflow(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`bulkflow ARGS` as an operator runs it: the real entry point next to sys.executable,
    from a folder outside the repo, with the test's settings as its environment."""
    return subprocess.run(
        [BULKFLOW, *args],
        cwd=cwd,
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=180,
    )
