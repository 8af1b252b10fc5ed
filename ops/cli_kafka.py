"""The local brokers' commands (``bulkflow broker start|status|stop|reset``: the single
open broker, or a cluster of N nodes, open or secured) and ``bulkflow kafka acls``.

Thin: each parses its options and calls ops/devservers or messaging/; a failure is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from messaging.acls import ROLES, role_grants, role_user
from ops.devservers.broker import LocalBroker
from ops.devservers.cluster import LocalCluster
from ops.devservers.cluster_clients import client_settings, env_text, write_env_files
from schemas.errors import BulkflowError
from schemas.settings import Settings, get_settings

Fail = Callable[[str], typer.Exit]
Echo = Callable[[str], None]


def start_brokers(
    settings: Settings, nodes: int, secure: bool, env_file: Path | None, echo: Echo
) -> None:
    """The single open broker (the default), or a cluster; a secured one gets every role's
    ACLs for the settings' topic prefix, and its client settings are printed (stdout)."""
    if nodes == 1 and not secure:
        LocalBroker(settings).start(echo=echo)
        return
    cluster = LocalCluster(settings)
    cluster.start(nodes, secure, echo=echo)
    if secure:
        applied = apply_role_acls(client_settings(cluster, settings), ROLES)
        echo(
            f"ACLs of the roles {', '.join(ROLES)} applied ({applied} bindings) for prefix "
            f"{settings.topic_prefix}"
        )
    typer.echo("\n".join(env_text(cluster)))
    if env_file is not None:
        for path in write_env_files(cluster, env_file):
            echo(f"wrote {path}")


def apply_role_acls(
    admin_settings: Settings, roles: tuple[str, ...] | list[str], principal: str | None = None
) -> int:
    """Apply the roles' ACLs (for the settings' prefix) as the admin, each to its own user
    or to ``principal``; how many bindings."""
    from confluent_kafka.admin import AdminClient

    from messaging.acl_admin import apply_grants
    from messaging.clients import admin_config

    admin = AdminClient(admin_config(admin_settings, socket_timeout_ms=10_000))
    return sum(
        apply_grants(
            admin,
            role_grants(admin_settings.topic_prefix, r),
            principal or f"User:{role_user(r)}",
        )
        for r in roles
    )


def broker_status_text(settings: Settings) -> tuple[str, bool]:
    single = LocalBroker(settings).status()
    cluster = LocalCluster(settings)
    lines, running = [single.describe()], single.running
    if cluster.layout() is not None:
        lines.append(cluster.describe())
        running = running or any(n.running for n in cluster.status())
    return "\n".join(lines), running


def register(app: typer.Typer, broker_app: typer.Typer, console: Console, fail: Fail) -> None:
    kafka_app = typer.Typer(no_args_is_help=True, help="Kafka access: the roles' ACLs.")
    app.add_typer(kafka_app, name="kafka")

    @broker_app.command("start")
    def broker_start(
        nodes: int = typer.Option(1, "--nodes", min=1, max=9, help="KRaft nodes (3: a cluster)"),
        secure: bool = typer.Option(
            False, "--secure", help="SASL_SSL (SCRAM), TLS between nodes, ACLs per role"
        ),
        env_file: Path | None = typer.Option(
            None, "--env-file", help="write the admin's settings here, and each role's beside it"
        ),
    ) -> None:
        """Start the local broker (one open node, the default) or a cluster of --nodes nodes.

        The jars are fetched once and the storage formatted once; a cluster prints the
        client settings to use as export lines.
        """
        try:
            start_brokers(get_settings(), nodes, secure, env_file, console.print)
        except BulkflowError as exc:
            raise fail(str(exc)) from exc

    @broker_app.command("status")
    def broker_status() -> None:
        """Say whether the broker (and the cluster's nodes) run, and where."""
        text, running = broker_status_text(get_settings())
        console.print(text, highlight=False)
        if not running:
            raise typer.Exit(3)

    @broker_app.command("stop")
    def broker_stop() -> None:
        """Stop the broker and every node of the cluster: SIGTERM, then SIGKILL."""
        settings = get_settings()
        LocalBroker(settings).stop(echo=console.print)
        LocalCluster(settings).stop(echo=console.print)

    @broker_app.command("reset")
    def broker_reset() -> None:
        """Stop the broker and the cluster and wipe their data (all topics are lost)."""
        settings = get_settings()
        LocalBroker(settings).reset()
        LocalCluster(settings).reset()
        console.print("broker stopped and its data wiped")

    @kafka_app.command("acls")
    def kafka_acls(
        role: str = typer.Option(..., "--role", help=f"{', '.join(ROLES)}, or all"),
        principal: str | None = typer.Option(
            None, "--principal", help="default: User:bulkflow-<role>"
        ),
        apply: bool = typer.Option(False, "--apply", help="create them (as an admin)"),
    ) -> None:
        """Print the ACLs a role needs in this deployment (BULKFLOW_TOPIC_PREFIX), or apply
        them through Kafka's admin API with the current (admin) settings."""
        roles = list(ROLES) if role == "all" else [role]
        if any(r not in ROLES for r in roles):
            raise typer.BadParameter(f"roles are {', '.join(ROLES)} or all; got {role!r}")
        if principal is not None and len(roles) > 1:
            raise typer.BadParameter("--principal names one role's principal: give one --role")
        settings = get_settings()
        for r in roles:
            who = principal or f"User:{role_user(r)}"
            for grant in role_grants(settings.topic_prefix, r):
                typer.echo(f"{r}\t{who}\tALLOW {grant.describe()}")
        if apply:
            from messaging.preflight import check_kafka

            try:
                check_kafka(settings)
                count = apply_role_acls(settings, roles, principal)
            except BulkflowError as exc:
                raise fail(str(exc)) from exc
            except Exception as exc:  # the admin API's refusal (not an admin, ...)
                raise fail(f"Kafka did not take the ACLs: {exc}") from exc
            console.print(f"{count} ACL bindings applied")
