"""The faust entry module: builds the one app of this process from settings and runs it.

``bulkflow worker [--tier high,medium,low]`` and ``bulkflow aggregator`` call ``run``.
Nothing is built at import time.
"""

from __future__ import annotations

import faust

from schemas.settings import TIERS, Settings, Tier


def build_app(settings: Settings, role: str, tiers: tuple[Tier, ...] = TIERS) -> faust.App:
    from stream_processors.agents import create_aggregator_app, create_worker_app

    if role == "aggregator":
        return create_aggregator_app(settings)
    return create_worker_app(settings, tiers)


def run(
    settings: Settings, role: str, tiers: tuple[Tier, ...] = TIERS, loglevel: str = "info"
) -> None:
    app = build_app(settings, role, tiers)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    # faust keeps its terminal spinner at WARN and above, and for it sets the root logger to
    # DEBUG: every aiokafka debug record was then built and dropped (~10% of the CPU).
    worker.spinner = None
    worker.execute_from_commandline()
