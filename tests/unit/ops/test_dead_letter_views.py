"""A dead-lettered chunk is seen everywhere a person looks: after `upload --wait`, in the
errors CSV (one line per row range) and in `dlq list`, whose markup is rendered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from api.row_error_reports import error_csv
from database.dead_letters import record_failure
from database.engine import make_engine
from database.migrations import ensure_schema
from ops.progress_ui import outcome_lines
from schemas.records import DeadLetterRange, UploadStatus
from schemas.settings import load_settings
from tests.unit.ops.test_cli_messages import run_cli

REASON = "permanent database error: value too long for type character varying(200)"
RANGE = DeadLetterRange(chunk_no=1, first_row=502, last_row=1001, rows=500, reason=REASON)
SAID = f"rows 502–1001 not saved: {REASON}; see `bulkflow dlq list`"


def status_of(state: str, ok: int, failed: int, dead: list[DeadLetterRange]) -> UploadStatus:
    return UploadStatus(
        job_id="j1",
        tenant="acme",
        dataset="orders",
        filename="orders.csv",
        tier="high",
        state=state,  # type: ignore[arg-type]
        rows_ok=ok,
        rows_failed=failed,
        rows_dead_lettered=sum(d.rows for d in dead),
        dead_letters=dead,
        submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


class FakeClient:
    def __init__(self, csv: str) -> None:
        self.csv = csv

    def errors_csv(self, _job: str) -> Iterator[bytes]:
        yield self.csv.encode()


def test_upload_wait_names_the_rows_not_saved_and_the_first_row_errors() -> None:
    csv = (
        f"row,column,value,message,locale\r\n502–1001,,,{SAID},none\r\n"
        "7,amount,-1,must be at least 0,none\r\n"
    )
    lines = outcome_lines(FakeClient(csv), status_of("completed_with_errors", 495, 505, [RANGE]))  # type: ignore[arg-type]
    assert lines[0] == (
        "job j1 completed with errors: 495 rows saved, 505 rows not saved "
        "(500 of them dead-lettered)."
    )
    assert lines[1] == f"  {SAID}"
    assert lines[2] == "5 rows rejected; the first ones:"
    assert lines[3:5] == [
        "  row,column,value,message,locale",
        "  7,amount,-1,must be at least 0,none",
    ]


def test_upload_wait_with_only_dead_letters_promises_no_row_errors() -> None:
    status = status_of("completed_with_errors", 500, 500, [RANGE])
    lines = outcome_lines(FakeClient("row,column,value,message\r\n"), status)  # type: ignore[arg-type]
    assert f"  {SAID}" in lines and not any("first one" in line for line in lines)
    failed = status_of("failed", 0, 500, [RANGE])
    failed.error = "no chunk of the file could be processed: " + REASON
    assert outcome_lines(FakeClient(""), failed)[1] == f"  {SAID}"  # type: ignore[arg-type]


def test_the_errors_csv_has_a_line_per_dead_lettered_range(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ensure_schema(engine)
    status = status_of("completed_with_errors", 500, 500, [RANGE])
    status.locale, status.locale_source = "de-DE", "detected"
    text = "".join(error_csv(lambda: engine, status))
    engine.dispose()
    assert text.splitlines() == [
        "row,column,value,message,locale",
        f"502–1001,,,{SAID},de-DE (detected)",
    ]


def test_dlq_list_renders_its_markup(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    engine = make_engine(settings.db_url)
    ensure_schema(engine)
    record_failure(
        engine,
        job_id="j1",
        chunk_no=1,
        tenant="acme",
        dataset="orders",
        source_topic=None,
        reason=REASON,
    )
    engine.dispose()
    done = run_cli("dlq", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert REASON in done.stderr and "[bold]" not in done.stderr and "[/]" not in done.stderr
    assert "job j1 chunk 1  acme/orders  outstanding" in done.stderr


def test_upload_wait_counts_one_row_as_one() -> None:
    csv = "row,column,value,message,locale\r\n4,order_id,,required value is missing,none\r\n"
    lines = outcome_lines(FakeClient(csv), status_of("completed_with_errors", 1, 1, []))  # type: ignore[arg-type]
    assert lines[:2] == [
        "job j1 completed with errors: 1 row saved, 1 row not saved.",
        "1 row rejected; the first one:",
    ]
