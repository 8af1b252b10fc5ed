"""``bulkflow serve``: the whole pipeline on one machine, as supervised processes."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ops.supervisor import Supervisor
from schemas.errors import ConfigError
from schemas.settings import Settings

# Ctrl-C: each process gets this long to stop cleanly, then it is killed. That loses nothing:
# an upload is committed only once its job is sealed, a chunk's rows and its ledger row are
# one transaction, so the next start takes up whatever was under way (a worker that is
# writing chunks took 5-6 s to stop on its own).
SERVE_STOP_S = 4.0


def build_supervisor(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int = 1,
    producers: int = 1,
    log_dir: Path | None = None,
    restart: bool = True,
) -> Supervisor:
    supervisor = Supervisor(settings, log_dir or settings.home / "logs", restart=restart)
    supervisor.add("api", "api", "--host", host, "--port", str(port))
    for i in range(producers):
        supervisor.add(f"producer-{i + 1}", "producer")
    for i in range(workers):
        supervisor.add(f"worker-{i + 1}", "worker", "--loglevel", "warning")
    supervisor.add("aggregator", "aggregator", "--loglevel", "warning")
    if settings.gc_interval_s > 0:  # retention, one process for the machine (ops/gc.py)
        supervisor.add("gc", "gc", "--every", str(settings.gc_interval_s))
    return supervisor


def run_serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    producers: int,
    echo: Callable[[str], None],
) -> None:
    from database.preflight import check_database
    from messaging.preflight import check_kafka
    from messaging.topics import create_topics
    from schemas.dataset import DatasetRegistry

    # a database URL or a schema no child can work with stops serve here, in one line,
    # rather than in children restarted over and over
    registry = DatasetRegistry(settings.datasets_dir)
    check_database(settings.db_url, registry)
    check_kafka(settings)  # each child checks its role's rights when it starts
    create_topics(settings, registry.results_names())
    supervisor = build_supervisor(
        settings, host=host, port=port, workers=workers, producers=producers
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    supervisor.start()
    echo(
        f"bulkflow serving on http://{host}:{port} "
        f"({', '.join(supervisor.children)}); logs in {supervisor.log_dir}; Ctrl-C stops"
    )
    try:
        while not stop.is_set():
            for event in supervisor.poll():
                echo(event)
            if supervisor.failed:  # restarting would fail again: stop everything
                name, line = next(iter(supervisor.failed.items()))
                raise ConfigError(f"{name} stopped: {line} (log {supervisor.log_dir})")
            stop.wait(0.5)
    finally:
        echo("stopping ...")
        started = time.monotonic()
        supervisor.stop(SERVE_STOP_S)
        echo(f"stopped in {time.monotonic() - started:.1f}s")
