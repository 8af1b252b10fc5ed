"""The ``bulkflow`` command line. Each command is a thin call into a package."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from schemas.errors import CONFIG_EXIT_CODE, BulkflowError, ConfigError
from schemas.settings import TIERS, Tier, get_settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="bulkflow: bulk spreadsheet uploads through Kafka, with live progress.",
)
broker_app = typer.Typer(
    no_args_is_help=True, help="The local Kafka broker or cluster (no Docker)."
)
app.add_typer(broker_app, name="broker")
console = Console(stderr=True, soft_wrap=True)
if not console.is_terminal:  # logs and CI: wide enough for the summary table
    console = Console(stderr=True, soft_wrap=True, width=140)


# how long a faust process waits for its Kafka check before it imports faust (seconds of
# CPU) alongside it: a refusal usually comes within one
QUICK_CHECK_S = 3.0


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@broker_app.command("fetch")
def broker_fetch() -> None:
    """Fetch the broker jars into the cache (mvn, once)."""
    from ops.devservers.broker import LocalBroker

    try:
        libs = LocalBroker(get_settings()).ensure_jars(echo=console.print)
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    console.print(f"broker jars ready in {libs}")


def _tiers(value: str) -> tuple[Tier, ...]:
    chosen = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = [t for t in chosen if t not in TIERS]
    if unknown or not chosen:
        raise typer.BadParameter(f"tiers are {', '.join(TIERS)}; got {value!r}")
    return chosen  # type: ignore[return-value]


@app.command("worker")
def worker(
    tier: str = typer.Option(",".join(TIERS), help="tiers this process serves, e.g. high,medium"),
    loglevel: str = typer.Option("info"),
) -> None:
    """Run one chunk worker process (faust); more processes share the work."""
    from database.preflight import check_database
    from messaging.preflight import check_kafka_soon
    from schemas.dataset import DatasetRegistry

    settings, tiers = get_settings(), _tiers(tier)
    checked = check_kafka_soon(settings, "worker")
    # before faust is even imported: a database URL or tables it can never work with stop
    # the worker in one line at once (Kafka is checked meanwhile)
    check_database(settings.db_url, DatasetRegistry(settings.datasets_dir), kind="worker")
    checked.wait(QUICK_CHECK_S, refusals_only=True)  # a refused login stops here
    from ops.process_memory import keep_freed_memory
    from stream_processors.run import run

    keep_freed_memory()
    run(settings, "worker", tiers, loglevel, kafka_checked=checked)


@app.command("aggregator")
def aggregator(loglevel: str = typer.Option("info")) -> None:
    """Run the progress aggregator (faust): jobs + chunk results -> progress, events."""
    from database.preflight import check_database
    from messaging.preflight import check_kafka_soon

    settings = get_settings()
    checked = check_kafka_soon(settings, "aggregator")
    check_database(settings.db_url, kind="aggregator")
    checked.wait(QUICK_CHECK_S, refusals_only=True)  # a refused login stops here
    from ops.process_memory import keep_freed_memory
    from stream_processors.run import run

    keep_freed_memory()
    run(settings, "aggregator", loglevel=loglevel, kafka_checked=checked)


@app.command("producer")
def producer(loglevel: str = typer.Option("INFO")) -> None:
    """Run the producer service: parse uploads into chunk records, highest tier first."""
    import logging
    import signal
    import threading

    from database.preflight import check_database
    from messaging.preflight import check_kafka
    from ops.process_memory import keep_freed_memory
    from producer.service import ProducerService

    keep_freed_memory()
    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    check_database(settings.db_url, kind="producer")
    check_kafka(settings, "producer")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ProducerService(settings).run(stop)


@app.command("produce")
def produce(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dataset: str = typer.Option(..., "--dataset", "-d"),
    tenant: str = typer.Option("default"),
    sheet: str | None = typer.Option(None),
) -> None:
    """Publish one file directly (no API, no upload queue): for operators and tests."""
    from files.upload_record import make_upload_record, new_job_id, spool_copy
    from messaging.preflight import check_kafka
    from messaging.publisher import Publisher
    from producer.publish_job import publish_job
    from schemas.dataset import DatasetRegistry

    settings = get_settings()
    job_id = new_job_id()
    try:
        check_kafka(settings, "operator")
        spooled = spool_copy(settings, file, job_id)
        upload = make_upload_record(
            settings,
            spooled,
            job_id=job_id,
            tenant=tenant,
            dataset=dataset,
            filename=file.name,
            sheet=sheet,
        )
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    with Publisher(settings) as publisher:
        outcome = publish_job(upload, settings, publisher, DatasetRegistry(settings.datasets_dir))
    if not outcome.sealed:
        raise fail(f"job {job_id} parse_failed: {outcome.reason}")
    console.print(
        f"job {job_id}: {outcome.total_chunks} chunks, {outcome.total_rows} rows "
        f"on the {upload.tier} tier in {outcome.seconds:.2f}s"
    )
    print(job_id)


@app.command("api")
def api(
    host: str | None = typer.Option(None, help="default: BULKFLOW_API_HOST (127.0.0.1)"),
    port: int | None = typer.Option(None, help="default: BULKFLOW_API_PORT (8000)"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    from database.preflight import check_database
    from messaging.preflight import check_kafka
    from ops.client import record_api_url
    from ops.process_memory import keep_freed_memory

    settings = get_settings()
    check_database(settings.db_url, kind="api")  # a URL that can never work stops it here
    check_kafka(settings, "api")
    host, port = host or settings.api_host, port or settings.api_port
    record_api_url(settings, host, port)
    keep_freed_memory()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
    )


@app.command("serve")
def serve(
    host: str | None = typer.Option(None, help="default: BULKFLOW_API_HOST (127.0.0.1)"),
    port: int | None = typer.Option(None, help="default: BULKFLOW_API_PORT (8000)"),
    workers: int = typer.Option(1, help="chunk worker processes"),
    producers: int = typer.Option(1, help="producer processes"),
) -> None:
    """API, producer, workers and aggregator on one machine, supervised.

    A process that dies is restarted; Ctrl-C stops them all. The other commands find this
    API's address without being told.
    """
    from ops.client import record_api_url
    from ops.serve import run_serve

    settings = get_settings()
    host, port = host or settings.api_host, port or settings.api_port
    record_api_url(settings, host, port)
    run_serve(
        settings, host=host, port=port, workers=workers, producers=producers, echo=console.print
    )


@app.command("demo")
def demo() -> None:
    """Broker, topics, pipeline, sample uploads at once, live progress, a summary; then stop."""
    from ops.demo import run_demo

    raise typer.Exit(run_demo(get_settings(), console))


def _register_commands() -> None:
    from ops import (
        cli_database,
        cli_housekeeping,
        cli_kafka,
        cli_replay,
        cli_topics,
        cli_uploads,
    )

    cli_uploads.register(app, console, fail)
    cli_replay.register(app, console, fail)
    cli_kafka.register(app, broker_app, console, fail)
    cli_topics.register(app, console, fail)
    cli_database.register(app, console, fail)
    cli_housekeeping.register(app, console, fail)


_register_commands()


def main() -> None:
    try:
        app()
    except BulkflowError as exc:  # a known failure is one line, never a traceback
        console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        raise SystemExit(CONFIG_EXIT_CODE if isinstance(exc, ConfigError) else 1) from None
    except Exception as exc:
        problem = _database_setting_problem(exc)
        if problem is None:
            raise
        console.print(f"[bold red]error:[/] {problem}", markup=True, highlight=False)
        raise SystemExit(1) from None


def _database_setting_problem(exc: Exception) -> str | None:
    """One line for a database error that BULKFLOW_DATABASE_URL causes (any command)."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    from database.preflight import setting_problem

    return setting_problem(exc, get_settings().db_url)


if __name__ == "__main__":
    main()
