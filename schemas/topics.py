"""Every topic bulkflow uses, declared once: name, partitions, configs."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.settings import TIERS, Settings, Tier

SEVEN_DAYS_MS = str(7 * 24 * 3600 * 1000)


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

    def results(self, dataset: str) -> str:
        return f"{self.prefix}.results.{dataset}"


def topic_names(settings: Settings) -> TopicNames:
    return TopicNames(settings.topic_prefix)


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
        TopicSpec(names.dlq, n, {**big, "retention.ms": str(30 * 24 * 3600 * 1000)}),
    ]
    specs += [TopicSpec(names.results(d), n, dict(big)) for d in datasets]
    return specs
