"""Least-privilege PostgreSQL roles: the SQL of `bulkflow db roles` / `db grants`, the
migration as the migration role, the workers as the worker role, the API as the API role,
the producer as the producer role and the aggregator as the aggregator role through the real
pipeline; `bulkflow gc` as the migration role; a job that left the API's memory read by the
API role from the job statuses."""

from __future__ import annotations

import csv
import io
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from api.app import create_app
from database.engine import make_engine
from database.privileges import missing_privileges
from database.roles import RoleNames
from ops.devservers.postgres import libpq_url
from ops.devservers.sample_data import write_orders_csv
from ops.supervisor import settings_env
from schemas.errors import CONFIG_EXIT_CODE
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline
from tests.integration.test_api import A, running, upload
from tests.integration.test_postgres_tls import wait_final
from tests.support.pg_fixtures import drop_roles, role_url, run_sql, set_password, unique_roles
from tests.unit.ops.test_cli_messages import BULKFLOW

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def roles(pg_database_url: str) -> Iterator[tuple[RoleNames, dict[str, str]]]:
    """The roles, created by `bulkflow db roles` as an administrator would; their URLs."""
    names = unique_roles()
    database = pg_database_url.rsplit("/", 1)[1]
    args = ["--migrator", names.migrator, "--worker", names.worker, "--api", names.api]
    args += ["--producer", names.producer, "--aggregator", names.aggregator]
    run_sql(pg_database_url, cli(pg_database_url, "db", "roles", "--database", database, *args))
    urls = {}
    for role in names.all():
        password = f"pw-{uuid.uuid4().hex[:12]}"
        set_password(pg_database_url, role, password)
        urls[role] = role_url(pg_database_url, role, password)
    try:
        yield names, urls
    finally:
        drop_roles(pg_database_url, names.all())


