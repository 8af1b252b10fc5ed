"""API, producer and worker on machines that share no disk: each process gets its own spool
folder, and the uploaded file reaches the producer through Kafka alone."""

from __future__ import annotations

import hashlib
import stat
import time
from pathlib import Path

import pytest

from api.app import create_app
from database.engine import make_engine
from database.reports import count_rows
from files.upload_record import make_upload_record, new_job_id, spool_copy
from messaging.publisher import Publisher
from messaging.upload_blobs import BlobFetcher, local_upload, submit_upload
from ops.devservers.sample_data import write_orders_csv, write_orders_xlsx
from producer.publish_job import publish_job
from schemas.dataset import DatasetRegistry
from schemas.records import UploadRecord
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.integration.test_api import running, upload
from tests.support.kafka_read import final_statuses

pytestmark = pytest.mark.integration


def on_own_spool(settings: Settings, folder: Path) -> Settings:
    return settings.model_copy(update={"spool_dir": folder})


@pytest.mark.slow
def test_an_upload_completes_when_no_process_sees_another_ones_spool(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    base = kafka_settings.model_copy(update={"api_keys": "acme:key-a"})
    api_settings = on_own_spool(base, tmp_path / "api-spool")
    producer_settings = on_own_spool(base, tmp_path / "producer-spool")
    workers = start_pipeline(
        on_own_spool(base, tmp_path / "worker-spool"), tmp_path / "w", "worker", "aggregator"
    )
    producer = None
    try:
        csv_path = write_orders_csv(tmp_path / "orders.csv", 6_000, invalid_every=200)
        xlsx_path = write_orders_xlsx(tmp_path / "orders.xlsx", 2_000)
        with running(create_app(api_settings, keepalive_s=0.5)) as client:
            answers = [upload(client, csv_path), upload(client, xlsx_path)]
        assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
        csv_job, xlsx_job = (a.json()["job_id"] for a in answers)

        # the producer starts only now: the uploads wait in Kafka, file bytes included
        producer = start_pipeline(producer_settings, tmp_path / "p", "producer")
        statuses = final_statuses(base, [csv_job, xlsx_job], timeout_s=180)
    finally:
        if producer is not None:
            producer.stop()
        workers.stop()

    csv_status, xlsx_status = statuses[csv_job], statuses[xlsx_job]
    assert (csv_status.state, csv_status.rows_ok, csv_status.rows_failed) == (
        "completed_with_errors",
        5_970,
        30,
    )
    assert (xlsx_status.state, xlsx_status.rows_ok, xlsx_status.rows_failed) == (
        "completed",
        2_000,
        0,
    )
    orders = DatasetRegistry(base.datasets_dir).get("orders")
    assert count_rows(make_engine(base.db_url), orders, csv_job) == 5_970
    # the producer parsed its own copy (fetched and checked against the upload's sha256) and
    # let it go once its seal was delivered; what a re-parse needs stays, owner-only (a
    # tenant's data); the workers' spool stayed empty
    fetched = tmp_path / "producer-spool" / f"{csv_job}.csv"
    assert not fetched.exists()
    for path in (Path(f"{fetched}.upload.json"), Path(f"{fetched}.plan.json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not list((tmp_path / "worker-spool").glob("*"))


def submitted(settings: Settings, path: Path) -> UploadRecord:
    job_id = new_job_id()
    spooled = spool_copy(settings, path, job_id)
    record = make_upload_record(
        settings, spooled, job_id=job_id, tenant="acme", dataset="orders", filename=path.name
    )
    with Publisher(settings) as publisher:
        return submit_upload(publisher, settings, record)


def parse_elsewhere(settings: Settings, upload: UploadRecord, spool: Path) -> tuple[bool, str]:
    elsewhere = on_own_spool(settings, spool)
    with Publisher(elsewhere) as publisher:
        outcome = publish_job(upload, elsewhere, publisher, DatasetRegistry(settings.datasets_dir))
    return outcome.sealed, outcome.reason or ""


def test_a_file_gone_from_kafka_or_damaged_fails_its_job_with_the_reason(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    source = write_orders_csv(tmp_path / "o.csv", 2_500)
    upload_record = submitted(kafka_settings, source)
    assert upload_record.blob is not None and upload_record.blob.parts >= 1
    assert upload_record.blob.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()

    assert parse_elsewhere(kafka_settings, upload_record, tmp_path / "a") == (True, "")

    blob = upload_record.blob
    gone = upload_record.model_copy(
        update={"blob": blob.model_copy(update={"first_offset": 10**6, "last_offset": 10**6})}
    )
    sealed, reason = parse_elsewhere(kafka_settings, gone, tmp_path / "b")
    assert not sealed and "the uploaded file is gone from Kafka" in reason
    assert not list((tmp_path / "b").glob("*.csv")), "no half-fetched file stays behind"

    damaged = upload_record.model_copy(
        update={"blob": blob.model_copy(update={"sha256": "0" * 64})}
    )
    sealed, reason = parse_elsewhere(kafka_settings, damaged, tmp_path / "c")
    assert not sealed and "the uploaded file is damaged" in reason


def test_a_producer_elsewhere_has_the_file_in_a_fraction_of_a_second(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    """Waits of a second had held every fetch: consume() waits for all the records it asks
    for, or for its timeout, and the fetch asked for eight whatever the upload's size, so
    the last part of every upload waited out the timeout (a producer on another machine than
    the API lost a second per upload before parsing); once eight parts filled the
    read-ahead, librdkafka fetched again only a second later; and the consumer a producer
    keeps for its fetches held the next file up by its last long poll (half a second)."""
    # 130 KB, and 33 MB: its read-ahead fills (whether it stalls depends on timing: thrice);
    # a new consumer's connection may take a while on a busy machine, a kept one's may not
    # (the kept fetcher connects on its first fetch: that one is a new consumer's too)
    with BlobFetcher(kafka_settings) as kept:
        connected = False
        for rows, parts in ((2_000, 1), (450_000, 32)):
            source = write_orders_csv(tmp_path / f"{rows}.csv", rows)
            upload_record = submitted(kafka_settings, source)
            assert upload_record.blob is not None and upload_record.blob.parts == parts
            for n, fetcher in enumerate((None, kept, kept)):
                elsewhere = on_own_spool(kafka_settings, tmp_path / f"spool-{rows}-{n}")
                started = time.monotonic()
                fetched = local_upload(upload_record, elsewhere, fetcher)
                took = time.monotonic() - started
                assert Path(fetched.spool_path).read_bytes() == source.read_bytes()
                within_s = 0.4 if connected and fetcher is kept and parts == 1 else 0.8
                connected = connected or fetcher is kept
                assert took < within_s, f"fetch {n} of a {parts}-part upload took {took:.2f} s"
