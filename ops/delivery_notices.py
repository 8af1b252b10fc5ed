"""What a replay or a re-parse tells downstream, per job, on ``events`` (docs/topics.md):
that the job's rows were re-published to ``results.<dataset>`` (``job.results_republished``)
or written to the database (``job.rows_rewritten``), with the counts actually sent and
written. A job none of whose rows went anywhere gets no event."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from messaging.publisher import Publisher
from schemas.events import JobResultsRepublished, JobRowsRewritten
from schemas.records import ChunkResult


@dataclass
class JobDelivery:
    """One job's tally in one replay (or re-parse)."""

    job_id: str
    tenant: str
    dataset: str
    published_chunks: int = 0
    records: int = 0
    rows: int = 0
    written_chunks: int = 0
    rows_ok: int = 0
    rows_failed: int = 0

    def published(self, result: ChunkResult, records: int) -> None:
        """The chunk's valid rows went out in ``records`` result records."""
        if records:
            self.published_chunks += 1
            self.records += records
            self.rows += result.rows_ok

    def wrote(self, result: ChunkResult) -> None:
        """The chunk was written to the database (its ledger row was missing)."""
        self.written_chunks += 1
        self.rows_ok += result.rows_ok
        self.rows_failed += result.rows_failed

    def events(self, replay_id: str) -> list[BaseModel]:
        found: list[BaseModel] = []
        if self.records:
            found.append(
                JobResultsRepublished(
                    job_id=self.job_id,
                    tenant=self.tenant,
                    dataset=self.dataset,
                    replay_id=replay_id,
                    chunks=self.published_chunks,
                    records=self.records,
                    rows=self.rows,
                )
            )
        if self.written_chunks:
            found.append(
                JobRowsRewritten(
                    job_id=self.job_id,
                    tenant=self.tenant,
                    dataset=self.dataset,
                    replay_id=replay_id,
                    chunks=self.written_chunks,
                    rows_ok=self.rows_ok,
                    rows_failed=self.rows_failed,
                )
            )
        return found


def send_notices(
    publisher: Publisher, topic: str, deliveries: list[JobDelivery], replay_id: str
) -> int:
    """Produce each job's notices (keyed by job id); returns how many."""
    sent = 0
    for delivery in deliveries:
        for event in delivery.events(replay_id):
            publisher.produce(topic, event.model_dump_json().encode(), delivery.job_id.encode())
            sent += 1
    return sent
