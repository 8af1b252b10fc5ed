"""A second-language consumer against the contract: the Java consumer of
examples/java-consumer (kafka-clients, Arrow, Jackson; built by `make java-consumer`) reads
results.<dataset> in both encodings and folds `events` by the documented rule, after a run
with invalid rows, a dead letter, a redrive and a replay; what it ends with must equal the
database and the API."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from database.engine import make_engine
from database.tables import dataset_table
from files.upload_record import new_job_id, spool_copy
from messaging.publisher import Publisher
from messaging.topics import create_topics
from ops.devservers.sample_data import write_orders_csv
from ops.dlq import list_dead_letters, redrive
from ops.replay import plan_replay, run_replay
from ops.replay_plan import Selection
from producer.publish_job import publish_job
from schemas.dataset import DatasetRegistry
from schemas.records import UploadStatus
from schemas.settings import Settings, packaged_datasets_dir
from tests.integration.conftest import start_pipeline, submit_file, unchecked_upload
from tests.support.kafka_read import final_statuses, job_events

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CONSUMER = Path(__file__).resolve().parents[2] / "examples" / "java-consumer" / "target"
KEY = "contract-key"


def _widgets_yaml() -> str:
    """orders under another name, published as JSON."""
    orders = (packaged_datasets_dir() / "orders.yaml").read_text()
    return orders.replace("name: orders", "name: widgets", 1) + "results: {encoding: json}\n"


def _publish_unknown(settings: Settings, known: Path, path: Path) -> str:
    """A widgets job, parsed with a dataset the workers do not know yet: dead-lettered."""
    job_id = new_job_id()
    upload = unchecked_upload(
        spool_copy(settings, path, job_id), job_id, "widgets", "acme", path.name
    )
    with Publisher(settings) as publisher:
        assert publish_job(upload, settings, publisher, DatasetRegistry(known)).sealed
    return job_id


def _wait(check: Any, what: str, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"not within {timeout_s:.0f}s: {what}"
        time.sleep(0.5)


def _stored(settings: Settings, dataset: str, job_id: str) -> tuple[int, Decimal]:
    """The job's rows in the database: how many, and the sum of their amounts."""
    table = dataset_table(DatasetRegistry(settings.datasets_dir).get(dataset))
    engine = make_engine(settings.db_url)
    with engine.connect() as conn:
        amounts = conn.execute(sa.select(table.c.amount).where(table.c.job_id == job_id)).all()
    engine.dispose()
    return len(amounts), sum((Decimal(str(a)) for (a,) in amounts if a is not None), Decimal(0))


def _java_summary(settings: Settings) -> dict[str, Any]:
    java = shutil.which("java")
    assert java, "java is needed for the contract test"
    assert (CONSUMER / "classes").is_dir(), "the Java consumer is not built: make java-consumer"
    done = subprocess.run(
        [
            java,
            "--add-opens=java.base/java.nio=ALL-UNNAMED",  # Arrow's memory on Java 17
            "-cp",
            f"{CONSUMER / 'classes'}:{CONSUMER / 'lib'}/*",
            "io.bulkflow.contract.ContractConsumer",
            settings.kafka_bootstrap,
            settings.topic_prefix,
            "orders,widgets",
            "amount",
            "90",
        ],
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_java_consumer_ends_where_the_database_and_the_api_are(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    workers_know = tmp_path / "datasets"
    workers_know.mkdir()
    shutil.copy(packaged_datasets_dir() / "orders.yaml", workers_know / "orders.yaml")
    producer_knows = tmp_path / "producer-datasets"
    producer_knows.mkdir()
    (producer_knows / "widgets.yaml").write_text(_widgets_yaml())
    settings = kafka_settings.model_copy(
        update={"datasets_dir": workers_know, "api_keys": f"acme:{KEY}"}
    )

    pipeline = start_pipeline(settings, tmp_path / "logs")
    try:
        orders = submit_file(
            settings, write_orders_csv(tmp_path / "o.csv", 2_000, invalid_every=100)
        )
        widgets = _publish_unknown(
            settings, producer_knows, write_orders_csv(tmp_path / "w.csv", 300, invalid_every=50)
        )
        first = final_statuses(settings, [orders, widgets], timeout_s=180)
        assert (first[widgets].state, first[widgets].rows_dead_lettered) == ("failed", 300)
        _wait(lambda: list_dead_letters(settings, job_ids=[widgets]), "the dead letter")

        # the fix: the workers learn the dataset; the redrive revises the failed job
        (workers_know / "widgets.yaml").write_text(_widgets_yaml())
        create_topics(settings, ["orders", "widgets"])
        assert len(redrive(settings, job_ids=[widgets]).redriven) == 1
        job_events(settings, widgets, lambda found: len(found) >= 2, timeout_s=120)
        # a new subscriber needs both jobs' rows again: the results are re-published
        report = plan_replay(settings, Selection(jobs=(orders, widgets)), "results")
        run_replay(settings, report)
        stream = job_events(settings, widgets, lambda found: len(found) >= 3, timeout_s=60)
    finally:
        pipeline.stop()
    assert [e["type"] for e in stream] == ["job.failed", "job.revised", "job.results_republished"]
    print(
        f"\nprefix {settings.topic_prefix}, events of {widgets}:",
        *map(json.dumps, stream),
        sep="\n",
    )

    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {KEY}"}

        def served(job: str, revision: int) -> UploadStatus | None:
            answer = client.get(f"/v1/uploads/{job}", headers=auth)
            status = (
                UploadStatus.model_validate(answer.json()) if answer.status_code == 200 else None
            )
            return status if status is not None and status.revision >= revision else None

        api = {
            orders: _wait(lambda: served(orders, 2), "the orders status"),
            widgets: _wait(lambda: served(widgets, 3), "the revised widgets status"),
        }
    java = _java_summary(settings)
    print("java consumer:", json.dumps(java, indent=1))

    for job, dataset in ((orders, "orders"), (widgets, "widgets")):
        status, seen = api[job], java[job]
        rows, amount = _stored(settings, dataset, job)
        assert seen["rows"] == rows == status.rows_ok
        assert Decimal(seen["sum"]) == amount
        kept = seen["outcome"]
        assert (
            kept["state"],
            kept["revision"],
            kept["rows_ok"],
            kept["rows_failed"],
            kept["rows_dead_lettered"],
        ) == (
            status.state,
            status.revision,
            status.rows_ok,
            status.rows_failed,
            status.rows_dead_lettered,
        )
    assert api[widgets].state == "completed_with_errors" and api[widgets].revision == 3
    assert (api[widgets].rows_ok, api[widgets].rows_failed) == (294, 6)
    assert java[widgets]["outcome"]["previous_state"] == "failed"
    # the replay's rows came twice and were counted once; its notice says how many records
    for job in (orders, widgets):
        [notice] = java[job]["notices"]
        assert notice["type"] == "job.results_republished"
        assert notice["replay_id"] == report.replay_id
        assert java[job]["replayed_records"] == notice["records"] > 0
        assert notice["rows"] == api[job].rows_ok
    assert sum(java[j]["replayed_records"] for j in (orders, widgets)) == report.emitted
