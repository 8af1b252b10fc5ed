"""The ``bulkflow`` command line. Each command is a thin call into a package."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from schemas.errors import BulkflowError
from schemas.settings import TIERS, Tier, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
broker_app = typer.Typer(no_args_is_help=True, help="The local Kafka broker (no Docker).")
topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics declared in schemas/.")
app.add_typer(broker_app, name="broker")
app.add_typer(topics_app, name="topics")
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: chunks that can never succeed.")
app.add_typer(dlq_app, name="dlq")
console = Console(stderr=True, soft_wrap=True)
if not console.is_terminal:  # logs and CI: wide enough for the summary table
    console = Console(stderr=True, soft_wrap=True, width=140)


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@broker_app.command("start")
def broker_start() -> None:
    """Fetch the jars (once), format storage (once) and start the broker."""
    from ops.devservers.broker import LocalBroker

    try:
        LocalBroker(get_settings()).start(echo=console.print)
    except BulkflowError as exc:
        raise fail(str(exc)) from exc


@broker_app.command("fetch")
def broker_fetch() -> None:
    """Fetch the broker jars into the cache (mvn, once)."""
    from ops.devservers.broker import LocalBroker

    try:
        libs = LocalBroker(get_settings()).ensure_jars(echo=console.print)
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    console.print(f"broker jars ready in {libs}")


@broker_app.command("stop")
def broker_stop() -> None:
    """Stop the broker: SIGTERM, then SIGKILL after a timeout."""
    from ops.devservers.broker import LocalBroker

    LocalBroker(get_settings()).stop(echo=console.print)


@broker_app.command("status")
def broker_status() -> None:
    """Say whether the broker runs, and where."""
    from ops.devservers.broker import LocalBroker

    status = LocalBroker(get_settings()).status()
    console.print(status.describe())
    if not status.running:
        raise typer.Exit(3)


@broker_app.command("reset")
def broker_reset() -> None:
    """Stop the broker and wipe its data (all topics are lost)."""
    from ops.devservers.broker import LocalBroker

    LocalBroker(get_settings()).reset()
    console.print("broker stopped and its data wiped")


@topics_app.command("create")
def topics_create() -> None:
    """Create the missing topics; report the ones that exist."""
    from ops.topics import create_topics
    from schemas.dataset import DatasetRegistry

    settings = get_settings()
    try:
        report = create_topics(settings, DatasetRegistry(settings.datasets_dir).names())
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    for name in report.created:
        console.print(f"created  {name}")
    for name in report.existing:
        console.print(f"exists   {name}")
    for line in report.mismatched:
        console.print(f"[yellow]warning:[/] {line}")
    console.print(f"{len(report.created)} created, {len(report.existing)} already there")


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
    from stream_processors.app import run

    run(get_settings(), "worker", _tiers(tier), loglevel)


@app.command("aggregator")
def aggregator(loglevel: str = typer.Option("info")) -> None:
    """Run the progress aggregator (faust): jobs + chunk results -> progress, events."""
    from stream_processors.app import run

    run(get_settings(), "aggregator", loglevel=loglevel)


@app.command("producer")
def producer(loglevel: str = typer.Option("INFO")) -> None:
    """Run the producer service: parse uploads into chunk records, highest tier first."""
    import logging
    import signal
    import threading

    from producer.service import ProducerService

    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ProducerService(get_settings()).run(stop)


@app.command("produce")
def produce(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dataset: str = typer.Option(..., "--dataset", "-d"),
    tenant: str = typer.Option("default"),
    sheet: str | None = typer.Option(None),
) -> None:
    """Publish one file directly (no API, no upload queue): for operators and tests."""
    from producer.errors import ParseError
    from producer.jobs import publish_job
    from producer.publisher import Publisher
    from producer.submit import make_upload_record, new_job_id, spool_copy
    from schemas.dataset import DatasetRegistry

    settings = get_settings()
    job_id = new_job_id()
    try:
        spooled = spool_copy(settings, file, job_id)
        upload = make_upload_record(settings, spooled, job_id=job_id, tenant=tenant,
                                    dataset=dataset, filename=file.name, sheet=sheet)  # fmt: skip
    except ParseError as exc:
        raise fail(str(exc)) from exc
    with Publisher(settings) as publisher:
        outcome = publish_job(upload, settings, publisher, DatasetRegistry(settings.datasets_dir))
    if not outcome.sealed:
        raise fail(f"job {job_id} parse_failed: {outcome.reason}")
    console.print(f"job {job_id}: {outcome.total_chunks} chunks, {outcome.total_rows} rows "
                  f"on the {upload.tier} tier in {outcome.seconds:.2f}s")  # fmt: skip
    print(job_id)


@app.command("api")
def api(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning")  # fmt: skip


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    workers: int = typer.Option(1, help="chunk worker processes"),
    producers: int = typer.Option(1, help="producer processes"),
) -> None:
    """API + producer + workers + aggregator on one machine, supervised: one that dies is
    restarted; Ctrl-C stops them all."""
    from ops.serve import run_serve

    run_serve(get_settings(), host=host, port=port, workers=workers, producers=producers,
              echo=console.print)  # fmt: skip


def _client(url: str | None, key: str | None):
    from ops.client import ApiClient

    settings = get_settings()
    if key is None:
        keys = settings.api_key_map()
        key = next(iter(keys), "")
    return ApiClient(url or "http://127.0.0.1:8000", key)


@app.command("upload")
def upload(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dataset: str = typer.Option(..., "--dataset", "-d"),
    wait: bool = typer.Option(False, "--wait", help="follow the job to its end"),
    sheet: str | None = typer.Option(None),
    url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL"),
    key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY"),
) -> None:
    """Upload a file through the API; with --wait, a live progress bar until it ends."""
    from ops.progress_ui import follow_jobs, summary_table

    client = _client(url, key)
    try:
        accepted = client.upload(file, dataset, sheet=sheet)
        console.print(f"job {accepted['job_id']} queued on the {accepted['tier']} tier")
        if wait:
            finals = follow_jobs(client, {accepted["job_id"]: file.name}, console)
            console.print(summary_table(finals))
            if finals[accepted["job_id"]].state == "failed":
                raise typer.Exit(2)
        else:
            print(accepted["job_id"])
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    finally:
        client.close()


@app.command("status")
def status(
    job: str = typer.Argument(...),
    url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL"),
    key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY"),
) -> None:
    """Print a job's status (JSON)."""
    client = _client(url, key)
    try:
        print(client.status(job).model_dump_json(indent=2))
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    finally:
        client.close()


