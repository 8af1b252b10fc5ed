"""A confirmation and the expiry race for one paused upload: whoever takes its row out of
the paused table decides, and the other sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import api.confirm_mapping as confirming
from api.http_errors import Conflict
from api.models import MappingConfirm
from api.state import AppState
from database.column_mappings import PausedUpload, park_upload, paused_upload, release_paused
from schemas.records import UploadRecord, UploadStatus, utcnow
from schemas.settings import load_settings, packaged_datasets_dir

FILE_COLUMNS = ["Order #", "E-mail address", "Date"]
MAPPING = {"order_id": "Order #", "customer_email": "E-mail address", "ordered_at": "Date"}


class Refusing:
    """A publisher that fails the test if anything is sent, or fails the send itself."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[str] = []

    def produce(self, topic: str, *_args: object, **_kwargs: object) -> None:
        self.sent.append(topic)
        if self.error is not None:
            raise self.error

    def wait(self, *_args: object) -> None:
        pass


@pytest.fixture
def paused_state(tmp_path: Path) -> AppState:
    settings = load_settings(home=tmp_path / "home", datasets_dir=packaged_datasets_dir())
    state = AppState(settings)
    record = UploadRecord(
        job_id="job-1",
        tenant="acme",
        dataset="orders",
        filename="march.csv",
        spool_path=str(tmp_path / "march.csv"),
        size_bytes=10,
        estimated_rows=1,
        tier="high",
        submitted_at=utcnow(),
    )
    park_upload(
        state.engine(),
        job_id="job-1",
        tenant="acme",
        dataset="orders",
        upload=record.model_dump_json(),
        file_columns=FILE_COLUMNS,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    status = UploadStatus(
        job_id="job-1",
        tenant="acme",
        dataset="orders",
        filename="march.csv",
        tier="high",
        state="needs_mapping",
        submitted_at=record.submitted_at,
    )
    state.view.put(status)
    return state


def _status(state: AppState) -> UploadStatus:
    status = state.view.get("job-1")
    assert status is not None
    return status


def test_an_expiry_that_takes_the_upload_first_wins_and_the_confirmation_sends_nothing(
    paused_state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = Refusing()
    monkeypatch.setattr(paused_state, "publisher", lambda: publisher)
    read_before_expiry = confirming.paused_upload

    def read_then_expire(*args: object) -> PausedUpload | None:
        found = read_before_expiry(*args)  # type: ignore[arg-type]
        assert release_paused(paused_state.engine(), "job-1")  # the expiry, just after
        return found

    monkeypatch.setattr(confirming, "paused_upload", read_then_expire)
    with pytest.raises(Conflict, match="no longer waiting for a column mapping"):
        confirming.confirm_mapping(
            paused_state, _status(paused_state), MappingConfirm(mapping=MAPPING)
        )
    assert publisher.sent == []


def test_a_confirmation_that_cannot_be_sent_leaves_the_upload_paused(
    paused_state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = Refusing(RuntimeError("broker away"))
    monkeypatch.setattr(paused_state, "publisher", lambda: publisher)
    with pytest.raises(RuntimeError, match="broker away"):
        confirming.confirm_mapping(
            paused_state, _status(paused_state), MappingConfirm(mapping=MAPPING)
        )
    still = paused_upload(paused_state.engine(), "job-1", "acme")
    assert still is not None and still.file_columns == FILE_COLUMNS
    # and the next confirmation, with Kafka back, takes it
    monkeypatch.setattr(paused_state, "publisher", lambda: Refusing())
    resumed = confirming.confirm_mapping(
        paused_state, _status(paused_state), MappingConfirm(mapping=MAPPING)
    )
    assert (
        resumed.state == "parsing" and paused_upload(paused_state.engine(), "job-1", "acme") is None
    )
