"""Every Kafka name bulkflow uses, declared once and derived from ``settings.topic_prefix``:
topics (name, partitions, configs) and consumer groups (faust app ids included)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from schemas.settings import TIERS, Settings, Tier

SEVEN_DAYS_MS = str(7 * 24 * 3600 * 1000)
# an uploaded file travels as records of at most this many bytes (messaging/upload_blobs.py)
UPLOAD_BLOB_PART_BYTES = 1 << 20
# a batch of blob parts may reach the client's message.max.bytes (messaging/clients.py)
UPLOAD_BLOB_MAX_MESSAGE_BYTES = str(4 * 1024 * 1024)
# segments roll often enough that retention removes an expired file within hours of expiry
UPLOAD_BLOB_SEGMENT_MS = str(6 * 3600 * 1000)
# the aggregator's faust table of every job's progress; faust keeps it in a changelog topic
PROGRESS_TABLE = "job-progress"
# a spool keeps a job's record copy and chunk plan (what a re-parse needs besides the file)
# as long as uploads-blobs may keep the file, with a day for the last segment's roll
SPOOL_SIDE_FILES_S = (int(SEVEN_DAYS_MS) + int(UPLOAD_BLOB_SEGMENT_MS)) / 1000 + 24 * 3600


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


class TopicNames:
    """Topic names under one prefix, so tests and tenants of a cluster stay apart."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def uploads(self, tier: Tier) -> str:
        return f"{self.prefix}.uploads.{tier}"

    @property
    def upload_blobs(self) -> str:
        """The uploaded files' bytes, in parts keyed by job id (one partition per file)."""
        return f"{self.prefix}.uploads-blobs"

    def chunks(self, tier: Tier) -> str:
        return f"{self.prefix}.chunks.{tier}"

    @property
    def jobs(self) -> str:
        return f"{self.prefix}.jobs"

    @property
    def chunk_results(self) -> str:
        return f"{self.prefix}.chunk-results"

    @property
    def progress(self) -> str:
        return f"{self.prefix}.progress"

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def dlq(self) -> str:
        return f"{self.prefix}.dlq"

    @property
    def replays(self) -> str:
        """Operator runs (``bulkflow replay``): replay.started / replay.completed, keyed by
        the replay id, apart from ``events``, whose records are each about one job."""
        return f"{self.prefix}.replays"

    def results(self, dataset: str) -> str:
        """``dataset``: the dataset's results name, ``orders`` or ``orders.v2`` (its major)."""
        return f"{self.prefix}.results.{dataset}"

    @property
    def progress_changelog(self) -> str:
        """faust's changelog of the aggregator's table (faust's own name for it: the app
        id, the table name, ``-changelog``)."""
        return f"{GroupNames(self.prefix).aggregator}-{PROGRESS_TABLE}-changelog"


def topic_names(settings: Settings) -> TopicNames:
    return TopicNames(settings.topic_prefix)


def tier_sets_with(tier: Tier) -> list[tuple[Tier, ...]]:
    """Every tier set a worker can be started with (``bulkflow worker --tier ...``) that
    holds ``tier``, each in the canonical TIERS order."""
    subsets = [tuple(t for i, t in enumerate(TIERS) if mask >> i & 1) for mask in range(1, 8)]
    return [s for s in subsets if tier in s]


def instance_id() -> str:
    """A fresh suffix for a group that must be the only member of its group (a view, a
    listing): it commits nothing that another instance could pick up."""
    return uuid.uuid4().hex[:8]


