"""A job's status for tests: tenant acme, dataset orders, submitted 2026-01-01, unless told."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.records import UploadStatus

SUBMITTED = datetime(2026, 1, 1, tzinfo=UTC)


def make_status(job_id: str = "j", state: str = "queued", **fields: Any) -> UploadStatus:
    values: dict[str, Any] = {
        "job_id": job_id,
        "tenant": "acme",
        "dataset": "orders",
        "filename": "f.csv",
        "tier": "high",
        "state": state,
        "submitted_at": SUBMITTED,
    }
    values.update(fields)
    return UploadStatus(**values)
