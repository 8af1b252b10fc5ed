"""Every job's status in the database: the API's first one, the aggregator's after it, never
a step back, the models' JSON kept whole."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from database.engine import make_engine
from database.job_statuses import (
    StatusWrite,
    ended_jobs,
    get_status,
    list_statuses,
    load_progress,
    record_queued,
    save_statuses,
)
from database.migrations import ensure_schema
from schemas.records import UploadStatus
from tests.support.statuses import SUBMITTED, make_status

T0 = SUBMITTED


def _engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    return engine


def _status(job: str, state: str = "queued", minute: int = 0, **extra: object) -> UploadStatus:
    return make_status(job, state, submitted_at=T0 + timedelta(minutes=minute), **extra)


def test_statuses_only_move_forward_and_keep_the_aggregators_progress(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    record_queued(engine, _status("a"))
    done = _status("a", "completed", rows_ok=5, finished_at=T0 + timedelta(minutes=1))
    assert save_statuses(engine, [StatusWrite(done, '{"job_id": "a", "rows_ok": 5}')]) == 1
    record_queued(engine, _status("a"))  # a late first status changes nothing
    assert save_statuses(engine, [StatusWrite(_status("a", "processing"), "{}")]) == 0
    stored = get_status(engine, "a")
    assert stored is not None and (stored.state, stored.rows_ok) == ("completed", 5)
    assert load_progress(engine, ["a", "missing"]) == {"a": '{"job_id": "a", "rows_ok": 5}'}
    # a status without progress (the API's) keeps the aggregator's
    redriven = done.model_copy(update={"state": "completed", "rows_ok": 6})
    save_statuses(engine, [StatusWrite(redriven)])
    assert load_progress(engine, ["a"]) == {"a": '{"job_id": "a", "rows_ok": 5}'}
    assert ended_jobs(engine, ["a"]) == {"a": T0 + timedelta(minutes=1)}


def test_the_list_is_the_tenants_newest_first(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    for minute in range(5):
        record_queued(engine, _status(f"job-{minute}", minute=minute))
    record_queued(engine, _status("other").model_copy(update={"tenant": "globex"}))
    items, total = list_statuses(engine, "acme", limit=2, offset=1)
    assert [s.job_id for s in items] == ["job-3", "job-2"] and total == 5
    assert ended_jobs(engine, ["job-1"]) == {}  # running jobs have not ended
