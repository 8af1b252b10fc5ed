"""The office corpus through the real pipeline: API -> broker -> producer -> worker -> database.

Each file of tests/data/office is uploaded as a user would (with its ``sheet`` form field when
expected.json names one) and its outcome checked against expected.json. The files today's code
cannot read yet are strict xfails: when a feature of issue 11 lands, its cases start passing,
the suite says XPASS(strict), and their names come out of ``NOT_YET``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from database.engine import make_engine
from messaging.topics import create_topics
from schemas.settings import Settings, load_settings, packaged_datasets_dir
from tests.integration.conftest import start_pipeline
from tests.integration.test_api import A, running
from tests.support.office_corpus import CORPUS_DIR, check_job, check_refusal, load_expected
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

FINAL_WAIT_S = 120
# What today's code cannot pass, by the part of issue 11 that will make it pass.
NOT_YET: dict[str, str] = {}


@pytest.fixture(scope="module")
def corpus_api(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Settings]]:
    """One pipeline and API for all files (each file has its own order ids)."""
    home = tmp_path_factory.mktemp("office-corpus")
    settings = load_settings(
        topic_prefix=f"t{uuid.uuid4().hex[:10]}",
        home=home / "home",
        datasets_dir=packaged_datasets_dir(),
        chunk_partitions=4,
        topic_partitions=2,
        kafka_bootstrap=kafka_bootstrap,
        api_keys="acme:key-a",
    )
    create_topics(settings, ["orders"])
    supervisor = start_pipeline(settings, home / "logs")
    try:
        with running(create_app(settings, keepalive_s=0.5)) as client:
            yield client, settings
    finally:
        supervisor.stop()


def _final_status(client: TestClient, job_id: str) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        status: dict[str, Any] = client.get(f"/v1/uploads/{job_id}", headers=A).json()
        # needs_mapping: paused for a person, as far as the file goes without one
        done = ("completed", "completed_with_errors", "failed", "needs_mapping")
        return status if status["state"] in done else None

    return wait_until(final, f"job {job_id} to be final", FINAL_WAIT_S)


def _cases() -> list[Any]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(reason=f"issue 11: {NOT_YET[name]}", strict=True)]
            if name in NOT_YET
            else [],
        )
        for name in sorted(load_expected())
    ]


@pytest.mark.parametrize("file_name", _cases())
def test_office_file_comes_out_as_expected(
    corpus_api: tuple[TestClient, Settings], file_name: str
) -> None:
    client, settings = corpus_api
    expected = load_expected()[file_name]
    path: Path = CORPUS_DIR / file_name
    form = {"dataset": expected["dataset"]}
    if expected["sheet"]:
        form["sheet"] = expected["sheet"]
    with path.open("rb") as f:
        answer = client.post("/v1/uploads", files={"file": (path.name, f)}, data=form, headers=A)
    if answer.status_code != 202:
        check_refusal(answer.status_code, answer.json().get("detail", answer.text), file_name)
        return
    status = _final_status(client, answer.json()["job_id"])
    engine = make_engine(settings.db_url)
    try:
        check_job(engine, status, file_name)
    finally:
        engine.dispose()
