"""pytest fixtures for real databases: one PostgreSQL server per session, one database per test;
a TLS-only server and a transaction-pooling PgBouncer for the tests that ask for them.

Registered from tests/conftest.py with ``pytest_plugins = ["tests.support.pg_fixtures"]``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from database.roles import RoleNames
from ops.devservers.pgbouncer import PgBouncer, start_pgbouncer
from ops.devservers.postgres import (
    PostgresServer,
    create_database,
    drop_database,
    libpq_url,
    start_postgres,
)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the session's server (its ``bulkflow`` database); $BULKFLOW_TEST_POSTGRES_URL wins."""
    server = start_postgres(tmp_path_factory.mktemp("postgres"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def pg_database_url(postgres_url: str) -> Iterator[str]:
    """A fresh, uniquely named database for one test, dropped afterwards (~0.5 s each)."""
    name = f"bulkflow_test_{uuid.uuid4().hex[:12]}"
    server = make_url(postgres_url)
    admin = server.set(database="postgres").render_as_string(hide_password=False)
    create_database(admin, name)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)


@pytest.fixture(scope="session")
def postgres_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A TLS-only server of its own (hostssl lines only, SCRAM passwords, verify-full URLs)."""
    server = start_postgres(tmp_path_factory.mktemp("postgres-tls"), tls=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pgbouncer(postgres_url: str) -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling, two server sessions per database, before the
    session's server."""
    bouncer = start_pgbouncer(postgres_url, pool_size=2)
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bulkflow.sqlite'}"


def role_url(url: str, role: str, password: str) -> str:
    """``url`` with another user and password (same server, database and parameters)."""
    parsed = make_url(url).set(username=role, password=password)
    return parsed.render_as_string(hide_password=False)


def unique_roles() -> RoleNames:
    """Role names no other test shares: roles belong to the whole server."""
    stem = f"bf{uuid.uuid4().hex[:8]}"
    return RoleNames(
        *(f"{stem}_{r}" for r in ("migrator", "worker", "api", "producer", "aggregator"))
    )


def run_sql(url: str, script: str) -> None:
    """A script of several statements, as psql -f would run it (stops at the first error)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(script.encode())


def set_password(admin_url: str, role: str, password: str) -> None:
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        statement = sql.SQL("ALTER ROLE {} PASSWORD {}")
        conn.execute(statement.format(sql.Identifier(role), sql.Literal(password)))


def drop_roles(admin_url: str, roles: tuple[str, ...]) -> None:
    """Roles and what they own or were granted in the test's database (then dropped too)."""
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        # one role at a time: PostgreSQL 15 fails on a default ACL that names two of them
        for role in roles:
            conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(role)))
        names = sql.SQL(", ").join(map(sql.Identifier, roles))
        conn.execute(sql.SQL("DROP ROLE {}").format(names))
