"""The ``bulkflow`` command line. Each command is a thin call into a package."""

from __future__ import annotations

import typer
from rich.console import Console

from schemas.errors import BulkflowError
from schemas.settings import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
broker_app = typer.Typer(no_args_is_help=True, help="The local Kafka broker (no Docker).")
topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics declared in schemas/.")
app.add_typer(broker_app, name="broker")
app.add_typer(topics_app, name="topics")
console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@broker_app.command("start")
def broker_start() -> None:
    """Fetch the jars (once), format storage (once) and start the broker."""
    from ops.broker import LocalBroker

    try:
        LocalBroker(get_settings()).start(echo=console.print)
    except BulkflowError as exc:
        raise fail(str(exc)) from exc


@broker_app.command("fetch")
def broker_fetch() -> None:
    """Fetch the broker jars into the cache (mvn, once)."""
    from ops.broker import LocalBroker

    try:
        libs = LocalBroker(get_settings()).ensure_jars(echo=console.print)
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    console.print(f"broker jars ready in {libs}")


@broker_app.command("stop")
def broker_stop() -> None:
    """Stop the broker: SIGTERM, then SIGKILL after a timeout."""
    from ops.broker import LocalBroker

    LocalBroker(get_settings()).stop(echo=console.print)


@broker_app.command("status")
def broker_status() -> None:
    """Say whether the broker runs, and where."""
    from ops.broker import LocalBroker

    status = LocalBroker(get_settings()).status()
    console.print(status.describe())
    if not status.running:
        raise typer.Exit(3)


@broker_app.command("reset")
def broker_reset() -> None:
    """Stop the broker and wipe its data (all topics are lost)."""
    from ops.broker import LocalBroker

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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
