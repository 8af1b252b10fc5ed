"""bulkflow's least-privilege PostgreSQL roles, as SQL a person reviews and runs with psql.

Five login roles (docs/postgres.md):

* the migration role owns every table: it alone runs DDL (``bulkflow datasets migrate``
  creates bulkflow's own tables and each dataset's ``ds_<name>``, and adds columns). The
  operator's housekeeping runs as it too: ``bulkflow gc`` deletes bookkeeping rows (the
  ledger's among them, which make a replay exactly-once: no runtime role may delete those),
  and ``bulkflow backfill-statuses`` writes job statuses;
* the worker role writes what a chunk writes: the dataset tables, the ledger, the row errors
  and the dead letters. The operator commands (``bulkflow replay``, ``bulkflow dlq``) do
  the same and run as it;
* the API role reads the row errors and invalid rows (the error reports, the rows a person
  corrects) and the dataset schemas recorded (how a change reads for result consumers),
  keeps the idempotency keys and the column mappings people confirm, releases paused
  uploads, reads the jobs' statuses and records a job it accepted; it cannot write, or even
  read, a dataset table;
* the producer role reads the saved column mappings, parks an upload whose header needs
  a person's mapping, and asks which jobs have ended (its spool's sweep);
* the aggregator role writes each job's status and reads back a job it let go, and reads
  the ledger of a job whose chunk results are late.

``roles_sql`` is run once by an administrator; ``grants_sql`` by the migration role after
``bulkflow datasets migrate`` (again after an upgrade: it revokes before it grants, so it
converges). A dataset added later needs nothing: the migration role's default privileges
give the worker role its rights on every table the migration role creates from then on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql

from database.tables import (
    column_mappings,
    corrected_rows,
    dead_letters,
    idempotency,
    invalid_rows,
    job_statuses,
    ledger,
    paused_uploads,
    row_errors,
    schema_versions,
)

# What each runtime role does to bulkflow's own tables, read from the code that uses them.
WORKER_TABLES = {
    # claim a chunk, and count the rows a later row of its file replaced; a chunk seen before
    # reads its counts
    ledger: "SELECT, INSERT, UPDATE (rows_repeated)",
    row_errors: "INSERT",  # COPY of a chunk's row errors
    dead_letters: "SELECT, INSERT, UPDATE",  # record a letter; dlq list, redrive, discard
    schema_versions: "SELECT",  # is each dataset table current?
    invalid_rows: "INSERT",  # an invalid row whole, for correcting in place
    corrected_rows: "INSERT",  # which rows a correction job saved
}
API_TABLES = {
    row_errors: "SELECT",  # the error report (CSV, JSON)
    idempotency: "SELECT, INSERT, UPDATE, DELETE",  # bind, take over when expired, release
    invalid_rows: "SELECT",  # the rows still invalid, to correct in place
    corrected_rows: "SELECT",  # "N rows corrected by ..."
    column_mappings: "SELECT, INSERT, UPDATE",  # save a confirmed mapping (an upsert)
    # confirm a mapping or expire what nobody confirms (taking the row decides which);
    # put it back when the confirmation cannot be sent
    paused_uploads: "SELECT, INSERT, DELETE",
    schema_versions: "SELECT",  # GET /v1/datasets/{name}/compatibility
    job_statuses: "SELECT, INSERT",  # a job not in memory, the uploads list; a queued job
}
PRODUCER_TABLES = {
    column_mappings: "SELECT",  # a saved mapping, offered first or applied when exact
    paused_uploads: "SELECT, INSERT, UPDATE",  # park an upload in needs_mapping (an upsert)
    job_statuses: "SELECT",  # which jobs have ended: their fetched copies may go
}
AGGREGATOR_TABLES = {
    job_statuses: "SELECT, INSERT, UPDATE",  # each job's status (an upsert); reload a job
    ledger: "SELECT",  # a job whose chunk results are late: what its written chunks came to
}
RUNTIME_TABLES = (
    ledger,
    row_errors,
    dead_letters,
    schema_versions,
    idempotency,
    invalid_rows,
    corrected_rows,
    column_mappings,
    paused_uploads,
    job_statuses,
)
# A dataset table: the chunk's COPY, and ON CONFLICT DO UPDATE for a re-uploaded key, which
# needs SELECT besides UPDATE.
DATASET_PRIVILEGES = "SELECT, INSERT, UPDATE"
SCHEMA = "public"


@dataclass(frozen=True)
class RoleNames:
    migrator: str = "bulkflow_migrator"
    worker: str = "bulkflow_worker"
    api: str = "bulkflow_api"
    producer: str = "bulkflow_producer"
    aggregator: str = "bulkflow_aggregator"

    def runtime(self) -> str:
        return ", ".join(
            quote_name(r) for r in (self.worker, self.api, self.producer, self.aggregator)
        )

    def all(self) -> tuple[str, ...]:
        return (self.migrator, self.worker, self.api, self.producer, self.aggregator)


def roles_sql(database: str, roles: RoleNames = RoleNames()) -> str:
    """Create the roles (no passwords: set them with psql's \\password) and what they may do
    to the database and its schema. Idempotent; run by a superuser or a CREATEROLE role."""
    lines = ["-- bulkflow's database roles: run once as an administrator (database/roles.py)"]
    for role in roles.all():
        lines.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {sql_literal(role)}) "
            f"THEN CREATE ROLE {quote_name(role)} LOGIN; END IF; END $$;"
        )
    db = quote_name(database)
    everyone = f"{quote_name(roles.migrator)}, {roles.runtime()}"
    lines += [
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC;",
        f"GRANT CONNECT ON DATABASE {db} TO {everyone};",
        "-- the upsert path's temporary table, which lives for one chunk",
        f"GRANT TEMPORARY ON DATABASE {db} TO {quote_name(roles.worker)};",
        f"REVOKE CREATE ON SCHEMA {SCHEMA} FROM PUBLIC;",
        f"GRANT USAGE, CREATE ON SCHEMA {SCHEMA} TO {quote_name(roles.migrator)};",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {roles.runtime()};",
    ]
    return "\n".join(lines) + "\n"


def grants_sql(dataset_tables: Iterable[str], roles: RoleNames = RoleNames()) -> str:
    """Each runtime role's rights on the tables there are now (the dataset tables named),
    and the worker role's on dataset tables created later. Run by the migration role."""
    worker, api, runtime = quote_name(roles.worker), quote_name(roles.api), roles.runtime()
    shared = [t.name for t in RUNTIME_TABLES]
    lines = [
        "-- bulkflow's grants: run as the migration role after `bulkflow datasets migrate`",
        f"REVOKE ALL ON {', '.join(quote_name(t) for t in shared)} FROM {runtime};",
    ]
    lines += [f"GRANT {p} ON {quote_name(t.name)} TO {worker};" for t, p in WORKER_TABLES.items()]
    lines += [f"GRANT {p} ON {quote_name(t.name)} TO {api};" for t, p in API_TABLES.items()]
    producer = quote_name(roles.producer)
    lines += [
        f"GRANT {p} ON {quote_name(t.name)} TO {producer};" for t, p in PRODUCER_TABLES.items()
    ]
    aggregator = quote_name(roles.aggregator)
    lines += [
        f"GRANT {p} ON {quote_name(t.name)} TO {aggregator};" for t, p in AGGREGATOR_TABLES.items()
    ]
    lines.append(f"GRANT USAGE ON SEQUENCE {quote_name(id_sequence())} TO {worker};")
    for table in dataset_tables:
        lines += [
            f"REVOKE ALL ON {quote_name(table)} FROM {runtime};",
            f"GRANT {DATASET_PRIVILEGES} ON {quote_name(table)} TO {worker};",
        ]
    lines.append(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA} "
        f"GRANT {DATASET_PRIVILEGES} ON TABLES TO {worker};"
    )
    return "\n".join(lines) + "\n"


def id_sequence() -> str:
    """The sequence behind the row errors' id (PostgreSQL's BIGSERIAL naming)."""
    return f"{row_errors.name}_{row_errors.c.id.name}_seq"


_PREPARER = postgresql.dialect().identifier_preparer


def quote_name(name: str) -> str:
    return _PREPARER.quote(name)


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
