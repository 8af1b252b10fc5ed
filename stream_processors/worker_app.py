"""The worker app: a faust agent per tier that hands each chunk record to ChunkHandler
(validate + persist, in a thread) and sends what comes back where chunk_routing.py says.

The agent bodies only move records; the aggregator is aggregator_app.py.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust

from messaging.names import group_names, topic_names
from messaging.publisher import Delivery, Publisher
from schemas.dataset import DatasetRegistry
from schemas.headers import H_ERROR, H_ERROR_STAGE, H_SOURCE_TOPIC
from schemas.settings import TIERS, Settings, Tier
from stream_processors.chunk_handler import ChunkHandler
from stream_processors.chunk_output import ChunkOutput
from stream_processors.chunk_routing import RoutedRecord, route_chunk_output
from stream_processors.errors import PermanentChunkError
from stream_processors.faust_common import build_faust_app, raw_topic

log = logging.getLogger(__name__)
RESULTS_TIMEOUT_S = 120.0


def worker_app_id(settings: Settings, tiers: tuple[Tier, ...]) -> str:
    # the app id is the consumer group; the producer's lag probe reads the same name
    return group_names(settings).workers(tiers)


def create_worker_app(settings: Settings, tiers: tuple[Tier, ...] = TIERS) -> faust.App:
    """The chunk workers of the given tiers, each tier with its own concurrency."""
    app = build_faust_app(settings, worker_app_id(settings, tiers))
    names = topic_names(settings)
    datasets = DatasetRegistry(settings.datasets_dir)
    handler = ChunkHandler(settings.db_url, datasets)
    handler.prepare()  # a dataset change that would lose data stops the worker here
    executor = ThreadPoolExecutor(max_workers=sum(settings.concurrency(t) for t in tiers))
    chunk_results = raw_topic(app, names.chunk_results)
    dlq = raw_topic(app, names.dlq)
    # results records go through librdkafka, not faust's producer (docs/decisions.md)
    results_publisher = Publisher(settings, **{"compression.type": settings.stream_compression})

    async def process(event: faust.EventT, tier: Tier) -> None:
        message = event.message
        headers = message.headers
        loop = asyncio.get_running_loop()
        try:
            output: ChunkOutput = await loop.run_in_executor(
                executor,
                functools.partial(
                    handler.handle, source_topic=message.topic, priority=TIERS.index(tier)
                ),
                headers,
                bytes(message.value or b""),
            )
        except PermanentChunkError as exc:  # no usable headers: nothing to report a job on
            await _dead_letter(dlq, message, str(exc), "headers")
            return
        routes = route_chunk_output(output, names)
        if routes.dead_letter_reason is not None:
            await _dead_letter(dlq, message, routes.dead_letter_reason, "process")
        elif routes.results:
            # durable when this returns: the chunk's result (and its offset) comes after
            await loop.run_in_executor(executor, send_results, results_publisher, routes.results)
        delivered = await chunk_results.send(
            key=routes.chunk_result.key, value=routes.chunk_result.value
        )
        await delivered  # the chunk's offset is committed only after its result is out

    for tier in tiers:
        source = raw_topic(app, names.chunks(tier))

        async def agent_body(stream: faust.StreamT, tier: Tier = tier) -> None:
            async for event in stream.events():
                await process(event, tier)

        agent_body.__name__ = f"process_{tier}_chunks"
        app.agent(source, name=f"chunks-{tier}", concurrency=settings.concurrency(tier))(agent_body)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    def _close(app: faust.App, **_kw: Any) -> None:  # pragma: no cover - shutdown path
        handler.close()
        executor.shutdown(wait=False, cancel_futures=True)
        results_publisher.close()

    return app


def send_results(
    publisher: Publisher, records: Sequence[RoutedRecord], timeout_s: float = RESULTS_TIMEOUT_S
) -> None:
    """Send a chunk's results records and wait for their acknowledgements (in the handler's
    thread): durable when this returns, else PublishError. Through librdkafka rather than
    faust's aiokafka producer, which builds each produce request in Python and copies a
    large record several times over (docs/decisions.md)."""
    delivery = Delivery()
    for record in records:
        publisher.produce(
            record.topic, record.value, record.key, record.headers, timeout_s, delivery=delivery
        )
    publisher.wait(delivery, timeout_s)


def _header_list(headers: Any) -> list[tuple[str, bytes]]:
    items = headers.items() if isinstance(headers, dict) else headers or []
    return [(str(k), v) for k, v in items]


async def _dead_letter(dlq: faust.TopicT, message: Any, reason: str, stage: str) -> None:
    headers = _header_list(message.headers)
    headers += [
        (H_ERROR, reason.encode()[:4000]),
        (H_ERROR_STAGE, stage.encode()),
        (H_SOURCE_TOPIC, message.topic.encode()),
    ]
    delivered = await dlq.send(key=message.key, value=message.value, headers=headers)
    await delivered
