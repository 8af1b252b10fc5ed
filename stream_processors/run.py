"""The faust entry module: builds the one app of this process from settings and runs it.

``bulkflow worker [--tier high,medium,low]`` and ``bulkflow aggregator`` call ``run``.
Nothing is built at import time.
"""

from __future__ import annotations

import asyncio

import faust
import uvloop

from messaging.faust_patches import silence_worker_spinner
from messaging.preflight import KafkaCheck, check_kafka_soon
from schemas.settings import TIERS, Settings, Tier


def build_app(settings: Settings, role: str, tiers: tuple[Tier, ...] = TIERS) -> faust.App:
    if role == "aggregator":
        from stream_processors.aggregator_app import create_aggregator_app

        return create_aggregator_app(settings)
    from stream_processors.worker_app import create_worker_app

    return create_worker_app(settings, tiers)


def run(
    settings: Settings,
    role: str,
    tiers: tuple[Tier, ...] = TIERS,
    loglevel: str = "info",
    kafka_checked: KafkaCheck | None = None,
) -> None:
    """``kafka_checked``: waits for the Kafka check (messaging.preflight.check_kafka_soon)
    that the caller started before importing this module; else it starts here."""
    kafka_checked = kafka_checked or check_kafka_soon(settings, role)  # while it builds
    # before anything makes a loop: faust's worker takes the policy's (uvloop: docs/decisions.md)
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    app = build_app(settings, role, tiers)  # a dataset change that loses data stops here
    kafka_checked()
    if role == "worker":
        # a dataset added to the folder needs its results topic before its first chunk:
        # without it the send would wait for the topic forever (auto-creation is off)
        from messaging.topics import create_result_topics
        from schemas.dataset import DatasetRegistry

        create_result_topics(settings, DatasetRegistry(settings.datasets_dir).results_names())
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    silence_worker_spinner(worker)  # else every aiokafka debug record is built, then dropped
    worker.execute_from_commandline()
