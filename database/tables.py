"""Every table bulkflow writes, declared here: ``ds_<dataset>`` per dataset, the chunk ledger,
the row errors and invalid rows, the idempotency keys, the jobs' statuses, the applied
dataset schema versions, the dead letters, saved column mappings, paused uploads and
corrected rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, Table

from database.column_types import UTCDateTime, sql_type
from schemas.dataset import Dataset
from schemas.errors import DatasetError

RESERVED_COLUMNS = frozenset({"job_id", "row_no", "tenant"})
CREATE_ATTEMPTS = 5

shared_metadata = sa.MetaData()
ledger = Table(
    "bulkflow_chunk_ledger",
    shared_metadata,
    sa.Column("job_id", sa.Text, primary_key=True),
    sa.Column("chunk_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("rows_ok", sa.BigInteger, nullable=False),
    sa.Column("rows_failed", sa.BigInteger, nullable=False),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
    # rows a later row of the file with their key replaced (NULL counts as none): a chunk read
    # again after its transaction committed reports them as its first reading did. Last, as
    # in a table made before it, which gains it at the end
    sa.Column("rows_repeated", sa.BigInteger),
    # retention deletes the oldest rows in small batches (database/retention.py)
    sa.Index("ix_bulkflow_chunk_ledger_processed_at", "processed_at"),
)
row_errors = Table(
    "bulkflow_row_errors",
    shared_metadata,
    # SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("job_id", sa.Text, nullable=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("row_no", sa.BigInteger, nullable=False),
    sa.Column("column_name", sa.Text, nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_bulkflow_row_errors_job_row", "job_id", "row_no"),
)
idempotency = Table(
    "bulkflow_idempotency",
    shared_metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("job_id", sa.Text, nullable=False),
    # what the key was first used for: dataset, sheet and the file's SHA-256 (api/idempotency.py)
    sa.Column("fingerprint", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_bulkflow_idempotency_created_at", "created_at"),
)
# One row per job: its latest status as the API shows it and, from the aggregator, the
# progress it folds (database/job_statuses.py). The API writes the queued status when it
# accepts an upload, the aggregator each change of state and the final status, so this is
# where a job's status is read once it has left the memory of the processes. Both JSON
# columns are the models' own JSON: a field added to a model is kept without a migration.
job_statuses = Table(
    "bulkflow_job_status",
    shared_metadata,
    sa.Column("job_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("submitted_at", UTCDateTime(), nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("finished_at", UTCDateTime()),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # UploadStatus JSON
    sa.Column("progress", sa.Text),  # the aggregator's JobProgress JSON
    sa.Column("errors_purged_at", UTCDateTime()),  # when retention removed its row errors
    sa.Index("ix_bulkflow_job_status_tenant_submitted", "tenant", "submitted_at", "job_id"),
    sa.Index("ix_bulkflow_job_status_purge", "dataset", "errors_purged_at", "finished_at"),
)
# One row per schema a dataset table was brought to (database/migrations.py).
schema_versions = Table(
    "bulkflow_schema_versions",
    shared_metadata,
    sa.Column("dataset", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("columns", sa.Text, nullable=False),  # the column set and key, as JSON
    sa.Column("applied_at", UTCDateTime(), nullable=False),
)
# One row per dead-lettered chunk: the DLQ as a state (database/dead_letters.py). A letter is
# resolved when the ledger holds its chunk; status says what an operator did with it.
dead_letters = Table(
    "bulkflow_dead_letters",
    shared_metadata,
    sa.Column("job_id", sa.Text, primary_key=True),
    sa.Column("chunk_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("source_topic", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # outstanding | redriven | discarded
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("first_failed_at", UTCDateTime(), nullable=False),
    sa.Column("last_failed_at", UTCDateTime(), nullable=False),
    sa.Column("redriven_at", UTCDateTime()),
    sa.Column("discarded_at", UTCDateTime()),
    sa.Column("discard_reason", sa.Text),
    sa.Index("ix_bulkflow_dead_letters_status", "status"),
)

# Column mappings a person confirmed, per tenant and dataset, by the header they were made
# for (schemas/column_mapping.header_signature): offered first next time, applied without
# asking to a file with the same header (database/column_mappings.py).
column_mappings = Table(
    "bulkflow_column_mappings",
    shared_metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("dataset", sa.Text, primary_key=True),
    sa.Column("signature", sa.Text, primary_key=True),
    sa.Column("mapping", sa.Text, nullable=False),  # JSON: dataset column -> file header
    sa.Column("saved_at", UTCDateTime(), nullable=False),
)
# Uploads paused in needs_mapping: the upload record the producer parked, until a person
# confirms a mapping (then it is published again) or it expires.
paused_uploads = Table(
    "bulkflow_paused_uploads",
    shared_metadata,
    sa.Column("job_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("upload", sa.Text, nullable=False),  # the UploadRecord, JSON
    sa.Column("file_columns", sa.Text, nullable=False),  # JSON list: the header candidate
    sa.Column("paused_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Index("ix_bulkflow_paused_uploads_expires", "expires_at"),
)
# The whole of each invalid row, as the file gave it (JSON: column -> cell text), written
# with the chunk's row errors: what a person corrects in place.
invalid_rows = Table(
    "bulkflow_invalid_rows",
    shared_metadata,
    sa.Column("job_id", sa.Text, primary_key=True),
    sa.Column("row_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("cells", sa.Text, nullable=False),
)
# Which invalid rows of a job a correction job saved (written with the correction's chunk).
corrected_rows = Table(
    "bulkflow_corrected_rows",
    shared_metadata,
    sa.Column("job_id", sa.Text, primary_key=True),  # the job corrected
    sa.Column("row_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("corrected_by", sa.Text, primary_key=True),  # the correction job
    sa.Column("tenant", sa.Text, nullable=False),
)


def create_tables(engine: Engine, metadata: sa.MetaData, attempts: int = CREATE_ATTEMPTS) -> None:
    """CREATE the metadata's missing tables; safe to race with other processes doing the same."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError) as exc:
            # Another process created it between our check and CREATE ("already exists",
            # or PostgreSQL's duplicate pg_type key); checkfirst sees it on the next pass.
            if attempt == attempts - 1 or lacks_privilege(exc):
                raise