class GroupNames:
    """Consumer-group names under one prefix. A faust app's id is its consumer group, so
    the worker and aggregator app ids are declared here too."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @property
    def producer(self) -> str:
        """The producer service, on ``uploads.<tier>``."""
        return f"{self.prefix}-producer"

    @property
    def blob_fetch(self) -> str:
        """A producer fetching an uploaded file: it assigns partitions and never commits."""
        return f"{self.prefix}-blob-fetch"

    @property
    def workers_prefix(self) -> str:
        """What every worker group's name starts with."""
        return f"{self.prefix}-chunks-"

    def workers(self, tiers: tuple[Tier, ...] | list[Tier]) -> str:
        """The chunk workers of one tier set (faust app id): one group per tier set."""
        ordered = [t for t in TIERS if t in tiers]
        return f"{self.workers_prefix}{'-'.join(ordered)}"

    def workers_reading(self, tier: Tier) -> list[str]:
        """Every worker group that may consume ``chunks.<tier>``: the lag probe reads their
        committed offsets."""
        return [self.workers(s) for s in tier_sets_with(tier)]

    @property
    def aggregator(self) -> str:
        """The progress aggregator (faust app id)."""
        return f"{self.prefix}-progress"

    @property
    def lag_probe(self) -> str:
        """The producer's lag probe: it only reads watermarks and never commits."""
        return f"{self.prefix}-lag-probe"

    def progress_view(self, instance: str) -> str:
        """The API's status view, one group per API process (it assigns, never commits)."""
        return f"{self.prefix}-api-view-{instance}"

    def api_stats(self, instance: str) -> str:
        """The API's /metrics follower of ``chunk-results``, one group per API process."""
        return f"{self.prefix}-api-stats-{instance}"

    def dlq_read(self, instance: str) -> str:
        """``bulkflow dlq redrive`` reading letters back: assigned, commits nothing (the
        letters' state is in the database)."""
        return f"{self.prefix}-dlq-read-{instance}"

    def replay_scan(self, instance: str) -> str:
        """``bulkflow replay`` reading chunk records back: assigned, commits nothing, so no
        worker group's position moves."""
        return f"{self.prefix}-replay-scan-{instance}"

    def horizon_scan(self, instance: str) -> str:
        """``bulkflow gc`` reading the first record left on each topic that can replay a
        chunk: assigned, commits nothing."""
        return f"{self.prefix}-horizon-scan-{instance}"

    def job_lookup(self, instance: str) -> str:
        """The operator commands reading the progress topic to learn a job's tenant, dataset
        and state: assigned, commits nothing."""
        return f"{self.prefix}-job-lookup-{instance}"

    def reader(self, name: str) -> str:
        """A downstream reader's group (``results.*``, ``events``, ``progress``): the
        reader role's ACLs allow every group with this prefix."""
        return f"{self.prefix}-reader-{name}"


def group_names(settings: Settings) -> GroupNames:
    return GroupNames(settings.topic_prefix)


def replaying_topics(settings: Settings) -> list[str]:
    """The topics whose records can write a chunk again: the chunk topics (replay, a
    worker's redelivery), the DLQ (redrive), the upload records and the uploaded files (a
    producer's re-parse). The chunk ledger must outlive what they keep."""
    names = topic_names(settings)
    return [
        *(names.chunks(t) for t in TIERS),
        names.dlq,
        *(names.uploads(t) for t in TIERS),
        names.upload_blobs,
    ]


def declared_topics(
    settings: Settings, datasets: list[str] | tuple[str, ...] = ()
) -> list[TopicSpec]:
    """The topics of one deployment. ``jobs`` and ``chunk-results`` share a partition
    count because the progress aggregator joins them by job id (co-partitioned)."""
    names = topic_names(settings)
    n = settings.topic_partitions
    retention = {"retention.ms": SEVEN_DAYS_MS}
    # chunk records stay under chunk_max_bytes; the topic allows twice that as headroom
    big = {**retention, "max.message.bytes": str(2 * settings.chunk_max_bytes + 65536)}
    specs = [TopicSpec(names.uploads(t), n, dict(retention)) for t in TIERS]
    # kept as long as the upload records that point into it; removed by retention only
    blobs = {
        **retention,
        "max.message.bytes": UPLOAD_BLOB_MAX_MESSAGE_BYTES,
        "segment.ms": UPLOAD_BLOB_SEGMENT_MS,
    }
    specs.append(TopicSpec(names.upload_blobs, n, blobs))
    specs += [TopicSpec(names.chunks(t), settings.chunk_partitions, dict(big)) for t in TIERS]
    specs += [
        TopicSpec(names.jobs, n, dict(retention)),
        TopicSpec(names.chunk_results, n, dict(retention)),
        TopicSpec(
            names.progress,
            n,
            {
                "cleanup.policy": "compact",
                "min.cleanable.dirty.ratio": "0.1",
                "segment.ms": str(3600 * 1000),
            },
        ),
        TopicSpec(names.events, n, dict(retention)),
        TopicSpec(names.replays, 1, dict(retention)),
        TopicSpec(names.dlq, n, {**big, "retention.ms": str(30 * 24 * 3600 * 1000)}),
        # faust's: co-partitioned with jobs and chunk-results, compacted as faust makes it
        TopicSpec(names.progress_changelog, n, {"cleanup.policy": "compact"}),
    ]
    specs += [TopicSpec(names.results(d), n, dict(big)) for d in datasets]
    return specs
