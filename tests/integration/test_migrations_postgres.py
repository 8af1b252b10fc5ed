"""The dataset migration cases of tests/unit/database/test_migrations.py, against PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from database.engine import make_engine
from database.migrations import ensure_schema

# The same test functions, run here with this module's PostgreSQL ``engine`` fixture.
from tests.unit.database.test_migrations import (  # noqa: F401
    orders,
    table_columns,
    test_a_table_dropped_by_hand_is_made_again,
    test_a_table_older_than_the_versions_is_adopted_and_migrated,
    test_added_column_old_rows_keep_null_new_uploads_fill_it,
    test_alias_only_is_recorded_without_touching_the_table,
    test_dropped_column_is_refused,
    test_fresh_create_makes_the_table_and_records_version_1,
    test_key_change_is_refused,
    test_string_to_email_changes_validation_only,
    test_type_change_is_refused_with_what_to_do,
    versions,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def engine(pg_database_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_database_url)
    yield eng
    eng.dispose()


def test_workers_starting_together_apply_a_step_once(engine: Engine) -> None:
    ensure_schema(engine, orders())
    wider = orders({"name": "note", "type": "string"})
    failures: list[BaseException] = []

    def start() -> None:
        try:
            ensure_schema(engine, wider)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=start) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert failures == []
    assert "note" in table_columns(engine)
    assert versions(engine) == [1, 2]