def lacks_privilege(exc: BaseException) -> bool:
    """PostgreSQL refused a statement to this role (SQLSTATE 42501): no retry can help."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501"


def key_columns(dataset: Dataset) -> list[str]:
    return ["tenant", *dataset.key]


_tables: dict[Dataset, Table] = {}


def dataset_table(dataset: Dataset) -> Table:
    """The ``ds_<name>`` table of a dataset (one MetaData each, so schemas never mix)."""
    table = _tables.get(dataset)
    if table is None:
        clash = sorted(RESERVED_COLUMNS & {c.name for c in dataset.columns})
        if clash:
            raise DatasetError(
                f"dataset {dataset.name}: column names reserved by bulkflow: {clash}"
            )
        name = dataset.table_name
        parts: list[Any] = [
            sa.Column("job_id", sa.Text, nullable=False),
            sa.Column("row_no", sa.BigInteger, nullable=False),
            sa.Column("tenant", sa.Text, nullable=False),
            *(sa.Column(c.name, sql_type(c)) for c in dataset.columns),
        ]
        if dataset.key:
            # Part of CREATE TABLE (not a later CREATE INDEX) so a table seen by a concurrent
            # ensure_schema always has its upsert target. Scoped by tenant: one tenant's
            # re-upload must never overwrite another tenant's rows.
            # The key's own columns lead and the tenant comes last: the same uniqueness and
            # the same ON CONFLICT target (PostgreSQL matches an index by its set of columns),
            # but an insert's comparisons are settled by the key, not by a text tenant that is
            # the same on every row of a chunk (with the tenant first, PostgreSQL's b-tree
            # compares text on every row before it reaches the key).
            parts.append(sa.UniqueConstraint(*dataset.key, "tenant", name=f"uq_{name}_key"))
        else:
            # The upsert target of an unkeyed dataset. A keyed one goes without: the ledger
            # already writes each chunk once, and this wide index costs PostgreSQL about as
            # much per row as the rest of the insert (bench/persistence_speed.py).
            parts.append(sa.UniqueConstraint("job_id", "row_no", name=f"uq_{name}_job_row"))
        table = Table(name, sa.MetaData(), *parts)
        _tables[dataset] = table
    return table
