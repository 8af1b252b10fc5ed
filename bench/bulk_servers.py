"""The bench's own Kafka: one local broker on free ports, started and ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.bulk_output import log


def start_broker(home: Path) -> Any:
    """A started LocalBroker under ``home`` on free ports (the caller stops it)."""
    from ops.devservers.broker import LocalBroker, free_port
    from schemas.settings import load_settings

    broker = LocalBroker(
        load_settings(home=home, broker_port=free_port(), controller_port=free_port())
    )
    broker.start(echo=lambda m: log(f"  {m}"))
    return broker