def cli(url: str, *args: str, code: int = 0, settings: Settings | None = None) -> str:
    """`bulkflow ARGS` with BULKFLOW_DATABASE_URL=url: what it printed (stdout, then stderr)."""
    env = {**settings_env(settings or Settings()), "BULKFLOW_DATABASE_URL": url}
    done = subprocess.run(
        [BULKFLOW, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == code, done.stderr[-2000:]
    return (done.stdout + done.stderr).strip()


def test_each_process_runs_as_its_own_role(
    kafka_settings: Settings,
    pg_database_url: str,
    roles: tuple[RoleNames, dict[str, str]],
    tmp_path: Path,
) -> None:
    names, urls = roles
    worker_url, api_url = urls[names.worker], urls[names.api]
    # before the migration a runtime role finds the tables missing, and says who must act
    said = cli(worker_url, "worker", code=CONFIG_EXIT_CODE)
    assert said.count("\n") == 0 and "Traceback" not in said, said
    assert f"role '{names.worker}' may not change them" in said
    assert "run `bulkflow datasets migrate`" in said and "migration role" in said
    assert "1 dataset tables up to date: orders" in cli(urls[names.migrator], "datasets", "migrate")
    args = ["--worker", names.worker, "--api", names.api, "--producer", names.producer]
    args += ["--aggregator", names.aggregator]
    run_sql(urls[names.migrator], cli(pg_database_url, "db", "grants", *args))

    settings = kafka_settings.model_copy(update={"api_keys": "acme:key-a", "chunk_rows_idle": 500})
    workers = start_pipeline(
        settings.model_copy(update={"database_url": worker_url}), tmp_path / "w", "worker"
    )
    producer = start_pipeline(
        settings.model_copy(update={"database_url": urls[names.producer]}),
        tmp_path / "p",
        "producer",
    )
    aggregator = start_pipeline(
        settings.model_copy(update={"database_url": urls[names.aggregator]}),
        tmp_path / "a",
        "aggregator",
    )
    try:
        api_settings = settings.model_copy(update={"database_url": api_url})
        with running(create_app(api_settings, keepalive_s=0.5)) as client:
            first = write_orders_csv(tmp_path / "orders.csv", 1_500, invalid_every=100)
            jobs = [upload(client, first, headers={**A, "Idempotency-Key": "k1"}).json()["job_id"]]
            assert wait_final(client, jobs[0])["rows_ok"] == 1_485
            # a corrected file: the same keys with other values, upserted by the worker role
            fixed = write_orders_csv(tmp_path / "fixed.csv", 1_500, seed=8)
            jobs.append(upload(client, fixed).json()["job_id"])
            final = wait_final(client, jobs[1])
            assert (final["state"], final["rows_ok"]) == ("completed", 1_500)
            report = client.get(f"/v1/uploads/{jobs[0]}/errors", headers=A)
            assert len(list(csv.DictReader(io.StringIO(report.text)))) == 15
            # a header a person maps: the producer role parks it, the API role confirms it
            unnamed = tmp_path / "march.csv"
            unnamed.write_text("Order #,E-mail address,Date\n9001,m@example.com,2026-03-01\n")
            jobs.append(upload(client, unnamed).json()["job_id"])
            wait_final(client, jobs[2], states=("needs_mapping",))
            mapping = {"order_id": "Order #", "customer_email": "E-mail address"}
            mapping["ordered_at"] = "Date"
            confirmed = client.post(
                f"/v1/uploads/{jobs[2]}/mapping", json={"mapping": mapping}, headers=A
            )
            assert confirmed.status_code < 300, confirmed.text
            assert wait_final(client, jobs[2])["rows_ok"] == 1
            # row 2's key again on the last row, a chunk on: the worker role counts it
            lines = fixed.read_text().splitlines()[:601]
            lines = [
                lines[0],
                *(f"{50_000 + n},{line.split(',', 1)[1]}" for n, line in enumerate(lines[1:])),
            ]
            repeats = tmp_path / "repeats.csv"
            repeats.write_text("\n".join([*lines, lines[1]]) + "\n")
            jobs.append(upload(client, repeats).json()["job_id"])
            repeated = wait_final(client, jobs[3])
            assert (repeated["state"], repeated["rows_ok"]) == ("completed", 601)
            assert repeated["warning"].startswith("1 row was replaced by a later row")
            # how the dataset reads for result consumers: the recorded schema, read as the API
            compatibility = client.get("/v1/datasets/orders/compatibility", headers=A)
            assert compatibility.status_code == 200, compatibility.text
            verdict = compatibility.json()
            assert (verdict["level"], verdict["allowed"]) == ("FULL", True)
        # an API that holds no finished job in memory reads them, as the API role, from the
        # statuses the aggregator role wrote: a job, the list, its invalid rows, /metrics
        forgetful = api_settings.model_copy(update={"status_recent_jobs": 0})
        with running(create_app(forgetful, keepalive_s=0.5)) as client:
            assert client.app.state.bulkflow.view.get(jobs[0]) is None  # type: ignore[attr-defined]
            old = client.get(f"/v1/uploads/{jobs[0]}", headers=A).json()
            assert (old["state"], old["rows_ok"], old["rows_failed"]) == (
                "completed_with_errors",
                1_485,
                15,
            )
            listed = client.get("/v1/uploads?limit=10", headers=A).json()
            assert [j["job_id"] for j in listed["items"]] == jobs[::-1]
            invalid = client.get(f"/v1/uploads/{jobs[0]}/invalid-rows", headers=A).json()
            assert invalid["total"] == 15
            metrics = client.get("/metrics").text
            assert 'bookkeeping_rows{table="bulkflow_chunk_ledger"}' in metrics
        assert cli(worker_url, "dlq", "list") == "0 outstanding dead letters"
        # housekeeping is the migration role's: it may delete what retention removes
        swept = cli(urls[names.migrator], "gc", settings=settings)
        assert "row errors" in swept, swept
    finally:
        workers.stop()
        producer.stop()
        aggregator.stop()
    engine = make_engine(pg_database_url)
    try:
        with engine.connect() as conn:
            by_job = dict(
                conn.execute(text("SELECT job_id, count(*) FROM ds_orders GROUP BY job_id")).all()
            )
    finally:
        engine.dispose()
    assert by_job == {jobs[1]: 1_500, jobs[2]: 1, jobs[3]: 600}

    refused = "permission denied for table"
    with psycopg.connect(libpq_url(api_url), autocommit=True) as api:
        for statement in (
            "INSERT INTO ds_orders (job_id, row_no, tenant) VALUES ('x', 1, 'acme')",
            "SELECT count(*) FROM ds_orders",
            "INSERT INTO bulkflow_chunk_ledger VALUES ('x', 1, 0, 0, now())",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refused):
                api.execute(statement)
    with psycopg.connect(libpq_url(urls[names.producer]), autocommit=True) as producer_db:
        for statement in ("SELECT count(*) FROM ds_orders", "SELECT * FROM bulkflow_row_errors"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refused):
                producer_db.execute(statement)
    with psycopg.connect(libpq_url(worker_url), autocommit=True) as worker:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            worker.execute("CREATE TABLE ds_extra (id bigint)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refused):
            worker.execute("DELETE FROM ds_orders")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refused):
            worker.execute("SELECT * FROM bulkflow_idempotency")
    # a dataset added later: the migration role's table gives the worker role its rights
    run_sql(urls[names.migrator], "CREATE TABLE ds_later (job_id text)")
    with psycopg.connect(libpq_url(pg_database_url)) as admin:
        rights = admin.execute(
            "SELECT has_table_privilege(%s, 'ds_later', 'INSERT'), "
            "has_table_privilege(%s, 'ds_later', 'SELECT')",
            (names.worker, names.api),
        ).fetchone()
    assert rights == (True, False)


def test_a_role_granted_before_an_upgrade_stops_its_process_naming_the_privilege(
    pg_database_url: str, roles: tuple[RoleNames, dict[str, str]]
) -> None:
    names, urls = roles
    cli(urls[names.migrator], "datasets", "migrate")
    args = ["--worker", names.worker, "--api", names.api, "--producer", names.producer]
    args += ["--aggregator", names.aggregator]
    run_sql(urls[names.migrator], cli(pg_database_url, "db", "grants", *args))
    # what the grants of an older release lacked
    run_sql(
        urls[names.migrator],
        f'REVOKE UPDATE (rows_repeated) ON bulkflow_chunk_ledger FROM "{names.worker}";'
        f'REVOKE INSERT ON ds_orders FROM "{names.worker}";'
        f'REVOKE SELECT ON bulkflow_chunk_ledger FROM "{names.aggregator}";',
    )
    for role, kind, lacking in (
        (
            names.worker,
            "worker",
            "UPDATE (rows_repeated) on bulkflow_chunk_ledger, INSERT on ds_orders",
        ),
        (names.aggregator, "aggregator", "SELECT on bulkflow_chunk_ledger"),
    ):
        said = cli(urls[role], kind, code=CONFIG_EXIT_CODE)
        assert said.count("\n") == 0 and "Traceback" not in said, said
        assert (
            f"role '{role}' lacks what the {kind} does: {lacking}; run `bulkflow db grants`" in said
        )
    # the grants run again, the worker role starts its checks clean
    run_sql(urls[names.migrator], cli(pg_database_url, "db", "grants", *args))
    for role, kind in ((names.worker, "worker"), (names.aggregator, "aggregator")):
        engine = make_engine(urls[role])
        try:
            with engine.connect() as conn:
                assert missing_privileges(conn, kind, ["ds_orders"]) == (role, [])
        finally:
            engine.dispose()
