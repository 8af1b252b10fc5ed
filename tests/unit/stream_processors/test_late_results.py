"""Chunk results that never arrived, counted from the ledger (stream_processors/late_results.py)."""

from __future__ import annotations

from database.reports import LedgerChunk
from stream_processors.job_status import to_status
from stream_processors.late_results import LateResults, ledger_results, missing_chunks
from stream_processors.progress import JobProgress, fold_batch
from tests.unit.stream_processors.test_progress_fold import JOB, at, chunk, event, fold


def written(no: int, ok: int = 1000, failed: int = 0, repeated: int = 0) -> LedgerChunk:
    return LedgerChunk(JOB, no, ok, failed, repeated, at(2))


def waiting() -> JobProgress:
    # three chunks sealed, chunk 0 counted, chunk 2 dead-lettered: chunk 1 is awaited
    dead = chunk(2, ok=0, failed=500, dead_lettered=True, reason="bad")
    return fold([event("registered"), chunk(0), dead, event("sealed", total_chunks=3)])


def test_a_sealed_job_awaits_the_chunks_without_a_result() -> None:
    assert missing_chunks(waiting()) == {1}
    assert missing_chunks(fold([event("registered"), chunk(0)])) == set()  # not sealed
    done = fold([event("registered"), chunk(0), event("sealed", total_chunks=1)])
    assert missing_chunks(done) == set()


def test_the_ledger_gives_the_results_of_written_chunks_not_counted() -> None:
    ledger = [written(0), written(1, ok=990, failed=10, repeated=3), written(7)]
    assert ledger_results(waiting(), ledger, written_before=at(1)) == []  # its result is due
    (result,) = ledger_results(waiting(), ledger, written_before=at(2))
    assert (result.chunk_no, result.rows_ok, result.rows_failed) == (1, 990, 10)
    assert (result.repeated_keys, result.written) == (3, True)
    records = [(JOB, False, result.model_dump_json().encode())]
    counted, _ = fold_batch(records, {JOB: waiting()}.get)[JOB]
    status = to_status(counted, at(10))
    assert (status.state, status.rows_ok, status.chunks_done) == ("completed_with_errors", 1990, 3)
    assert status.warning is not None and status.warning.startswith("3 rows were replaced")
    assert ledger_results(counted, ledger, written_before=at(2)) == []  # counted once


def test_a_job_is_due_once_it_waited_and_only_in_this_processs_partitions() -> None:
    late = LateResults(after_s=30)
    late.changed(waiting(), partition=3, now=100)
    held = {JOB: waiting()}.get
    assert late.due(129, held, {3}) == {}
    assert late.due(130, held, {0, 1}) == {}  # another aggregator owns partition 3
    assert late.due(130, held, {3}) == {JOB: 3}
    assert late.due(131, held, {3}) == {}  # due again 30 s later
    assert late.due(160, held, {3}) == {JOB: 3}
    finished = fold([event("registered"), chunk(0), event("sealed", total_chunks=1)])
    late.changed(finished, partition=3, now=170)
    assert late.due(500, {JOB: finished}.get, {3}) == {}
