"""The locale travels with the job: chunk headers, the registered event, the status."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.headers import H_LOCALE, ChunkHeaders
from schemas.records import JobEvent
from stream_processors.job_status import to_status
from stream_processors.progress import apply_job_event

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_chunk_headers_carry_the_locale_only_when_there_is_one() -> None:
    meta = ChunkHeaders("j", 0, 2, 10, "orders", "acme", locale="de-DE")
    assert (H_LOCALE, b"de-DE") in meta.to_kafka()
    assert ChunkHeaders.from_kafka(meta.to_kafka()) == meta
    plain = ChunkHeaders("j", 0, 2, 10, "orders", "acme")
    assert H_LOCALE not in dict(plain.to_kafka())
    assert ChunkHeaders.from_kafka(plain.to_kafka()).locale is None


def _event(kind: str, **fields: object) -> JobEvent:
    return JobEvent(
        job_id="j",
        kind=kind,  # type: ignore[arg-type]
        tenant="acme",
        dataset="orders",
        filename="bestellungen.csv",
        tier="high",
        submitted_at=AT,
        at=AT,
        **fields,  # type: ignore[arg-type]
    )


def test_the_status_says_how_the_text_was_read() -> None:
    reading = "read as de-DE: decimal comma, day-first dates (detected)"
    progress = apply_job_event(
        None, _event("registered", locale="de-DE", locale_source="detected", reading=reading)
    )
    progress = apply_job_event(progress, _event("sealed", total_chunks=0, total_rows=0))
    status = to_status(progress, AT)
    assert (status.locale, status.locale_source, status.reading) == ("de-DE", "detected", reading)
    assert status.state == "completed"


def test_a_status_without_a_registered_event_names_no_locale() -> None:
    status = to_status(apply_job_event(None, _event("parse_failed", reason="empty")), AT)
    assert (status.locale, status.locale_source, status.reading) == (None, None, None)
