"""Through HTTP against the real pipeline: what a user of the API sees from upload to end."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ops.devservers.sample_data import write_orders_csv, write_orders_xlsx
from ops.supervisor import Supervisor
from schemas.records import UploadStatus
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.integration.test_api import A, running, upload
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def live(kafka_settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = kafka_settings.model_copy(update={"api_keys": "acme:key-a,globex:key-b"})
    supervisor: Supervisor = start_pipeline(settings, tmp_path / "logs")
    try:
        with running(create_app(settings, keepalive_s=0.5)) as client:
            yield client, settings
    finally:
        supervisor.stop()


def _events(client: TestClient, job_id: str) -> list[UploadStatus]:
    seen = []
    with client.stream("GET", f"/v1/uploads/{job_id}/events", headers=A) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data:"):
                seen.append(UploadStatus.model_validate(json.loads(line[5:])))
                if seen[-1].is_final:
                    break
    return seen


def test_csv_and_xlsx_uploads_end_with_exact_counts_and_error_reports(
    live: tuple[TestClient, Settings], tmp_path: Path
) -> None:
    client, _settings = live
    csv_path = write_orders_csv(tmp_path / "orders.csv", 12_000, invalid_every=300)
    xlsx_path = write_orders_xlsx(tmp_path / "orders.xlsx", 3_000)
    # a formula-looking note in an invalid row must come back neutralised
    lines = csv_path.read_text().splitlines()
    cells = lines[5].split(",")
    cells[5], cells[7] = "=1+2", "=HYPERLINK(evil)"
    lines[5] = ",".join(cells)
    csv_path.write_text("\n".join(lines) + "\n")

    csv_job = upload(client, csv_path).json()["job_id"]
    xlsx_job = upload(client, xlsx_path).json()["job_id"]

    events = _events(client, csv_job)
    assert events[0].state in ("queued", "parsing", "processing")
    assert events[-1].state == "completed_with_errors"
    assert [e.percent for e in events] == sorted(e.percent for e in events)
    final = client.get(f"/v1/uploads/{csv_job}", headers=A).json()
    assert (final["rows_total"], final["rows_ok"], final["rows_failed"]) == (12_000, 11_959, 41)
    assert final["percent"] == 100.0 and final["finished_at"]

    xlsx_final = _events(client, xlsx_job)[-1]
    assert (xlsx_final.state, xlsx_final.rows_ok, xlsx_final.rows_failed) == ("completed", 3_000, 0)

    report = client.get(f"/v1/uploads/{csv_job}/errors", headers=A)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert len(rows) == 41
    assert {"row", "column", "value", "message"} <= set(rows[0])
    formula = [r for r in rows if r["column"] == "quantity" and r["row"] == "6"]
    assert formula and formula[0]["value"] == "'=1+2"
    assert (
        client.get(f"/v1/uploads/{csv_job}", headers={"Authorization": "Bearer key-b"}).status_code
        == 404
    )

    # the API follows chunk-results on its own consumer: it may lag the final statuses a bit
    def two_chunks_seen() -> str | None:
        text = client.get("/metrics").text
        seen = re.search(r"^chunk_processing_seconds_count (\S+)$", text, re.M)
        return text if seen and float(seen.group(1)) >= 2 else None

    metrics = wait_until(two_chunks_seen, "two chunks in the API's metrics", 30, every_s=0.5)
    assert 'chunk_consumer_lag{tier="low"}' in metrics
    assert re.search(
        r'^uploads_total\{state="completed_with_errors",tier="\w+"\} 1\.0$', metrics, re.M
    )

    listed = client.get("/v1/uploads", headers=A).json()
    assert [i["job_id"] for i in listed["items"]][:2] == [xlsx_job, csv_job]
