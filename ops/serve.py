"""``bulkflow serve``: the whole pipeline on one machine, as supervised processes."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ops.supervisor import Supervisor
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
    from messaging.topics import create_topics
    from schemas.dataset import DatasetRegistry

    # a database URL or a schema no child can work with stops serve here, in one line,
    # rather than in children restarted over and over
    check_database(settings.db_url, DatasetRegistry(settings.datasets_dir))
    create_topics(settings, DatasetRegistry(settings.datasets_dir).names())
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
            stop.wait(0.5)
    finally:
        echo("stopping ...")
        started = time.monotonic()
        supervisor.stop(SERVE_STOP_S)
        echo(f"stopped in {time.monotonic() - started:.1f}s")
