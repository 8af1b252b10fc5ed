"""The progress fold of the importer's states: paused for a mapping, resumed, expired; a
data-less file's warning and merged cells'; a correction's link to the job it corrects."""

from __future__ import annotations

from schemas.column_mapping import MappingPreview
from schemas.records import ChunkResult, is_step_back
from stream_processors.job_status import to_status
from stream_processors.progress_publisher import job_outcome_event
from tests.unit.stream_processors.test_progress_fold import JOB, at, event, fold

PREVIEW = MappingPreview(reason="no header", header_row=3, file_columns=["Order #", "Date"])


def test_a_paused_job_needs_mapping_then_goes_on_once_confirmed() -> None:
    paused = fold([event("needs_mapping", 1, mapping_preview=PREVIEW)])
    status = to_status(paused, at(2))
    assert (status.state, status.mapping_preview) == ("needs_mapping", PREVIEW)
    # a pause is no outcome: revision 1, and no event
    assert status.revision == 1 and job_outcome_event(paused) is None
    confirmed = fold(
        [
            event("needs_mapping", 1, mapping_preview=PREVIEW),
            event("mapping_confirmed", 2, mapping={"order_id": "Order #"}),
        ]
    )
    resumed = to_status(confirmed, at(3))
    assert (resumed.state, resumed.mapping_preview, resumed.mapping) == (
        "parsing",
        None,
        {"order_id": "Order #"},
    )
    # parsing after needs_mapping is no step back: the API's view takes it
    assert not is_step_back(to_status(paused, at(2)), resumed)


def test_an_expired_mapping_fails_the_job_unless_it_came_in_first() -> None:
    expired = fold(
        [
            event("needs_mapping", 1, mapping_preview=PREVIEW),
            event("mapping_expired", 9, reason="nobody confirmed the column mapping within 24 h"),
        ]
    )
    status = to_status(expired, at(10))
    assert (status.state, status.error) == (
        "failed",
        "nobody confirmed the column mapping within 24 h",
    )
    outcome = job_outcome_event(expired)
    assert outcome is not None
    assert (outcome.type, outcome.revision, outcome.state) == ("job.failed", 2, "failed")
    assert outcome.error == status.error and status.revision == 2
    confirmed_first = fold(
        [
            event("needs_mapping", 1, mapping_preview=PREVIEW),
            event("mapping_confirmed", 2, mapping={"order_id": "Order #"}),
            event("registered", 3, header_row=3),
            event("mapping_expired", 9, reason="too late"),
        ]
    )
    assert to_status(confirmed_first, at(10)).state == "parsing"


def test_a_file_without_data_rows_completes_with_a_warning() -> None:
    done = fold(
        [
            event("registered", 1, header_row=4, sheet="Orders"),
            event("sealed", 2, total_chunks=0, total_rows=0),
        ]
    )
    status = to_status(done, at(3))
    assert (status.state, status.warning) == ("completed", "no data rows under the header on row 4")
    outcome = job_outcome_event(done)
    assert outcome is not None and outcome.warning == status.warning
    assert (outcome.type, outcome.revision) == ("job.completed", status.revision)
    with_rows = fold(
        [
            event("registered", 1, header_row=1),
            event("sealed", 2, total_chunks=1, total_rows=5),
            ChunkResult(job_id=JOB, chunk_no=0, rows_ok=5, rows_failed=0, at=at(3)),
        ]
    )
    assert to_status(with_rows, at(4)).warning is None


def test_merged_cells_that_left_values_out_are_a_warning_with_errors_too() -> None:
    merged = "cells C2:C5 (country) are merged and hold their value in C2 only"
    done = fold(
        [
            event("registered", 1, header_row=1),
            event("sealed", 2, total_chunks=1, total_rows=5, warnings=[merged]),
            ChunkResult(job_id=JOB, chunk_no=0, rows_ok=4, rows_failed=1, at=at(3)),
        ]
    )
    status = to_status(done, at(4))
    assert (status.state, status.warning) == ("completed_with_errors", merged)
    outcome = job_outcome_event(done)
    assert outcome is not None and (outcome.state, outcome.warning) == (status.state, merged)
    # a header-only sheet whose header cells are merged: both, the missing rows first
    empty = fold(
        [
            event("registered", 1, header_row=2),
            event("sealed", 2, total_chunks=0, total_rows=0, warnings=[merged]),
        ]
    )
    assert to_status(empty, at(3)).warning == f"no data rows under the header on row 2; {merged}"


def test_rows_a_later_row_of_the_file_replaced_are_a_warning_counted_once() -> None:
    result = ChunkResult(job_id=JOB, chunk_no=0, rows_ok=5, rows_failed=0, at=at(3))
    repeated = result.model_copy(update={"repeated_keys": 2})
    done = fold(
        [
            event("registered", 1, header_row=1),
            event("sealed", 2, total_chunks=1, total_rows=5),
            repeated,
            repeated,  # redelivered: counted once
        ]
    )
    status = to_status(done, at(4))
    assert (status.state, status.warning) == (
        "completed",
        "2 rows were replaced by a later row of the file with the same key: each key keeps its "
        "last row; give each row its own key, or remove the repeats",
    )


def test_a_correction_says_which_job_it_corrects() -> None:
    done = fold(
        [
            event("registered", 1, corrects="job-0"),
            event("sealed", 2, total_chunks=1, total_rows=3, corrects="job-0"),
            ChunkResult(job_id=JOB, chunk_no=0, rows_ok=3, rows_failed=0, at=at(3)),
        ]
    )
    assert to_status(done, at(4)).corrects == "job-0"
    outcome = job_outcome_event(done)
    assert outcome is not None and outcome.corrects == "job-0"
