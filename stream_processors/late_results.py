"""Chunk results that never reach the aggregator: the ledger says what those chunks came to.

A worker publishes a chunk's result after its transaction commits, and the aggregator counts
it; a result lost in between (a rebalance that dropped it, a worker that stopped at the
wrong moment and whose chunk was not read again) would leave its job processing for ever,
though every row is in the database. ``LateResults`` watches the aggregator's jobs: one that
is sealed, not finished, and unchanged for ``after_s`` while chunks are missing is looked up
in the ledger, and ``ledger_results`` turns each chunk written at least ``after_s`` ago that
the job has not counted into the result its worker would have sent. Pure: the aggregator
does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from database.reports import LedgerChunk
from schemas.records import ChunkResult
from stream_processors.progress import JobProgress


def missing_chunks(progress: JobProgress) -> set[int]:
    """The chunks of a sealed, unfinished job that have no result yet."""
    if progress.total_chunks is None or progress.outcome is not None:
        return set()
    return set(range(progress.total_chunks)) - progress.chunks - set(progress.dead_chunks)


def ledger_results(
    progress: JobProgress, written: Iterable[LedgerChunk], written_before: datetime
) -> list[ChunkResult]:
    """The results of the job's chunks written before ``written_before`` (their results had
    time to arrive) that it has not counted, as their workers send them (without error
    samples: the row errors themselves are in the database)."""
    missing = missing_chunks(progress)
    return [
        ChunkResult(
            job_id=chunk.job_id,
            chunk_no=chunk.chunk_no,
            rows_ok=chunk.rows_ok,
            rows_failed=chunk.rows_failed,
            repeated_keys=chunk.rows_repeated,
            at=chunk.processed_at,
            written=True,
        )
        for chunk in sorted(written, key=lambda c: c.chunk_no)
        if chunk.job_id == progress.job_id
        and chunk.chunk_no in missing
        and chunk.processed_at <= written_before
    ]


class LateResults:
    """The jobs of this aggregator that wait for chunk results, and since when (monotonic
    seconds), with the partition of their records."""

    def __init__(self, after_s: float) -> None:
        self.after_s = after_s
        self._since: dict[str, tuple[float, int]] = {}

    def changed(self, progress: JobProgress, partition: int, now: float) -> None:
        """A job's progress changed (or was restored): it waits from now, if at all."""
        if missing_chunks(progress):
            self._since[progress.job_id] = (now, partition)
        else:
            self._since.pop(progress.job_id, None)

    def forget(self, job_id: str) -> None:
        self._since.pop(job_id, None)

    def due(
        self, now: float, held: Callable[[str], JobProgress | None], partitions: set[int]
    ) -> dict[str, int]:
        """The jobs waiting ``after_s`` or longer in the partitions given (the ones this
        process owns), by job id with their partition; each is due again ``after_s`` later."""
        found: dict[str, int] = {}
        for job_id, (since, partition) in list(self._since.items()):
            if now - since < self.after_s or partition not in partitions:
                continue
            progress = held(job_id)
            if progress is None or not missing_chunks(progress):
                self._since.pop(job_id, None)
                continue
            found[job_id] = partition
            self._since[job_id] = (now, partition)
        return found
