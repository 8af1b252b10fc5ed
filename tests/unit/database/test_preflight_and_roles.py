"""A database URL that can never work is one line naming the setting; the roles' SQL grants
each role what its processes do and nothing else."""

from __future__ import annotations

import pytest

from database.preflight import setting_problem
from database.roles import RoleNames, grants_sql, roles_sql

SECRET = "s3cret-pw"
URL = (
    f"postgresql://bulkflow_worker:{SECRET}@db.internal:5432/bulkflow"
    "?sslmode=verify-full&sslrootcert=/etc/bulkflow/db-ca.pem"
)
AT = 'connection failed: connection to server at "10.0.0.5", port 5432 failed: '


@pytest.mark.parametrize(
    ("libpq_says", "one_line"),
    [
        (
            f"{AT}SSL error: certificate verify failed",
            "the server's TLS certificate is not signed by the CA in sslrootcert "
            "(/etc/bulkflow/db-ca.pem)",
        ),
        (
            f'{AT}root certificate file "/etc/bulkflow/db-ca.pem" does not exist\nEither provide',
            "sslrootcert /etc/bulkflow/db-ca.pem does not exist",
        ),
        (
            f'{AT}server certificate for "other.internal" does not match host name "db.internal"',
            "the server's TLS certificate is for 'other.internal', not for host 'db.internal'",
        ),
        (
            f'{AT}FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "bulkflow_worker", '
            'database "bulkflow", no encryption',
            "the server refuses user 'bulkflow_worker' without TLS from this host",
        ),
        (
            f"{AT}server does not support SSL, but SSL was required",
            "sslmode=verify-full asks for TLS and the server at db.internal offers none",
        ),
        (
            f'{AT}FATAL:  password authentication failed for user "bulkflow_worker"',
            "password authentication failed for user 'bulkflow_worker'",
        ),
        (
            f"{AT}FATAL:  SASL authentication failed",
            "password authentication failed for user 'bulkflow_worker'",
        ),
        (
            f'{AT}FATAL:  database "bulkflow" does not exist',
            "database 'bulkflow' does not exist on db.internal",
        ),
        (f"{AT}FATAL:  no such database: bulkflow", "database 'bulkflow' does not exist"),
        ('connection is bad: invalid sslmode value: "bogus"', 'invalid sslmode value: "bogus"'),
    ],
)
def test_a_url_that_cannot_work_is_one_line_naming_the_setting(
    libpq_says: str, one_line: str
) -> None:
    said = setting_problem(Exception(libpq_says), URL)
    assert said is not None and said.startswith("BULKFLOW_DATABASE_URL: ")
    assert one_line in said and "\n" not in said and SECRET not in said


@pytest.mark.parametrize(
    "libpq_says",
    [
        f"{AT}Connection refused\n\tIs the server running on that host",
        f"{AT}FATAL:  the database system is starting up",
        "consuming input failed: server closed the connection unexpectedly",
    ],
)
def test_a_server_that_may_come_back_is_left_to_the_retries(libpq_says: str) -> None:
    assert setting_problem(Exception(libpq_says), URL) is None


def test_the_api_role_has_no_right_on_dataset_tables_and_the_worker_no_ddl() -> None:
    grants = grants_sql(["ds_orders", "ds_new"]).splitlines()
    api = [g for g in grants if g.startswith("GRANT") and g.endswith("TO bulkflow_api;")]
    assert api == [
        "GRANT SELECT ON bulkflow_row_errors TO bulkflow_api;",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON bulkflow_idempotency TO bulkflow_api;",
        "GRANT SELECT ON bulkflow_invalid_rows TO bulkflow_api;",
        "GRANT SELECT ON bulkflow_corrected_rows TO bulkflow_api;",
        "GRANT SELECT, INSERT, UPDATE ON bulkflow_column_mappings TO bulkflow_api;",
        "GRANT SELECT, INSERT, DELETE ON bulkflow_paused_uploads TO bulkflow_api;",
        "GRANT SELECT ON bulkflow_schema_versions TO bulkflow_api;",
        "GRANT SELECT, INSERT ON bulkflow_job_status TO bulkflow_api;",
    ]
    producer = [g for g in grants if g.startswith("GRANT") and g.endswith("bulkflow_producer;")]
    assert producer == [
        "GRANT SELECT ON bulkflow_column_mappings TO bulkflow_producer;",
        "GRANT SELECT, INSERT, UPDATE ON bulkflow_paused_uploads TO bulkflow_producer;",
        "GRANT SELECT ON bulkflow_job_status TO bulkflow_producer;",
    ]
    # the aggregator writes the job statuses and reads the ledger (late chunk results)
    aggregator = [g for g in grants if g.startswith("GRANT") and "bulkflow_aggregator" in g]
    assert aggregator == [
        "GRANT SELECT, INSERT, UPDATE ON bulkflow_job_status TO bulkflow_aggregator;",
        "GRANT SELECT ON bulkflow_chunk_ledger TO bulkflow_aggregator;",
    ]
    assert "GRANT SELECT, INSERT, UPDATE ON ds_new TO bulkflow_worker;" in grants
    runtime = "bulkflow_worker, bulkflow_api, bulkflow_producer, bulkflow_aggregator"
    assert f"REVOKE ALL ON ds_orders FROM {runtime};" in grants
    assert grants[-1] == (
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE ON TABLES TO bulkflow_worker;"
    )
    # no runtime role may delete a ledger row (a replay would write its chunk twice)
    assert not [g for g in grants if "DELETE" in g and "bulkflow_worker" in g]
    assert not [g for g in grants if g.startswith("GRANT") and "DELETE ON bulkflow_chunk" in g]
    roles = roles_sql("bulkflow")
    assert "GRANT USAGE, CREATE ON SCHEMA public TO bulkflow_migrator;" in roles
    assert f"GRANT USAGE ON SCHEMA public TO {runtime};" in roles
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in roles


def test_role_and_database_names_are_quoted() -> None:
    sql = roles_sql("my db", RoleNames("Mig", "work-er", "api", "prod", "agg"))
    assert 'GRANT CONNECT ON DATABASE "my db" TO "Mig", "work-er", api, prod, agg;' in sql
    assert "WHERE rolname = 'work-er') THEN CREATE ROLE \"work-er\" LOGIN;" in sql
