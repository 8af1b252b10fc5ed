"""The DLQ as a state: one row per dead-lettered chunk in ``bulkflow_dead_letters``.

The worker records a letter when it dead-letters a chunk (a letter that fails again counts
one more attempt and is outstanding again); ``bulkflow dlq`` reads and marks them. A letter
is *resolved* when the chunk ledger holds its chunk: the chunk was written after all (by a
redrive or a replay), so no second bookkeeping has to be kept in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite

from database.tables import dead_letters, ledger

LetterState = Literal["outstanding", "redriven", "discarded", "resolved"]
OUTSTANDING, REDRIVEN, DISCARDED = "outstanding", "redriven", "discarded"


@dataclass(frozen=True)
class DeadLetterRow:
    job_id: str
    chunk_no: int
    tenant: str
    dataset: str
    source_topic: str | None
    reason: str
    state: LetterState
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    discard_reason: str | None = None


def record_failure(
    engine: Engine,
    *,
    job_id: str,
    chunk_no: int,
    tenant: str,
    dataset: str,
    source_topic: str | None,
    reason: str,
    at: datetime | None = None,
) -> None:
    """A chunk was dead-lettered: a new outstanding letter, or one more attempt of it."""
    now = at or datetime.now(UTC)
    values = {
        "job_id": job_id,
        "chunk_no": chunk_no,
        "tenant": tenant,
        "dataset": dataset,
        "source_topic": source_topic,
        "reason": reason[:4000],
        "status": OUTSTANDING,
        "attempts": 1,
        "first_failed_at": now,
        "last_failed_at": now,
    }
    insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(
        dead_letters
    ).values(values)
    again = {
        "reason": insert.excluded.reason,
        "status": OUTSTANDING,
        "attempts": dead_letters.c.attempts + 1,
        "last_failed_at": insert.excluded.last_failed_at,
        "source_topic": sa.func.coalesce(insert.excluded.source_topic, dead_letters.c.source_topic),
    }
    statement = insert.on_conflict_do_update(index_elements=["job_id", "chunk_no"], set_=again)
    with engine.begin() as conn:
        conn.execute(statement)


def list_letters(
    engine: Engine,
    *,
    include_all: bool = False,
    job_ids: Iterable[str] = (),
    reason_contains: str | None = None,
) -> list[DeadLetterRow]:
    """Outstanding letters (or every letter with ``include_all``), oldest failure first."""
    resolved = sa.exists().where(
        ledger.c.job_id == dead_letters.c.job_id, ledger.c.chunk_no == dead_letters.c.chunk_no
    )
    query = sa.select(dead_letters, resolved.label("resolved")).order_by(
        dead_letters.c.first_failed_at, dead_letters.c.job_id, dead_letters.c.chunk_no
    )
    jobs = list(job_ids)
    if jobs:
        query = query.where(dead_letters.c.job_id.in_(jobs))
    if reason_contains:
        query = query.where(dead_letters.c.reason.contains(reason_contains, autoescape=True))
    if not include_all:
        query = query.where(dead_letters.c.status == OUTSTANDING, ~resolved)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        DeadLetterRow(
            job_id=r["job_id"],
            chunk_no=int(r["chunk_no"]),
            tenant=r["tenant"],
            dataset=r["dataset"],
            source_topic=r["source_topic"],
            reason=r["reason"],
            state="resolved" if r["resolved"] else r["status"],
            attempts=int(r["attempts"]),
            first_failed_at=r["first_failed_at"],
            last_failed_at=r["last_failed_at"],
            discard_reason=r["discard_reason"],
        )
        for r in rows
    ]


def mark(
    engine: Engine,
    letters: Iterable[tuple[str, int]],
    status: Literal["redriven", "discarded"],
    discard_reason: str | None = None,
) -> int:
    """Mark letters (job id, chunk no) as re-driven or discarded; returns how many changed."""
    now = datetime.now(UTC)
    values: dict[str, object] = {"status": status}
    values.update(
        {"redriven_at": now}
        if status == REDRIVEN
        else {"discarded_at": now, "discard_reason": discard_reason}
    )
    changed = 0
    with engine.begin() as conn:
        for job_id, chunk_no in letters:
            update = (
                sa.update(dead_letters)
                .where(dead_letters.c.job_id == job_id, dead_letters.c.chunk_no == chunk_no)
                .values(values)
            )
            changed += conn.execute(update).rowcount
    return changed


def unmark_redriven(engine: Engine, letters: Iterable[tuple[str, int]]) -> int:
    """Letters whose re-drive was never delivered are outstanding again (the worker never saw
    them, so nothing else can have changed their state); returns how many changed."""
    values = {"status": OUTSTANDING, "redriven_at": None}
    changed = 0
    with engine.begin() as conn:
        for job_id, chunk_no in letters:
            update = (
                sa.update(dead_letters)
                .where(
                    dead_letters.c.job_id == job_id,
                    dead_letters.c.chunk_no == chunk_no,
                    dead_letters.c.status == REDRIVEN,
                )
                .values(values)
            )
            changed += conn.execute(update).rowcount
    return changed
