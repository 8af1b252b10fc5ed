"""bulkflow demo succeeds once every upload has settled: its sample file without an
order_id column pauses for a person to map its columns, which is not a failure of the demo."""

from __future__ import annotations

from datetime import UTC, datetime

from ops.demo import unsettled
from schemas.records import UploadStatus


def _status(job: str, state: str) -> UploadStatus:
    return UploadStatus(
        job_id=job,
        tenant="t",
        dataset="orders",
        filename=f"{job}.csv",
        tier="high",
        state=state,  # type: ignore[arg-type]
        submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_a_job_paused_for_its_mapping_has_settled_and_one_under_way_has_not() -> None:
    states = ["completed", "completed_with_errors", "failed", "needs_mapping", "processing"]
    finals = {state: _status(state, state) for state in states}
    assert unsettled(finals) == ["processing"]
    assert unsettled({"m": _status("m", "needs_mapping")}) == []
