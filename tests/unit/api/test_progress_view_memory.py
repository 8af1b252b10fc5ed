"""The status view's memory follows current work, not history: running jobs and the most
recent finished ones; a job someone follows is never let go."""

from __future__ import annotations

import asyncio

from api.progress_view import ProgressView
from schemas.records import UploadStatus
from schemas.settings import load_settings
from tests.support.statuses import make_status


def _status(job: str, state: str = "processing", chunks: int = 1) -> UploadStatus:
    return make_status(job, state, chunks_done=chunks)


def test_finished_jobs_beyond_the_recent_window_leave_memory_running_ones_stay() -> None:
    view = ProgressView(load_settings(status_recent_jobs=100))
    for i in range(50):
        view.put(_status(f"run-{i}"))
    for i in range(1000):
        view.put(_status(f"done-{i}", "completed"))
    assert len(view) == 150
    assert all(view.get(f"run-{i}") is not None for i in range(50))
    assert view.get("done-899") is None and view.get("done-999") is not None
    assert view.counts_by_state() == {"processing": 50, "completed": 100}


def test_a_job_read_from_the_database_is_held_without_a_change_hook() -> None:
    seen: list[str] = []
    view = ProgressView(load_settings(), on_change=lambda _old, new: seen.append(new.job_id))
    view.hold(_status("old", "completed"))
    view.put(_status("new"))
    assert view.get("old") is not None and seen == ["new"]
    view.hold(_status("new", "queued", 0))  # older than what the view has: ignored
    held = view.get("new")
    assert held is not None and held.state == "processing"


def test_a_followed_finished_job_is_not_let_go() -> None:
    async def scenario() -> None:
        view = ProgressView(load_settings(status_recent_jobs=1))
        view.put(_status("followed", "completed"))
        version, _ = view.snapshot("followed")
        waiting = asyncio.create_task(view.wait_change("followed", version, 5.0))
        await asyncio.sleep(0.01)
        for i in range(10):
            view.put(_status(f"other-{i}", "completed"))
        assert view.get("followed") is not None
        view.put(_status("followed", "completed", 2))  # a redrive: final to final
        assert await waiting
        assert view.waiting("followed") == 0

    asyncio.run(scenario())
