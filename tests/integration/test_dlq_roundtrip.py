"""Dead letters across a worker restart, through `bulkflow dlq` run from outside the repo:
a chunk of a dataset the workers do not know is dead-lettered; after a restart the letter is
still listed with its attempts; the dataset is added and a redrive writes the chunk, resolves
the letter and sets the job's counts right. A letter nobody can fix is discarded, with why."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from database.engine import make_engine
from database.reports import count_rows, ledger_counts
from files.upload_record import new_job_id, spool_copy
from messaging.names import topic_names
from messaging.publisher import Publisher
from ops.devservers.sample_data import write_orders_csv
from ops.dlq import list_dead_letters
from producer.publish_job import publish_job
from schemas.dataset import DatasetRegistry
from schemas.records import UploadStatus
from schemas.settings import Settings, packaged_datasets_dir
from tests.integration.conftest import bulkflow, start_pipeline, unchecked_upload
from tests.support.kafka_read import read_topic
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _dataset_yaml(name: str) -> str:
    orders = (packaged_datasets_dir() / "orders.yaml").read_text()
    return orders.replace("name: orders", f"name: {name}", 1)


def _publish(settings: Settings, known: Path, path: Path, dataset: str) -> str:
    """Publish a job the way the producer does, parsed with datasets the workers lack."""
    job_id = new_job_id()
    spooled = spool_copy(settings, path, job_id)
    upload = unchecked_upload(spooled, job_id, dataset, "acme", path.name)
    with Publisher(settings) as publisher:
        outcome = publish_job(upload, settings, publisher, DatasetRegistry(known))
    assert outcome.sealed, outcome.reason
    return job_id


def _status_when(
    settings: Settings, job_id: str, ok: Callable[[UploadStatus], bool]
) -> UploadStatus:
    """The job's latest status on the progress topic, once ``ok`` holds for it."""
    latest: dict[str, UploadStatus] = {}

    def reached(messages: list) -> bool:  # type: ignore[type-arg]
        for m in messages:
            s = UploadStatus.model_validate_json(m.value())
            latest[s.job_id] = s
        return job_id in latest and ok(latest[job_id])

    read_topic(settings, topic_names(settings).progress, until=reached, timeout_s=90)
    assert job_id in latest, f"no status of {job_id}"
    return latest[job_id]


def test_dead_letters_survive_a_restart_and_redrive_after_the_fix(
    db_settings: Settings, tmp_path: Path
) -> None:
    datasets = tmp_path / "datasets"  # what the workers know: orders only, for now
    datasets.mkdir()
    shutil.copy(packaged_datasets_dir() / "orders.yaml", datasets / "orders.yaml")
    settings = db_settings.model_copy(update={"datasets_dir": datasets})
    producers_know = tmp_path / "producer-datasets"
    producers_know.mkdir()
    for name in ("widgets", "gadgets"):
        (producers_know / f"{name}.yaml").write_text(_dataset_yaml(name))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    pipeline = start_pipeline(settings, tmp_path / "logs", "worker", "aggregator")
    try:
        fixable = _publish(
            settings, producers_know, write_orders_csv(tmp_path / "w.csv", 300), "widgets"
        )
        hopeless = _publish(
            settings, producers_know, write_orders_csv(tmp_path / "g.csv", 50), "gadgets"
        )
        failed = _status_when(settings, fixable, lambda s: s.is_final)
        assert (failed.state, failed.rows_ok, failed.rows_failed) == ("failed", 0, 300)
        wait_until(lambda: len(list_dead_letters(settings)) == 2, "two dead letters recorded", 60)

        # a new worker process: the letters are state in the database, not in the worker
        pipeline.signal("worker", signal.SIGTERM)
        pipeline.wait_dead("worker")
        (datasets / "widgets.yaml").write_text(_dataset_yaml("widgets"))  # the fix
        pipeline.start("worker")  # it creates the new dataset's results topic itself

        listed = bulkflow(settings, elsewhere, "dlq", "list")
        assert listed.returncode == 0, listed.stderr
        assert "unknown dataset" in listed.stderr and "widgets" in listed.stderr
        assert f"job {fixable} chunk 0  acme/widgets  outstanding" in listed.stderr
        assert f"job {hopeless} chunk 0  acme/gadgets  outstanding" in listed.stderr
        assert "attempts 1" in listed.stderr
        assert "2 outstanding dead letters" in listed.stderr

        redriven = bulkflow(settings, elsewhere, "dlq", "redrive", "--job", fixable)
        assert redriven.returncode == 0, redriven.stderr
        assert "1 dead letters re-driven" in redriven.stderr

        engine = make_engine(settings.db_url)
        widgets = DatasetRegistry(datasets).get("widgets")
        wait_until(
            lambda: ledger_counts(engine, fixable) == (1, 300, 0), "the re-driven chunk saved", 60
        )
        assert count_rows(engine, widgets, fixable) == 300
        engine.dispose()
        fixed = _status_when(settings, fixable, lambda s: s.rows_ok == 300)
        assert (fixed.rows_ok, fixed.rows_failed) == (300, 0)

        refused = bulkflow(settings, elsewhere, "dlq", "discard", "--why", "test data")
        assert refused.returncode != 0 and "name the letters: --job and/or --reason" in (
            refused.stderr
        )
        gone = bulkflow(
            settings, elsewhere, "dlq", "discard", "--why", "no such dataset", "--job", hopeless
        )
        assert gone.returncode == 0, gone.stderr
        assert "1 dead letters discarded" in gone.stderr

        outstanding = bulkflow(settings, elsewhere, "dlq", "list")
        assert "0 outstanding dead letters" in outstanding.stderr
        every = bulkflow(settings, elsewhere, "dlq", "list", "--all")
        assert every.returncode == 0, every.stderr
        assert f"job {fixable} chunk 0  acme/widgets  resolved" in every.stderr
        assert f"job {hopeless} chunk 0  acme/gadgets  discarded" in every.stderr
        assert "2 dead letters" in every.stderr
    finally:
        pipeline.stop()
