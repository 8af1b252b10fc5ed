"""Where a handled chunk's records go: its valid rows to ``results.<dataset>``, its result to
``chunk-results`` (keyed by job id, so the aggregator counts it), or the chunk to the DLQ.

Pure: a ChunkOutput in, records out. The worker (worker_app.py) and ``bulkflow replay``
(ops/replay.py) both route with it, each sending what its run asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from messaging.names import TopicNames
from schemas.headers import KafkaHeaders
from stream_processors.chunk_output import ChunkOutput


@dataclass(frozen=True)
class RoutedRecord:
    topic: str
    key: bytes
    value: bytes
    headers: KafkaHeaders


@dataclass(frozen=True)
class ChunkRoutes:
    """A chunk's records, in the order they must be durable: its results before its chunk
    result (a counted chunk's rows are on the results topic). A dead-lettered chunk has no
    results; its chunk result says it failed."""

    results: tuple[RoutedRecord, ...]
    chunk_result: RoutedRecord
    dead_letter_reason: str | None


def route_chunk_output(output: ChunkOutput, names: TopicNames) -> ChunkRoutes:
    """The records of one handled chunk (a replay's id is on its results and in its chunk
    result, from the chunk's headers)."""
    results: tuple[RoutedRecord, ...] = ()
    if output.dead_letter_reason is None and output.dataset:
        topic = names.results(output.results_name or output.dataset)
        results = tuple(
            RoutedRecord(topic, r.key, r.value, list(r.headers)) for r in output.result_records
        )
    chunk_result = RoutedRecord(
        names.chunk_results,
        output.job_id.encode(),
        output.chunk_result.model_dump_json().encode(),
        [],
    )
    return ChunkRoutes(results, chunk_result, output.dead_letter_reason)
