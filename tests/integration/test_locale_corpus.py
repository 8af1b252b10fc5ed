"""The locale corpus (tests/data/locales) through the real pipeline, as a person uploads it:
API -> broker -> producer (detects the locale) -> worker (reads the text by it) -> database,
on SQLite and on PostgreSQL. Each upload is checked against expected.json: state, counts,
which rows failed and why, the checksums of the stored rows (amounts, UTC times, booleans),
and the locale its status names with the reading a person sees."""

from __future__ import annotations

import csv
import io
import json
import time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from database.engine import make_engine
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.integration.test_api import A, running
from tests.support.office_corpus import REPO_ROOT, job_problems, missing_keywords

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

CORPUS = REPO_ROOT / "tests" / "data" / "locales"
FINAL_WAIT_S = 120


@cache
def load_expected() -> dict[str, dict[str, Any]]:
    entries = json.loads((CORPUS / "expected.json").read_text())
    return {key: entry for key, entry in entries.items() if not key.startswith("_")}


def _send(client: TestClient, path: Path, locale: str | None) -> Any:
    form = {"dataset": "orders", **({"locale": locale} if locale else {})}
    with path.open("rb") as f:
        return client.post("/v1/uploads", files={"file": (path.name, f)}, data=form, headers=A)


def _finals(client: TestClient, jobs: dict[str, str]) -> dict[str, dict[str, Any]]:
    finals: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + FINAL_WAIT_S
    while len(finals) < len(jobs):
        for key, job_id in jobs.items():
            status = client.get(f"/v1/uploads/{job_id}", headers=A).json()
            if status["state"] in ("completed", "completed_with_errors", "failed"):
                finals[key] = status
        left = sorted(set(jobs) - set(finals))
        assert time.monotonic() < deadline, f"not final in {FINAL_WAIT_S}s: {left}"
        time.sleep(0.2)
    return finals


def _locale_problems(status: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    problems = []
    named = [status.get("locale"), status.get("locale_source")]
    if named != expected["status_locale"]:
        problems.append(f"status locale: expected {expected['status_locale']}, got {named}")
    lacking = missing_keywords(status.get("reading"), expected["reading_keywords"])
    if lacking:
        problems.append(f"reading {status.get('reading')!r} lacks {lacking}")
    return problems


def test_files_from_every_country_load_as_their_makers_meant(
    db_settings: Settings, tmp_path: Path
) -> None:
    settings = db_settings.model_copy(update={"api_keys": "acme:key-a"})
    supervisor = start_pipeline(settings, tmp_path / "logs")
    try:
        with running(create_app(settings, keepalive_s=0.5)) as client:
            refused = _send(client, CORPUS / "ambiguous.csv", "xx-YY")
            assert refused.status_code == 422, refused.text
            assert "unsupported locale 'xx-YY'" in refused.json()["detail"]
            assert "de-DE" in refused.json()["detail"]

            jobs = {}
            for key, expected in load_expected().items():
                answer = _send(client, CORPUS / expected["file"], expected["locale"])
                assert answer.status_code == 202, (key, answer.text)
                jobs[key] = answer.json()["job_id"]
            finals = _finals(client, jobs)

            engine = make_engine(settings.db_url)
            try:
                problems = {
                    key: job_problems(engine, finals[key], expected)
                    + _locale_problems(finals[key], expected)
                    for key, expected in load_expected().items()
                }
            finally:
                engine.dispose()
            found = {key: p for key, p in problems.items() if p}
            assert not found, "\n".join(f"{k}:\n  " + "\n  ".join(p) for k, p in found.items())

            # the errors CSV says by which locale the rejected values were read
            report = client.get(
                f"/v1/uploads/{jobs['fr-FR_excel_semicolon.csv']}/errors", headers=A
            )
            rows = list(csv.DictReader(io.StringIO(report.text)))
            assert [r["locale"] for r in rows] == ["fr-FR (detected)"] * 2
            assert rows[0]["value"] == "31/04/2024 10:00"
            _corrections_read_as_the_corrected_upload(
                client, settings, jobs["fr-FR_excel_semicolon.csv"]
            )
    finally:
        supervisor.stop()


def _corrections_read_as_the_corrected_upload(
    client: TestClient, settings: Settings, job_id: str
) -> None:
    """The French file's invalid rows corrected as the page sends them (JSON Lines, no
    locale): a correction reads as the job it corrects was read, unless it names its own."""
    invalid = client.get(f"/v1/uploads/{job_id}/invalid-rows", headers=A).json()
    cells = {item["row"]: item["cells"] for item in invalid["items"]}
    # 1 April in fr-FR; no locale reads 01/04/2024 alone, nor would detection decide
    dated = {"row_no": 9, **cells[9], "ordered_at": "01/04/2024 10:00"}
    # its own locale: German words and numbers
    german = {"row_no": 23, **cells[23], "express": "ja", "amount": "1.234,50"}
    sent = {}
    for name, row, locale in (("dated", dated, None), ("german", german, "de-DE")):
        form = {"corrects": job_id, **({"locale": locale} if locale else {})}
        file = (f"{name}.jsonl", json.dumps(row).encode() + b"\n")
        answer = client.post("/v1/uploads", files={"file": file}, data=form, headers=A)
        assert answer.status_code == 202, answer.text
        sent[name] = answer.json()["job_id"]
    finals = _finals(client, sent)
    assert [finals["dated"][k] for k in ("state", "locale", "locale_source")] == [
        "completed",
        "fr-FR",
        "corrected",
    ]
    assert finals["dated"]["reading"] == (
        "read as fr-FR: decimal comma, day-first dates (from the corrected upload)"
    )
    assert [finals["german"][k] for k in ("state", "locale", "locale_source")] == [
        "completed",
        "de-DE",
        "chosen",
    ]
    engine = make_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            query = "SELECT row_no, ordered_at, amount, express FROM ds_orders WHERE row_no IN "
            stored = conn.execute(
                sa.text(query + "(9, 23) AND order_id IN (:a, :b) ORDER BY row_no"),
                {"a": int(cells[9]["order_id"]), "b": int(cells[23]["order_id"])},
            ).all()
    finally:
        engine.dispose()
    assert [r[0] for r in stored] == [9, 23]
    assert str(stored[0][1])[:16] == "2024-04-01 10:00"
    assert (Decimal(str(stored[1][2])), bool(stored[1][3])) == (Decimal("1234.50"), True)
