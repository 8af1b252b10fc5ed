"""Retention deletes in small batches, exactly what is due (a job's invalid and corrected
rows with its row errors), and never a ledger row whose chunk still has a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from database import retention
from database.engine import make_engine
from database.job_statuses import StatusWrite, save_statuses
from database.migrations import ensure_schema
from database.tables import (
    corrected_rows,
    dead_letters,
    idempotency,
    invalid_rows,
    job_statuses,
    ledger,
    row_errors,
)
from schemas.records import UploadStatus

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    return engine


def _finished(engine: Engine, job: str, dataset: str, days_ago: float) -> None:
    end = NOW - timedelta(days=days_ago)
    status = UploadStatus(
        job_id=job,
        tenant="acme",
        dataset=dataset,
        filename="f.csv",
        tier="high",
        state="completed_with_errors",
        submitted_at=end,
        finished_at=end,
    )
    save_statuses(engine, [StatusWrite(status)])
    with engine.begin() as conn:
        conn.execute(
            row_errors.insert(),
            [
                dict(job_id=job, tenant="acme", row_no=r, column_name="c", value="v", message="m")
                for r in range(7)
            ],
        )
        # the job's invalid row, kept whole, and a correction's record of saving another
        conn.execute(invalid_rows.insert().values(job_id=job, row_no=1, tenant="acme", cells="{}"))
        conn.execute(
            corrected_rows.insert().values(
                job_id=job, row_no=2, corrected_by=f"fix-{job}", tenant="acme"
            )
        )


def _count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_row_errors_go_per_dataset_in_batches(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH_ROWS", 3)  # several batches per job
    monkeypatch.setattr(retention, "BATCH_JOBS", 2)
    for i in range(5):
        _finished(engine, f"old-{i}", "orders", days_ago=40)
    _finished(engine, "recent", "orders", days_ago=1)
    _finished(engine, "other", "invoices", days_ago=40)
    cutoff = NOW - timedelta(days=30)
    assert retention.count(engine, retention.expired_row_errors("orders", cutoff)) == 35
    removed = {"row errors": 35, "invalid rows": 5, "corrected rows": 5}
    assert retention.purge_row_errors(engine, "orders", cutoff) == (5, removed)
    assert _count(engine, invalid_rows) == _count(engine, corrected_rows) == 2
    assert _count(engine, row_errors) == 14  # the recent job's and the other dataset's
    with engine.connect() as conn:
        purged = conn.execute(
            sa.select(job_statuses.c.job_id).where(job_statuses.c.errors_purged_at.is_not(None))
        ).scalars()
        assert sorted(purged) == [f"old-{i}" for i in range(5)]
    nothing = {"row errors": 0, "invalid rows": 0, "corrected rows": 0}
    assert retention.purge_row_errors(engine, "orders", cutoff) == (0, nothing)


def test_a_ledger_row_with_a_dead_letter_stays(engine: Engine) -> None:
    old, new = NOW - timedelta(days=40), NOW - timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(
            ledger.insert(),
            [
                dict(job_id="j", chunk_no=n, rows_ok=1, rows_failed=0, processed_at=old)
                for n in range(4)
            ]
            + [dict(job_id="k", chunk_no=0, rows_ok=1, rows_failed=0, processed_at=new)],
        )
        conn.execute(
            dead_letters.insert().values(
                job_id="j",
                chunk_no=2,
                tenant="acme",
                dataset="orders",
                reason="r",
                status="redriven",
                attempts=1,
                first_failed_at=old,
                last_failed_at=old,
            )
        )
        conn.execute(
            idempotency.insert(),
            [
                dict(tenant="acme", key="old", job_id="j", fingerprint="", created_at=old),
                dict(tenant="acme", key="new", job_id="k", fingerprint="", created_at=new),
            ],
        )
    cutoff = NOW - timedelta(days=35)
    assert retention.purge_ledger(engine, cutoff) == 3
    with engine.connect() as conn:
        left = conn.execute(sa.select(ledger.c.job_id, ledger.c.chunk_no)).all()
    assert sorted(left) == [("j", 2), ("k", 0)]
    assert retention.purge_dead_letters(engine, "orders", NOW - timedelta(days=30)) == 1
    assert retention.purge_ledger(engine, cutoff) == 1  # its letter is gone now
    assert retention.purge_idempotency_keys(engine, NOW - timedelta(days=2)) == 1
    assert _count(engine, idempotency) == 1


def test_sizes_name_every_bookkeeping_table(engine: Engine) -> None:
    _finished(engine, "a", "orders", days_ago=1)
    tables, total = retention.bookkeeping_sizes(engine)
    rows = {t.table: t.rows for t in tables}
    assert rows["bulkflow_row_errors"] == 7 and rows["bulkflow_job_status"] == 1
    assert total is not None and total > 0
