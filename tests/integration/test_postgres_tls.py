"""PostgreSQL over TLS with sslmode=verify-full, as a company runs it: the whole pipeline on a
TLS-only server, and a wrong CA stops each process with one line."""

from __future__ import annotations

import csv
import io
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from database.engine import make_engine
from ops.devservers.certs import ensure_ca
from ops.devservers.localhost import free_port
from ops.devservers.postgres import PostgresServer, create_database, libpq_url, with_database
from ops.devservers.sample_data import write_orders_csv
from ops.supervisor import settings_env
from schemas.errors import CONFIG_EXIT_CODE
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.integration.test_api import A, running, upload
from tests.support.pg_fixtures import role_url, run_sql, set_password
from tests.support.waiting import wait_until
from tests.unit.ops.test_cli_messages import BULKFLOW

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

# a secret that must never be shown: in no log, error, /metrics page or command output
PASSWORD = f"pw-{uuid.uuid4().hex}"
ONE_LINE_S = 10.0


@pytest.fixture(scope="module")
def tls_url(postgres_tls: PostgresServer) -> str:
    """A login role with a SCRAM password that owns a fresh database on the TLS-only server:
    its URL, with sslmode=verify-full and sslrootcert=<the project CA>."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    run_sql(postgres_tls.url, f"CREATE ROLE {role} LOGIN")
    set_password(postgres_tls.url, role, PASSWORD)
    admin = with_database(postgres_tls.url, "postgres")
    create_database(admin, role)
    run_sql(admin, f"ALTER DATABASE {role} OWNER TO {role}")
    return role_url(with_database(postgres_tls.url, role), role, PASSWORD)


@pytest.fixture
def tls_settings(kafka_settings: Settings, tls_url: str) -> Settings:
    return kafka_settings.model_copy(
        update={"database_url": tls_url, "api_keys": "acme:key-a", "chunk_rows_idle": 500}
    )


def test_pipeline_runs_on_a_tls_only_server_with_verify_full(
    tls_settings: Settings, tls_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tls_url.split("?")[0] + "?sslmode=disable"
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba\.conf entry.*no encryption"):
        psycopg.connect(libpq_url(plain)).close()
    # libpq's defaults, for this process and its children, can never connect: a connection
    # that lost the URL's sslmode and sslrootcert on the way fails instead of passing
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    monkeypatch.setenv("PGSSLROOTCERT", str(tmp_path / "no-such-ca.pem"))

    supervisor = start_pipeline(tls_settings, tmp_path / "logs")
    try:
        with running(create_app(tls_settings, keepalive_s=0.5)) as client:
            path = write_orders_csv(tmp_path / "orders.csv", 2_000, invalid_every=100)
            headers = {**A, "Idempotency-Key": "tls-upload-1"}
            job_id = upload(client, path, headers=headers).json()["job_id"]
            status = wait_final(client, job_id)
            assert (status["state"], status["rows_ok"], status["rows_failed"]) == (
                "completed_with_errors",
                1_980,
                20,
            )
            # the API read the row errors and bound the key over TLS too
            report = client.get(f"/v1/uploads/{job_id}/errors", headers=A)
            assert len(list(csv.DictReader(io.StringIO(report.text)))) == 20
            again = upload(client, path, headers=headers)
            assert again.json()["job_id"] == job_id
            metrics = client.get("/metrics").text
        engine = make_engine(tls_url)
        try:
            with engine.connect() as conn:
                stored = conn.execute(
                    text("SELECT count(*) FROM ds_orders WHERE job_id = :j"), {"j": job_id}
                ).scalar_one()
                # every session of the role, the workers' pooled ones among them, is TLS
                sessions = conn.execute(
                    text(
                        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                        "WHERE a.usename = current_user"
                    )
                ).scalars()
                assert set(sessions) == {True}
        finally:
            engine.dispose()
        assert stored == 1_980
    finally:
        supervisor.stop()
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "logs").glob("*.log"))
    assert PASSWORD not in logs and PASSWORD not in metrics


def wait_final(
    client: TestClient,
    job_id: str,
    timeout_s: float = 90.0,
    states: tuple[str, ...] = ("completed", "completed_with_errors", "failed"),
) -> dict[str, Any]:
    """The job's status through the API once it is final (or in one of ``states``)."""

    def reached() -> dict[str, Any] | None:
        status: dict[str, Any] = client.get(f"/v1/uploads/{job_id}", headers=A).json()
        return status if status["state"] in states else None

    return wait_until(reached, f"job {job_id} to reach {states}", timeout_s)


def test_a_wrong_ca_stops_each_process_with_one_line(
    settings: Settings, tls_url: str, tmp_path: Path
) -> None:
    other_ca = ensure_ca(tmp_path / "other-ca", "a CA that signed nothing here").cert
    wrong = tls_url.split("?")[0] + f"?sslmode=verify-full&sslrootcert={other_ca}"
    env = settings_env(settings.model_copy(update={"database_url": wrong}))
    port = str(free_port())
    for command in (["worker"], ["api", "--port", port], ["serve", "--port", port]):
        began = time.monotonic()
        done = subprocess.run(
            [BULKFLOW, *command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=ONE_LINE_S + 20,
        )
        took = time.monotonic() - began
        said = done.stderr.strip()
        # a setting no restart can fix: the code that supervisors do not restart
        assert done.returncode == CONFIG_EXIT_CODE, (command, said)
        assert took < ONE_LINE_S, (command, took)
        assert said.count("\n") == 0 and "Traceback" not in said, (command, said)
        assert "BULKFLOW_DATABASE_URL" in said and f"sslrootcert ({other_ca})" in said, said
        assert PASSWORD not in done.stdout + done.stderr
    # serve stopped before starting any process: nothing to restart over and over
    assert not list((settings.home / "logs").glob("*.log"))
