"""Operator commands from a folder outside the repo, through the real `bulkflow` entry point
with the test's settings as its environment: what a person runs and reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from database.engine import make_engine
from database.reports import count_rows, ledger_counts
from messaging.names import topic_names
from ops.devservers.sample_data import write_orders_csv
from ops.supervisor import Supervisor
from schemas.dataset import DatasetRegistry
from schemas.settings import Settings
from tests.integration.conftest import bulkflow, submit_file
from tests.support.kafka_read import chunk_results_of, final_statuses

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_reparse_from_elsewhere_republishes_and_refuses_what_it_must(
    kafka_settings: Settings, pipeline_sqlite: Supervisor, tmp_path: Path
) -> None:
    settings, elsewhere = kafka_settings, tmp_path / "elsewhere"
    elsewhere.mkdir()
    path = write_orders_csv(tmp_path / "orders.csv", 9_000, invalid_every=300)
    job_id = submit_file(settings, path)
    first = final_statuses(settings, [job_id])[job_id]
    assert (first.state, first.rows_ok, first.rows_failed) == ("completed_with_errors", 8_970, 30)

    unknown = bulkflow(settings, elsewhere, "reparse", "--job", "no-such-job")
    assert unknown.returncode != 0
    assert "no upload record for job no-such-job" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    other = bulkflow(settings, elsewhere, "reparse", "--job", job_id, "--tenant", "globex")
    assert other.returncode != 0
    assert f"job {job_id} is not tenant 'globex'" in other.stderr.replace("\n", "")
    assert len(chunk_results_of(settings, job_id, first.chunks_total or 0)) == first.chunks_total

    done = bulkflow(settings, elsewhere, "reparse", "--job", job_id)
    assert done.returncode == 0, done.stderr
    assert f"job {job_id}: {first.chunks_total} chunks re-published" in done.stderr
    total = first.chunks_total or 0
    assert len(chunk_results_of(settings, job_id, 2 * total)) == 2 * total  # each chunk seen twice

    engine = make_engine(settings.db_url)
    orders = DatasetRegistry(settings.datasets_dir).get("orders")
    assert count_rows(engine, orders, job_id) == 8_970  # nothing written twice
    assert ledger_counts(engine, job_id) == (total, 8_970, 30)
    engine.dispose()
    again = final_statuses(settings, [job_id])[job_id]
    assert (again.state, again.rows_ok, again.rows_failed, again.chunks_done) == (
        first.state,
        first.rows_ok,
        first.rows_failed,
        first.chunks_done,
    )


def test_topics_and_tables_are_set_up_from_elsewhere(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = kafka_settings.model_copy(update={"topic_prefix": f"{kafka_settings.topic_prefix}n"})
    names = topic_names(settings)

    created = bulkflow(settings, tmp_path, "topics", "create")
    assert created.returncode == 0, created.stderr
    assert f"created  {names.chunks('high')}" in created.stderr
    assert f"created  {names.dlq}" in created.stderr
    count = created.stderr.count("created  ")
    assert f"{count} created, 0 already there" in created.stderr
    again = bulkflow(settings, tmp_path, "topics", "create")
    assert f"exists   {names.results('orders')}" in again.stderr
    assert f"0 created, {count} already there" in again.stderr

    migrated = bulkflow(settings, tmp_path, "datasets", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "1 dataset tables up to date: orders" in migrated.stderr
    letters = bulkflow(settings, tmp_path, "dlq", "list")
    assert letters.returncode == 0 and "0 outstanding dead letters" in letters.stderr
    assert not list(tmp_path.glob("*.sqlite")), "the database belongs in settings.home"
