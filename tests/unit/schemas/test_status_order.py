"""A job's status only moves forward in the API's view, whatever order records arrive in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.records import UploadStatus, is_step_back


def _status(state: str, chunks_done: int = 0, revision: int = 1) -> UploadStatus:
    return UploadStatus(
        revision=revision,
        job_id="j",
        tenant="t",
        dataset="orders",
        filename="f.csv",  # type: ignore[arg-type]
        tier="high",
        state=state,
        chunks_done=chunks_done,
        submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("old", "new", "back"),
    [
        (None, _status("queued"), False),
        (_status("queued"), _status("processing", 1), False),
        (_status("processing", 3), _status("queued"), True),
        (_status("completed", 5), _status("processing", 4), True),
        (_status("processing", 3), _status("processing", 2), True),
        (_status("processing", 3), _status("processing", 4), False),
        # a DLQ redrive turns one final state into another, with a higher revision
        (_status("completed_with_errors", 5, 2), _status("completed", 5, 3), False),
        (_status("failed", 0, 2), _status("completed", 5, 3), False),
        # ... and the outcome it replaced, arriving late, does not come back
        (_status("completed", 5, 3), _status("failed", 0, 2), True),
        (_status("completed", 5, 3), _status("processing", 4, 1), True),
    ],
)
def test_step_back(old: UploadStatus | None, new: UploadStatus, back: bool) -> None:
    assert is_step_back(old, new) is back


def test_the_view_ignores_a_late_older_status() -> None:
    from api.progress_view import ProgressView
    from schemas.settings import load_settings

    view = ProgressView(load_settings())
    view.put(_status("processing", 2))
    view.put(_status("queued"))  # arrives late, from another partition or writer
    got = view.get("j")
    assert got is not None and (got.state, got.chunks_done) == ("processing", 2)
