"""``bulkflow db roles`` and ``bulkflow db grants``: the SQL of bulkflow's least-privilege
PostgreSQL roles (database/roles.py), printed for psql. Nothing is sent to a database."""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.console import Console

from schemas.errors import BulkflowError
from schemas.settings import get_settings

Fail = Callable[[str], typer.Exit]
MIGRATOR_HELP = "the migration role (owns the tables, runs DDL)"
WORKER_HELP = "the workers' (and operator commands') role"
API_HELP = "the API's role"
PRODUCER_HELP = "the producers' role"
AGGREGATOR_HELP = "the aggregator's role"


def register(app: typer.Typer, console: Console, fail: Fail) -> None:
    db_app = typer.Typer(no_args_is_help=True, help="PostgreSQL: least-privilege roles as SQL.")
    app.add_typer(db_app, name="db")

    @db_app.command("roles")
    def roles(
        database: str = typer.Option(
            "", help="the database (default: the one BULKFLOW_DATABASE_URL names)"
        ),
        migrator: str = typer.Option("bulkflow_migrator", help=MIGRATOR_HELP),
        worker: str = typer.Option("bulkflow_worker", help=WORKER_HELP),
        api: str = typer.Option("bulkflow_api", help=API_HELP),
        producer: str = typer.Option("bulkflow_producer", help=PRODUCER_HELP),
        aggregator: str = typer.Option("bulkflow_aggregator", help=AGGREGATOR_HELP),
    ) -> None:
        """Print the SQL that creates the roles: run it once as an administrator."""
        from sqlalchemy.engine import make_url

        from database.roles import RoleNames, roles_sql

        name = database or make_url(get_settings().db_url).database or ""
        if not name or "/" in name:  # a SQLite file is no PostgreSQL database
            raise fail("name the PostgreSQL database: --database NAME")
        typer.echo(
            roles_sql(name, RoleNames(migrator, worker, api, producer, aggregator)), nl=False
        )

    @db_app.command("grants")
    def grants(
        worker: str = typer.Option("bulkflow_worker", help=WORKER_HELP),
        api: str = typer.Option("bulkflow_api", help=API_HELP),
        producer: str = typer.Option("bulkflow_producer", help=PRODUCER_HELP),
        aggregator: str = typer.Option("bulkflow_aggregator", help=AGGREGATOR_HELP),
    ) -> None:
        """Print each role's grants on the tables: run it as the migration role after
        `bulkflow datasets migrate` (and after every upgrade)."""
        from database.roles import RoleNames, grants_sql
        from schemas.dataset import DatasetRegistry

        try:
            registry = DatasetRegistry(get_settings().datasets_dir)
            tables = [registry.get(name).table_name for name in registry.names()]
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        typer.echo(
            grants_sql(
                tables, RoleNames(worker=worker, api=api, producer=producer, aggregator=aggregator)
            ),
            nl=False,
        )
