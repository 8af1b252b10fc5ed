"""What keeps a months-long run bounded, checked end to end on the real pipeline: the spool
lets a file go at its job's seal, an old job's status comes from the database once no
process holds it, `bulkflow gc` removes what is past its retention, and a replay or a
re-parse after it still writes nothing twice and counts nothing twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.app import create_app
from database.engine import make_engine
from database.migrations import ensure_schema
from database.reports import count_rows, ledger_counts
from files.spool_sweep import scan
from ops.devservers.sample_data import write_orders_csv
from schemas.dataset import DatasetRegistry
from schemas.records import UploadStatus, utcnow
from schemas.settings import Settings, packaged_datasets_dir
from tests.integration.conftest import bulkflow, start_pipeline
from tests.integration.test_api import A, running, upload
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _short_lived(kafka_settings: Settings, tmp_path: Path) -> Settings:
    """Settings under which everything that may go goes at once: row errors after ~1 s, the
    aggregator and the API forget a finished job at once, the API reads no history."""
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    orders = (packaged_datasets_dir() / "orders.yaml").read_text()
    (datasets / "orders.yaml").write_text(orders + "retention: {row_errors_days: 0.00001}\n")
    return kafka_settings.model_copy(
        update={
            "datasets_dir": datasets,
            "finished_job_grace_s": 0.0,
            "status_window_s": 0.0,
            "status_recent_jobs": 0,
            "ledger_retention_days": 0.00001,
            "api_keys": "acme:key-a,globex:key-b",
        }
    )


def _final(client: object, job_id: str) -> UploadStatus:
    def done() -> bool:
        got = client.get(f"/v1/uploads/{job_id}", headers=A)  # type: ignore[attr-defined]
        return got.status_code == 200 and UploadStatus.model_validate(got.json()).is_final

    wait_until(done, f"job {job_id} to end", 90)
    answer = client.get(f"/v1/uploads/{job_id}", headers=A)  # type: ignore[attr-defined]
    return UploadStatus.model_validate(answer.json())


def test_old_jobs_come_from_the_database_and_gc_never_breaks_a_replay(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = _short_lived(kafka_settings, tmp_path)
    path = write_orders_csv(tmp_path / "orders.csv", 1_500, invalid_every=100)
    supervisor = start_pipeline(settings, tmp_path / "logs")
    try:
        with running(create_app(settings)) as client:
            keyed = {**A, "Idempotency-Key": "k-1"}
            answer = upload(client, path, headers=keyed)
            assert answer.status_code == 202, answer.text
            job_id = answer.json()["job_id"]
            first = _final(client, job_id)
            assert (first.state, first.rows_ok, first.rows_failed) == (
                "completed_with_errors",
                1_485,
                15,
            )
            # the file left the spool at the seal; what a re-parse needs stayed
            wait_until(
                lambda: not scan(settings.spool_path).uploads, "the file to leave the spool", 15
            )
            assert {p.name for p in settings.spool_path.iterdir()} == {
                f"{job_id}.csv.upload.json",
                f"{job_id}.csv.plan.json",
            }
            errors = client.get(f"/v1/uploads/{job_id}/errors", headers=A)
            assert errors.status_code == 200 and errors.text.count("\n") == 16

        # a new API process reads no history and holds no finished job: the database answers
        with running(create_app(settings)) as client:
            assert client.app.state.bulkflow.view.get(job_id) is None  # type: ignore[attr-defined]
            again = client.get(f"/v1/uploads/{job_id}", headers=A).json()
            assert UploadStatus.model_validate(again) == first
            listed = client.get("/v1/uploads", headers=A).json()
            assert [i["job_id"] for i in listed["items"]] == [job_id] and listed["total"] == 1
            repeat = upload(client, path, headers=keyed).json()
            assert (repeat["job_id"], repeat["state"], repeat["replayed"]) == (
                job_id,
                first.state,
                True,
            )

        time.sleep(1.0)  # the row errors' retention passes; the chunk topic still holds the job
        gc = bulkflow(settings, tmp_path, "gc")
        assert gc.returncode == 0, gc.stderr
        assert "row errors of orders: 15 removed" in gc.stderr
        assert "invalid rows of orders: 15 removed" in gc.stderr  # kept whole, they go too
        assert "chunk ledger rows: 0 removed" in gc.stderr  # a topic can still replay them

        engine = make_engine(settings.db_url)
        orders = DatasetRegistry(settings.datasets_dir).get("orders")
        before = ledger_counts(engine, job_id)
        replay = bulkflow(settings, tmp_path, "replay", "--job", job_id)
        assert replay.returncode == 0, replay.stderr
        assert f"0 written, {first.chunks_total} already in the database" in replay.stderr
        # the re-parse fetches the file from Kafka again (the spool let it go)
        reparse = bulkflow(settings, tmp_path, "reparse", "--job", job_id)
        assert reparse.returncode == 0, reparse.stderr
        assert not scan(settings.spool_path).uploads  # its fetched copy went too
        assert ledger_counts(engine, job_id) == before
        assert count_rows(engine, orders, job_id) == first.rows_ok
        engine.dispose()

        with running(create_app(settings)) as client:
            # the aggregator let the job go and took it back for those records: counted once
            time.sleep(2.0)
            after = client.get(f"/v1/uploads/{job_id}", headers=A).json()
            assert (after["state"], after["rows_ok"], after["rows_failed"]) == (
                first.state,
                first.rows_ok,
                first.rows_failed,
            )
            gone = client.get(f"/v1/uploads/{job_id}/errors", headers=A)
            assert gone.status_code == 410 and "removed" in gone.json()["detail"]
            gone = client.get(f"/v1/uploads/{job_id}/invalid-rows", headers=A)
            assert gone.status_code == 410 and "removed" in gone.json()["detail"]
    finally:
        supervisor.stop()


def test_backfill_copies_each_jobs_last_status_from_the_topic(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    """After an upgrade: old jobs' statuses come from the topic into the database, once; a
    newer status the database has already is kept."""
    from database.job_statuses import StatusWrite, get_status, save_statuses
    from tests.integration.test_api import produce_status

    base = UploadStatus(
        job_id="old-1",
        tenant="acme",
        dataset="orders",
        filename="a.csv",
        tier="high",
        state="queued",
        submitted_at=utcnow(),
    )
    done = base.model_copy(update={"state": "completed", "rows_ok": 3, "finished_at": utcnow()})
    produce_status(kafka_settings, base)
    produce_status(kafka_settings, done)
    other = base.model_copy(update={"job_id": "old-2", "state": "processing"})
    produce_status(kafka_settings, other)
    engine = make_engine(kafka_settings.db_url)
    ensure_schema(engine)
    newer = other.model_copy(update={"state": "failed", "error": "x"})
    save_statuses(engine, [StatusWrite(newer)])

    answer = bulkflow(kafka_settings, tmp_path, "backfill-statuses")
    assert answer.returncode == 0, answer.stderr
    first, second = get_status(engine, "old-1"), get_status(engine, "old-2")
    assert first is not None and (first.state, first.rows_ok) == ("completed", 3)
    assert second is not None and second.state == "failed"
    engine.dispose()