@app.command("replay")
def replay(job: str = typer.Option(..., "--job")) -> None:
    """Re-publish a job's chunks from its spooled file (nothing is written twice)."""
    from ops.replay import replay_job

    try:
        outcome = replay_job(get_settings(), job)
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    console.print(f"job {job}: {outcome.total_chunks} chunks re-published")


@dlq_app.command("list")
def dlq_list() -> None:
    """The dead letters: job, chunk, source topic, reason."""
    from ops.dlq import list_dead_letters

    letters = list_dead_letters(get_settings())
    for d in letters:
        console.print(f"{d.partition}:{d.offset}  job {d.job_id} chunk {d.chunk_no}  "
                      f"from {d.source_topic}: {d.reason}")  # fmt: skip
    console.print(f"{len(letters)} dead letters")


@dlq_app.command("redrive")
def dlq_redrive(job: str | None = typer.Option(None, "--job")) -> None:
    """Send dead letters (of one job, or all) back to their chunk topic."""
    from ops.dlq import redrive

    console.print(f"{redrive(get_settings(), job_id=job)} dead letters re-driven")


@app.command("demo")
def demo() -> None:
    """Broker, topics, pipeline, sample uploads at once, live progress, a summary; then stop."""
    from ops.demo import run_demo

    raise typer.Exit(run_demo(get_settings(), console))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
