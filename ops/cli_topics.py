"""``bulkflow topics create|asyncapi`` and ``bulkflow datasets list|migrate|schema``: the topics a
deployment declares and the dataset tables and result schemas behind them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from schemas.errors import BulkflowError
from schemas.settings import get_settings

Fail = Callable[[str], typer.Exit]


def register(app: typer.Typer, console: Console, fail: Fail) -> None:
    topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics: create the declared ones.")
    app.add_typer(topics_app, name="topics")
    datasets_app = typer.Typer(no_args_is_help=True, help="Datasets: tables and result schemas.")
    app.add_typer(datasets_app, name="datasets")

    @topics_app.command("create")
    def topics_create() -> None:
        """Create the missing topics; report the ones that exist."""
        from messaging.preflight import check_kafka
        from messaging.topics import create_topics
        from schemas.dataset import DatasetRegistry

        settings = get_settings()
        try:
            check_kafka(settings, "operator")
            report = create_topics(settings, DatasetRegistry(settings.datasets_dir).results_names())
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        for name in report.created:
            console.print(f"created  {name}")
        for name in report.existing:
            console.print(f"exists   {name}")
        for line in report.mismatched + report.under_replicated:
            console.print(f"[yellow]warning:[/] {line}")
        console.print(f"{len(report.created)} created, {len(report.existing)} already there")

    @topics_app.command("asyncapi")
    def topics_asyncapi(
        output: Path | None = typer.Option(
            None, "--output", "-o", help="write it to this file; - or none: standard output"
        ),
    ) -> None:
        """Print the AsyncAPI 3.0 document of the public topics (results, events, progress, dlq)."""
        import json

        from messaging.asyncapi import asyncapi_document
        from schemas.dataset import DatasetRegistry

        settings = get_settings()
        try:
            datasets = DatasetRegistry(settings.datasets_dir).all()
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        text = json.dumps(asyncapi_document(settings, datasets), indent=2)
        if output is None or str(output) == "-":
            typer.echo(text)
            return
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {output}: {exc.strerror}") from exc
        console.print(f"AsyncAPI document written to {output}")

    @datasets_app.command("list")
    def datasets_list() -> None:
        """The datasets an upload may name: columns, key, reading locale and results topic."""
        from messaging.names import topic_names
        from schemas.dataset import DatasetRegistry

        settings = get_settings()
        try:
            datasets = DatasetRegistry(settings.datasets_dir).all()
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        names = topic_names(settings)
        for d in datasets:
            required = sum(c.required for c in d.columns)
            key = f"key {', '.join(d.key)}" if d.key else "no key (rows append)"
            typer.echo(
                f"{d.name}  version {d.version}, {len(d.columns)} columns ({required} required), "
                f"{key}, locale {d.locale or 'detected'}, results on "
                f"{names.results(d.results_name)} ({d.results.encoding})"
            )
        if not datasets:
            typer.echo(f"no datasets in {settings.datasets_dir}")

    @datasets_app.command("migrate")
    def datasets_migrate(
        check: bool = typer.Option(
            False, "--check", help="say how each change reads for result consumers; change nothing"
        ),
    ) -> None:
        """Bring every dataset's table up to date with its YAML (workers do it at start too).

        Adding a column is applied; a change that would lose data is refused, with what to do,
        and so is one that is not FULL compatible for result consumers (BACKWARD, FORWARD or
        NONE) unless the YAML asks for the next major version of the results topic.
        """
        from database.engine import make_engine
        from database.migrations import check_dataset, migrate_datasets
        from schemas.dataset import DatasetRegistry

        settings = get_settings()
        engine = make_engine(settings.db_url)
        registry = DatasetRegistry(settings.datasets_dir)
        try:
            if check:
                checks = [check_dataset(engine, d) for d in registry.all()]
                for c in checks:
                    console.print(c.describe(), markup=False, highlight=False)
                if not all(c.allowed for c in checks):
                    raise typer.Exit(1)
                return
            done = migrate_datasets(engine, registry)
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        finally:
            engine.dispose()
        console.print(f"{len(done)} dataset tables up to date: {', '.join(done) or 'none'}")

    @datasets_app.command("schema")
    def datasets_schema(
        name: str = typer.Argument(..., help="the dataset's name"),
        fmt: str = typer.Option(
            "json-schema", "--format", help="json-schema (one JSON result row) or arrow (a chunk)"
        ),
    ) -> None:
        """Print the schema of the dataset's result records, as JSON, for code generation."""
        import json

        from schemas.dataset import DatasetRegistry
        from schemas.result_schema import arrow_schema_description, result_row_json_schema

        describe = {"json-schema": result_row_json_schema, "arrow": arrow_schema_description}
        if fmt not in describe:
            raise typer.BadParameter(f"formats are {', '.join(describe)}; got {fmt!r}")
        try:
            dataset = DatasetRegistry(get_settings().datasets_dir).get(name)
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        typer.echo(json.dumps(describe[fmt](dataset), indent=2))
