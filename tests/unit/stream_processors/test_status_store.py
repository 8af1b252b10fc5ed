"""The aggregator's statuses in the database: written often enough, never waited for; a job
is handed out to be let go only once its final status is stored."""

from __future__ import annotations

import time
from pathlib import Path

from database.engine import make_engine
from database.job_statuses import get_status
from database.migrations import ensure_schema
from schemas.records import UploadStatus
from stream_processors.progress import JobProgress
from stream_processors.status_store import StatusStore, StoredMark, should_store
from tests.support.statuses import make_status


def _status(state: str = "processing", chunks_total: int | None = None) -> UploadStatus:
    return make_status("j", state, chunks_total=chunks_total)


def test_a_running_status_is_stored_on_news_or_every_interval() -> None:
    mark = StoredMark("processing", False, at=100.0)
    assert should_store(None, _status(), 100.0, 5.0)
    assert not should_store(mark, _status(), 101.0, 5.0)
    assert should_store(mark, _status(), 105.0, 5.0)
    assert should_store(mark, _status(chunks_total=3), 101.0, 5.0)  # sealed
    assert should_store(mark, _status("completed"), 100.5, 5.0)


def test_only_a_stored_final_status_lets_the_job_go(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    store = StatusStore(engine)
    progress = JobProgress(job_id="j", tenant="acme", chunks={0, 1})
    store.offer(progress, _status(), partition=3)
    assert store.flush()
    assert store.ended_before(time.time() + 10) == []  # running
    store.offer(progress, _status("completed"), partition=3)
    assert store.ended_before(time.time() + 10) == []  # not stored yet
    assert store.flush()
    stored = get_status(engine, "j")
    assert stored is not None and stored.state == "completed"
    assert store.ended_before(time.time() - 60) == []  # its grace is not over
    assert store.ended_before(time.time() + 10) == [("j", 3)]
    assert store.ended_before(time.time() + 10) == []  # handed out once
    assert store.load(["j", "unknown"]) == {"j": progress}
