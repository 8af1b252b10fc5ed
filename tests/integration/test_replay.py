"""`bulkflow replay` from the chunk topics: rows lost by a database restore come back
exactly, results are re-emitted with a replay_id, and bad requests change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from database.engine import make_engine
from database.reports import count_rows, ledger_counts
from database.tables import corrected_rows, dataset_table, invalid_rows, ledger, row_errors
from messaging.names import topic_names
from ops.devservers.sample_data import write_orders_csv
from ops.replay import plan_replay, run_replay
from ops.replay_plan import Selection
from ops.supervisor import Supervisor
from schemas.dataset import DatasetRegistry
from schemas.settings import Settings
from tests.integration.conftest import bulkflow, submit_file
from tests.support.kafka_read import final_statuses, job_events, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _lose_job(settings: Settings, job_id: str) -> None:
    """What restoring last night's backup does to a job uploaded today: every table a chunk's
    transaction writes loses the job's rows."""
    engine = make_engine(settings.db_url)
    orders = DatasetRegistry(settings.datasets_dir).get("orders")
    with engine.begin() as conn:
        for table in (dataset_table(orders), ledger, row_errors, invalid_rows, corrected_rows):
            conn.execute(sa.delete(table).where(table.c.job_id == job_id))
    engine.dispose()


def test_replay_by_job_brings_back_exactly_the_lost_rows(
    db_settings: Settings, pipeline: Supervisor, tmp_path: Path
) -> None:
    path = write_orders_csv(tmp_path / "orders.csv", 6_000, invalid_every=400)
    job_id = submit_file(db_settings, path)
    first = final_statuses(db_settings, [job_id])[job_id]
    engine = make_engine(db_settings.db_url)
    orders = DatasetRegistry(db_settings.datasets_dir).get("orders")
    _lose_job(db_settings, job_id)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dry = bulkflow(db_settings, elsewhere, "replay", "--job", job_id, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"{first.chunks_total} missing from the database" in dry.stderr
    assert count_rows(engine, orders, job_id) == 0  # a dry run changes nothing

    refused = bulkflow(db_settings, elsewhere, "replay", "--job", "no-such-job")
    assert refused.returncode != 0 and "unknown job" in refused.stderr
    other = bulkflow(db_settings, elsewhere, "replay", "--job", job_id, "--tenant", "globex")
    assert other.returncode != 0 and "not tenant" in other.stderr
    unknown = bulkflow(db_settings, elsewhere, "replay", "--dataset", "nope")
    assert unknown.returncode != 0 and "unknown dataset" in unknown.stderr

    done = bulkflow(db_settings, elsewhere, "replay", "--job", job_id)
    assert done.returncode == 0, done.stderr
    assert count_rows(engine, orders, job_id) == first.rows_ok
    assert ledger_counts(engine, job_id) == (first.chunks_total, first.rows_ok, first.rows_failed)
    again = bulkflow(db_settings, elsewhere, "replay", "--job", job_id)
    assert f"0 written, {first.chunks_total} already in the database" in again.stderr
    status = final_statuses(db_settings, [job_id])[job_id]
    assert (status.state, status.rows_ok, status.rows_failed, status.revision) == (
        first.state,
        first.rows_ok,
        first.rows_failed,
        first.revision,
    )
    engine.dispose()
    # one notice, for the run that wrote: what it wrote; the outcome is unchanged
    events = job_events(db_settings, job_id, lambda found: len(found) >= 2)
    assert [e["type"] for e in events] == ["job.completed", "job.rows_rewritten"]
    rewritten = events[1]
    assert (rewritten["chunks"], rewritten["rows_ok"], rewritten["rows_failed"]) == (
        first.chunks_total,
        first.rows_ok,
        first.rows_failed,
    )


def test_replay_to_results_by_time_window(
    db_settings: Settings, pipeline: Supervisor, tmp_path: Path
) -> None:
    path = write_orders_csv(tmp_path / "orders.csv", 500)
    job_id = submit_file(db_settings, path)
    first = final_statuses(db_settings, [job_id])[job_id]
    window = Selection(since=first.submitted_at.replace(microsecond=0), tenant="acme")
    report = plan_replay(db_settings, window, "results")
    assert [j.job_id for j in report.plan.jobs] == [job_id]
    run_replay(db_settings, report)
    assert (report.emitted, report.written) == (first.chunks_total, 0)

    topic = topic_names(db_settings).results("orders")

    def replayed(messages: list) -> list:  # type: ignore[type-arg]
        return [
            m
            for m in messages
            if ("replay_id", report.replay_id.encode()) in list(m.headers() or [])
        ]

    got = read_topic(
        db_settings,
        topic,
        until=lambda ms: len(replayed(ms)) >= report.emitted,
        timeout_s=30,
    )
    assert len(replayed(got)) == first.chunks_total
    [notice] = [e for e in job_events(db_settings, job_id, lambda f: len(f) >= 2)[1:]]
    assert notice["type"] == "job.results_republished"
    assert notice["replay_id"] == report.replay_id
    assert (notice["chunks"], notice["records"], notice["rows"]) == (
        first.chunks_total,
        report.emitted,
        first.rows_ok,
    )
    runs = read_topic(
        db_settings,
        topic_names(db_settings).replays,
        until=lambda ms: any(b"replay.completed" in (m.value() or b"") for m in ms),
        timeout_s=30,
    )
    assert [json.loads(m.value())["type"] for m in runs] == ["replay.started", "replay.completed"]
    assert {m.key() for m in runs} == {report.replay_id.encode()}
