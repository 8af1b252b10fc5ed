"""pytest fixtures for real databases: one PostgreSQL server per session, one database per test.

Registered from tests/conftest.py with ``pytest_plugins = ["tests.support.pg_fixtures"]``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ops.devservers.postgres import create_database, drop_database, start_postgres


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


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bulkflow.sqlite'}"
