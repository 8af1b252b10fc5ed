"""What a worker sends after one chunk: its chunk result for the aggregator, and either its
result records or a dead letter. Pure: built by ``ChunkHandler``, sent by chunk_routing.py."""

from __future__ import annotations

import time
from dataclasses import dataclass

from schemas.headers import ChunkHeaders
from schemas.records import ChunkResult, RowError
from stream_processors.result_records import ResultRecord

ERROR_SAMPLES = 5


@dataclass(frozen=True)
class ChunkOutput:
    """What the worker sends after a chunk (chunk_routing.py): its chunk result, and either
    its result records or a dead letter."""

    job_id: str
    chunk_result: ChunkResult  # its counts, for the aggregator (chunk-results)
    result_records: tuple[ResultRecord, ...] = ()  # valid typed rows for results.<dataset>
    dataset: str | None = None
    results_name: str | None = None  # the results topic's name part (dataset.results_name)
    dead_letter_reason: str | None = None
    already_saved: bool = False  # the ledger held the chunk: nothing was written again


def chunk_result(
    meta: ChunkHeaders,
    started: float,
    *,
    rows_ok: int,
    rows_failed: int,
    errors: list[RowError] | None = None,
    dead_letter_reason: str | None = None,
    last_row: int | None = None,
    replay_id: bytes | None = None,
    written: bool = False,
    result_records: int = 0,
    repeated_keys: int = 0,
) -> ChunkResult:
    """The chunk's result, timed from ``started`` (perf_counter) to now. A dead-lettered
    chunk names its rows: from its first row to ``last_row`` (when the payload was read),
    else to the first row plus its row count."""
    dead = dead_letter_reason is not None
    return ChunkResult(
        job_id=meta.job_id,
        chunk_no=meta.chunk_no,
        rows_ok=rows_ok,
        rows_failed=rows_failed,
        error_samples=(errors or [])[:ERROR_SAMPLES],
        duration_ms=(time.perf_counter() - started) * 1000,
        dead_lettered=dead,
        reason=dead_letter_reason,
        first_row=meta.first_row_no if dead else None,
        last_row=(last_row or meta.first_row_no + max(meta.row_count, 1) - 1) if dead else None,
        replay_id=replay_id.decode(errors="replace") if replay_id else None,
        written=written,
        result_records=result_records,
        repeated_keys=repeated_keys,
    )
