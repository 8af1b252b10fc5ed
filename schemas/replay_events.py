"""On ``replays`` (key: the replay id): an operator's ``bulkflow replay`` run, its start and
its end with its counts. What it did to each job is on ``events`` (schemas/events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from schemas.records import utcnow


class ReplayEvent(BaseModel):
    type: Literal["replay.started", "replay.completed"]
    replay_id: str
    target: Literal["db", "results", "both"]
    selection: dict[str, str | list[str] | None]
    jobs: list[str] = Field(default_factory=list)
    chunks: int = 0
    rows: int = 0
    written: int = 0  # chunks written to the database (the ledger lacked them)
    skipped: int = 0  # chunks the ledger already held
    emitted: int = 0  # result records re-emitted
    dead_lettered: int = 0
    not_replayable: int = 0  # chunks of a named job gone with the topic's retention
    at: datetime = Field(default_factory=utcnow)
