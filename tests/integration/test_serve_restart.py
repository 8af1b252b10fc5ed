"""``bulkflow serve`` as a person runs it: Ctrl-C with uploads still queued stops it within
5 s, and the next start takes every one of them up again and finishes it exactly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ops.devservers.localhost import free_port
from ops.devservers.sample_data import write_orders_csv
from ops.supervisor import settings_env
from schemas.settings import Settings
from tests.support.waiting import api_ready, wait_until
from tests.unit.ops.test_cli_messages import BULKFLOW

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY = {"Authorization": "Bearer serve-key"}
UPLOADS, ROWS = 8, 15_000
FINAL = ("completed", "completed_with_errors", "failed")


@contextmanager
def serving(settings: Settings, cwd: Path, port: int, log: Path) -> Iterator[subprocess.Popen[str]]:
    """``bulkflow serve`` in its own session (as a terminal runs it), until ready; stopped
    afterwards if the test left it running."""
    with log.open("a") as out:
        proc = subprocess.Popen(
            [BULKFLOW, "serve", "--port", str(port)],
            cwd=cwd,
            env=settings_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
    try:

        def ready() -> bool:
            assert proc.poll() is None, f"serve exited:\n{log.read_text()[-4000:]}"
            return api_ready(f"http://127.0.0.1:{port}")

        wait_until(ready, f"serve to be ready (log {log})", 120, every_s=0.5)
        yield proc
    finally:
        if proc.poll() is None:
            # Ctrl-C: serve stops its processes (each runs in a session of its own, so killing
            # serve's group alone would leave them running); killed if it does not stop
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _states(base: str, jobs: list[str]) -> dict[str, str]:
    return {
        j: httpx.get(f"{base}/v1/uploads/{j}", headers=KEY, timeout=10).json()["state"]
        for j in jobs
    }


def test_ctrl_c_with_uploads_queued_stops_within_5s_and_the_next_start_finishes_them(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = kafka_settings.model_copy(update={"api_keys": "acme:serve-key"})
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    log = tmp_path / "serve.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    files = [
        write_orders_csv(tmp_path / f"orders-{i}.csv", ROWS, start_id=1 + i * ROWS)
        for i in range(UPLOADS)
    ]

    with serving(settings, cwd, port, log) as serve:
        jobs = []
        for path in files:
            with path.open("rb") as body:
                answer = httpx.post(
                    f"{base}/v1/uploads",
                    headers=KEY,
                    data={"dataset": "orders"},
                    files={"file": (path.name, body, "text/csv")},
                    timeout=60,
                )
            assert answer.status_code == 202, answer.text
            jobs.append(answer.json()["job_id"])
        unfinished = [j for j, s in _states(base, jobs).items() if s not in FINAL]
        assert unfinished, "every upload finished before Ctrl-C: the test needs queued ones"

        os.killpg(serve.pid, signal.SIGINT)  # what Ctrl-C in its terminal sends
        started = time.monotonic()
        serve.wait(30)
        took = time.monotonic() - started

    said = log.read_text()
    assert serve.returncode == 0, said[-3000:]
    assert took <= 6.0, f"serve took {took:.1f}s to stop:\n{said[-3000:]}"
    stopped = re.search(r"stopped in ([\d.]+)s", said)
    assert stopped and float(stopped.group(1)) <= 5.0, said[-3000:]

    with serving(settings, cwd, port, log):

        def all_final() -> dict[str, str] | None:
            states = _states(base, jobs)
            return states if all(v in FINAL for v in states.values()) else None

        done = wait_until(
            all_final,
            "every upload to finish after the restart",
            240,
            every_s=1,
            ignoring=(httpx.TransportError,),
        )
        statuses = [
            httpx.get(f"{base}/v1/uploads/{j}", headers=KEY, timeout=10).json() for j in jobs
        ]

    assert set(done.values()) == {"completed"}, done
    assert [(s["rows_ok"], s["rows_failed"]) for s in statuses] == [(ROWS, 0)] * UPLOADS
    engine = sa.create_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            count, distinct = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT order_id) FROM ds_orders")
            ).one()
    finally:
        engine.dispose()
    assert (count, distinct) == (UPLOADS * ROWS, UPLOADS * ROWS)
