"""Where a small upload's time goes, from the timestamps already on its records.

For each job, the stages follow one another from the client's POST to the final status:

- ``accept``: POST sent -> answered (spool, blob publish, upload record, queued status)
- ``to_parse``: answered -> ``registered`` (uploads.<tier> topic, the producer's queue and
  its current job, the blob fetch, opening the file)
- ``parse``: ``registered`` -> the last chunk produced (the chunk record's timestamp)
- ``chunk_wait``: last chunk produced -> a worker starts the last chunk to start (chunks.<tier>
  topic and the worker's queue; start = result ``at`` - ``duration_ms``)
- ``chunk_work``: that start -> the last chunk result (validate and persist)
- ``seal_tail``: last chunk result -> ``finished_at`` when the seal comes after it
- ``aggregate``: ``finished_at`` -> the final status on the progress topic (its timestamp)

The reading of the topics is at the edge (``read_topic``); the breakdown is pure.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STAGES = ("accept", "to_parse", "parse", "chunk_wait", "chunk_work", "seal_tail", "aggregate")
FINAL = {"completed", "completed_with_errors", "failed"}


@dataclass
class JobTimes:
    """What the records say about one job, as epoch seconds."""

    submitted: float = 0.0  # the client's clock, before the POST
    answered: float = 0.0  # the client's clock, after the POST's answer
    registered: float | None = None
    sealed: float | None = None
    chunk_produced: list[float] = field(default_factory=list)
    chunk_started: list[float] = field(default_factory=list)
    chunk_done: list[float] = field(default_factory=list)
    final_status: float | None = None  # the progress record's timestamp

    def stages(self) -> dict[str, float] | None:
        """The stages of a job seen through to its end, else None."""
        if None in (self.registered, self.sealed, self.final_status) or not self.chunk_done:
            return None
        assert self.registered is not None and self.sealed is not None
        assert self.final_status is not None
        produced = max(self.chunk_produced, default=self.registered)
        started = max(self.chunk_started)
        done = max(self.chunk_done)
        finished = max(done, self.sealed)
        return {
            "accept": self.answered - self.submitted,
            "to_parse": self.registered - self.answered,
            "parse": produced - self.registered,
            "chunk_wait": started - produced,
            "chunk_work": done - started,
            "seal_tail": finished - done,
            "aggregate": self.final_status - finished,
        }


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def fold_records(
    jobs: dict[str, JobTimes],
    job_events: list[bytes],
    chunk_results: list[bytes],
    chunk_records: list[tuple[str, float]],
    progress: list[tuple[bytes, float]],
) -> None:
    """Add what the topics hold to ``jobs`` (records of other jobs are ignored)."""
    for value in job_events:
        event = json.loads(value)
        times = jobs.get(event["job_id"])
        if times is None:
            continue
        if event["kind"] == "registered":
            times.registered = _epoch(event["at"])
        elif event["kind"] == "sealed":
            times.sealed = _epoch(event["at"])
    for value in chunk_results:
        result = json.loads(value)
        times = jobs.get(result["job_id"])
        if times is not None:
            at = _epoch(result["at"])
            times.chunk_done.append(at)
            times.chunk_started.append(at - result["duration_ms"] / 1000)
    for job_id, timestamp in chunk_records:
        if job_id in jobs:
            jobs[job_id].chunk_produced.append(timestamp)
    for value, timestamp in progress:
        status = json.loads(value)
        times = jobs.get(status["job_id"])
        if times is not None and status["state"] in FINAL and times.final_status is None:
            times.final_status = timestamp


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def breakdown(jobs: list[JobTimes]) -> list[str]:
    """Lines for a person: each stage's p50 and p95 over all jobs, and its mean over the
    slowest 5% (what the p95 is made of)."""
    rows = [s for s in (j.stages() for j in jobs) if s is not None]
    if not rows:
        return ["no job seen through all its records"]
    totals = [sum(r.values()) for r in rows]
    cut = percentile(totals, 0.95)
    slow = [r for r, total in zip(rows, totals, strict=True) if total >= cut]
    lines = [f"stages of {len(rows)} jobs (s):   p50     p95   mean of slowest {len(slow)}"]
    for stage in STAGES:
        values = [r[stage] for r in rows]
        lines.append(
            f"  {stage:<12} {statistics.median(values):7.2f} {percentile(values, 0.95):7.2f}"
            f" {statistics.fmean(r[stage] for r in slow):9.2f}"
        )
    lines.append(
        f"  {'total':<12} {statistics.median(totals):7.2f} {cut:7.2f}"
        f" {statistics.fmean(sum(r.values()) for r in slow):9.2f}"
    )
    return lines


def read_topic(bootstrap: str, topic: str) -> Iterator[Any]:
    """Every record now on ``topic``, from the beginning of each partition."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "small-bench-stages", "enable.auto.commit": 0}
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        partitions = list(metadata.topics[topic].partitions)
        ends = {}
        for p in partitions:
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > 0:
                ends[p] = high
        consumer.assign([TopicPartition(topic, p, 0) for p in ends])
        while ends:
            messages = consumer.consume(500, timeout=5.0)
            if not messages:
                break
            for msg in messages:
                if msg.error() is not None:
                    continue
                yield msg
                if (msg.offset() or 0) + 1 >= ends.get(msg.partition(), 0):
                    ends.pop(msg.partition(), None)
    finally:
        consumer.close()


def collect(bootstrap: str, names: Any, tier: str, jobs: dict[str, JobTimes]) -> None:
    """Read the pipeline's topics into ``jobs`` (at the end of a run: all is there)."""
    job_events = [m.value() for m in read_topic(bootstrap, names.jobs)]
    results = [m.value() for m in read_topic(bootstrap, names.chunk_results)]
    chunks = [
        (dict(m.headers() or [])["job_id"].decode(), m.timestamp()[1] / 1000)
        for m in read_topic(bootstrap, names.chunks(tier))
    ]
    progress = [(m.value(), m.timestamp()[1] / 1000) for m in read_topic(bootstrap, names.progress)]
    fold_records(jobs, job_events, results, chunks, progress)
