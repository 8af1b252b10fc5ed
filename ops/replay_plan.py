"""What a replay would do, decided without I/O: which chunk records an operator's selection
names, which of them the database already holds, which are gone with the topic's retention,
and whether the request must be refused before anything is published.

ops/replay.py gathers the inputs (chunk records' headers from ``chunks.<tier>``, jobs from
the progress topic, the ledger) and carries the plan out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from schemas.settings import Tier

Target = Literal["db", "results", "both"]
TARGETS: tuple[Target, ...] = ("db", "results", "both")
_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_time(text: str, now: datetime) -> datetime:
    """An ISO 8601 time (UTC when it names no zone) or an age: ``90m``, ``36h``, ``7d``."""
    relative = _RELATIVE.match(text)
    if relative:
        return now - timedelta(seconds=int(relative[1]) * _UNIT_SECONDS[relative[2]])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not a time: give ISO 8601 (2025-01-31T18:00) or an age (36h, 7d)"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ChunkRef:
    """One chunk record found on ``chunks.<tier>``, by its headers."""

    tier: Tier
    partition: int
    offset: int
    timestamp_ms: int
    job_id: str
    chunk_no: int
    rows: int
    tenant: str
    dataset: str

    @property
    def chunk(self) -> tuple[str, int]:
        return (self.job_id, self.chunk_no)


@dataclass(frozen=True)
class JobFacts:
    """A job as its last status tells (the compacted progress topic)."""

    job_id: str
    tenant: str
    dataset: str
    state: str
    chunks_total: int | None
    tier: Tier = "high"
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Selection:
    jobs: tuple[str, ...] = ()
    dataset: str | None = None
    tenant: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.jobs or self.dataset or self.tenant or self.since or self.until)

    def matches(self, ref: ChunkRef) -> bool:
        at = datetime.fromtimestamp(ref.timestamp_ms / 1000, UTC)
        return (
            (not self.jobs or ref.job_id in self.jobs)
            and (self.dataset is None or ref.dataset == self.dataset)
            and (self.tenant is None or ref.tenant == self.tenant)
            and (self.since is None or at >= self.since)
            and (self.until is None or at < self.until)
        )

    def covers_job(self, facts: JobFacts) -> bool:
        """Whether all of a job's chunks fall in this selection: a job named, or one of the
        dataset/tenant submitted inside the window (its chunks are published after that)."""
        if self.jobs:
            return facts.job_id in self.jobs
        at = facts.submitted_at
        if (self.since or self.until) and at is None:
            return False
        return (
            (self.dataset is None or facts.dataset == self.dataset)
            and (self.tenant is None or facts.tenant == self.tenant)
            and (self.since is None or (at is not None and at >= self.since))
            and (self.until is None or (at is not None and at < self.until))
        )


@dataclass(frozen=True)
class JobSummary:
    job_id: str
    tenant: str
    dataset: str
    chunks: int
    rows: int
    to_write: int  # chunks the ledger lacks: a database replay writes these


@dataclass(frozen=True)
class ReplayPlan:
    target: Target
    chunks: list[ChunkRef]  # each chunk once: its latest record
    to_write: frozenset[tuple[str, int]]  # (job, chunk) the ledger lacks
    jobs: list[JobSummary]
    gone: dict[str, list[int]] = field(default_factory=dict)  # job -> chunks no longer on Kafka

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.chunks)

    def records(self) -> frozenset[tuple[str, int, int]]:
        """(tier, partition, offset) of the records to replay (a chunk may be on a topic
        twice; only its latest record is replayed)."""
        return frozenset((c.tier, c.partition, c.offset) for c in self.chunks)


def refusals(
    selection: Selection,
    found: Iterable[ChunkRef],
    jobs: Mapping[str, JobFacts],
    datasets: Iterable[str],
) -> list[str]:
    """Why this replay must not run; empty when it may. Checked before anything is sent."""
    known = set(datasets)
    if selection.is_empty:
        return ["say what to replay: --job, --dataset, --tenant, or --since/--until"]
    problems = []
    if selection.since and selection.until and selection.since >= selection.until:
        problems.append("--since must be before --until")
    if selection.dataset is not None and selection.dataset not in known:
        problems.append(
            f"unknown dataset {selection.dataset!r} (known: {', '.join(sorted(known))})"
        )
    seen: dict[str, ChunkRef] = {}
    for found_ref in found:
        seen.setdefault(found_ref.job_id, found_ref)
    for job_id in selection.jobs:
        owner: JobFacts | ChunkRef | None = jobs.get(job_id) or seen.get(job_id)
        if owner is None:
            problems.append(f"unknown job {job_id!r}: no status and no chunk records of it")
        elif selection.tenant is not None and owner.tenant != selection.tenant:
            problems.append(f"job {job_id!r} is not tenant {selection.tenant!r}'s")
        elif owner.dataset not in known:
            problems.append(f"job {job_id!r} is of unknown dataset {owner.dataset!r}")
    return problems


def build_plan(
    selection: Selection,
    found: Iterable[ChunkRef],
    jobs: Mapping[str, JobFacts],
    in_ledger: Iterable[tuple[str, int]],
    target: Target = "db",
) -> ReplayPlan:
    """The chunks to replay, each once (its latest record), and the chunks of a named or
    selected job that are no longer on Kafka (past retention)."""
    latest: dict[tuple[str, int], ChunkRef] = {}
    for ref in found:
        if selection.matches(ref):
            held = latest.get(ref.chunk)
            if held is None or (ref.timestamp_ms, ref.offset) > (held.timestamp_ms, held.offset):
                latest[ref.chunk] = ref
    chunks = sorted(latest.values(), key=lambda r: (r.job_id, r.chunk_no))
    saved = set(in_ledger)
    to_write = frozenset(r.chunk for r in chunks if r.chunk not in saved)
    summaries: dict[str, JobSummary] = {}
    for r in chunks:
        s = summaries.get(r.job_id) or JobSummary(r.job_id, r.tenant, r.dataset, 0, 0, 0)
        summaries[r.job_id] = JobSummary(
            r.job_id,
            r.tenant,
            r.dataset,
            s.chunks + 1,
            s.rows + r.rows,
            s.to_write + (r.chunk in to_write),
        )
    gone: dict[str, list[int]] = {}
    # a job whose chunks all fall in the selection must have each of them on the topic; a
    # number missing is a chunk gone with the topic's retention (or a job wholly gone)
    covered = [*selection.jobs, *(j for j, f in jobs.items() if selection.covers_job(f))]
    for job_id in dict.fromkeys(covered):
        facts = jobs.get(job_id)
        if facts is not None and facts.chunks_total is not None:
            have = {r.chunk_no for r in chunks if r.job_id == job_id}
            lost = [n for n in range(facts.chunks_total) if n not in have]
            if lost:
                gone[job_id] = lost
    return ReplayPlan(target, chunks, to_write, list(summaries.values()), gone)


def expired(chunks: Iterable[ChunkRef], earliest: Mapping[tuple[Tier, int], int]) -> list[ChunkRef]:
    """Planned chunks whose record lies before its partition's earliest offset now: the
    topic's retention removed them after the plan was made."""
    return [c for c in chunks if c.offset < earliest.get((c.tier, c.partition), 0)]


def retention_advice(topic: str, retention_ms: int | None, bootstrap: str) -> str:
    """What the topic keeps, and how to keep more."""
    kept = "without limit" if retention_ms is None else f"for {_human(retention_ms)}"
    return (
        f"{topic} keeps records {kept}; older chunks cannot be replayed (use `bulkflow reparse"
        f" --job J` while the spooled file exists). To keep more: kafka-configs"
        f" --bootstrap-server {bootstrap} --alter --entity-type topics --entity-name {topic}"
        " --add-config retention.ms=<ms> (new deployments: retention in messaging/names.py)"
    )


def _human(ms: int) -> str:
    seconds = ms // 1000
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"
