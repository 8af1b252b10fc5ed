"""Bring the tables up to date at start: the shared tables, and a dataset's ``ds_<name>``.

Dataset tables evolve by a small versioned step, not by ``create_all`` (which never changes a
table that exists) and not by Alembic. Alembic fits hand-written models with hand-written
revision scripts; here tables are generated from dataset YAML at run time, so there is no
revision to write, and the only change a table ever needs is one we can make safely ourselves:
``ALTER TABLE ADD COLUMN`` (nullable: old rows keep NULL). Every other difference would lose
data, so it is refused with a message saying what to do. That is a page of code, against a
dependency and a migration environment to ship with every deployment.

``bulkflow_schema_versions`` keeps one row per schema a dataset table was brought to: the
dataset, a version number counting up from 1, the fingerprint and JSON of its column set
(schema_diff.TableSpec) and when it was applied. The (dataset, version) primary key makes
concurrent starts safe: when two processes apply the same step, one insert fails, and that
process reads the recorded state again and finds nothing left to do.

A role without DDL rights (the runtime roles of docs/postgres.md) runs the same code: when the
tables are current it changes nothing, and when they are not, the first refused statement
becomes SchemaNotCurrent, one line saying to run the migration as the migration role.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from database.schema_diff import (
    SchemaChangeRefused,
    SchemaNotCurrent,
    StoredColumn,
    TableSpec,
    added_columns,
    result_verdict,
)
from database.tables import (
    CREATE_ATTEMPTS,
    RESERVED_COLUMNS,
    create_tables,
    dataset_table,
    lacks_privilege,
    schema_versions,
    shared_metadata,
)
from schemas.compatibility import Verdict
from schemas.dataset import Dataset, DatasetRegistry

_RACE_ERRORS = (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError)


def ensure_schema(
    engine: Engine,
    dataset: Dataset | None = None,
    *,
    source: str | None = None,
    attempts: int = CREATE_ATTEMPTS,
) -> None:
    """Create the shared tables, and create or migrate the dataset's table.

    ``source`` names the dataset file in messages. Raises SchemaChangeRefused (a ConfigError)
    when the dataset differs from its table in a way that would lose data, SchemaNotCurrent
    when the tables need a change this role may not make. Safe to race with other processes
    doing the same.
    """
    try:
        create_tables(engine, shared_metadata, attempts)
        _add_shared_columns(engine)
        _add_shared_indexes(engine)
        if dataset is None:
            return
        for attempt in range(attempts):
            try:
                _migrate(engine, dataset, source or f"datasets/{dataset.name}.yaml")
                return
            except _RACE_ERRORS as exc:
                # Another process applied the same step first (a duplicate version row, or a
                # column it already added); the recorded state, read again, says what is left.
                if attempt == attempts - 1 or lacks_privilege(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))
    except sa.exc.DBAPIError as exc:
        if not lacks_privilege(exc):
            raise
        raise SchemaNotCurrent(_not_current(engine, exc)) from exc


def migrate_datasets(engine: Engine, registry: DatasetRegistry) -> list[str]:
    """Bring every dataset's table up to date, at a process's start; the names done.

    Raises one SchemaChangeRefused naming every dataset whose YAML would lose data, so a
    worker refuses to start (and `bulkflow datasets migrate` says what to do) instead of
    dead-lettering that dataset's chunks one by one."""
    refused: list[str] = []
    done: list[str] = []
    ensure_schema(engine)  # the shared tables once, not once per dataset
    for name in registry.names():
        source = str(registry.directory / f"{name}.yaml")
        try:
            ensure_schema(engine, registry.get(name), source=source)
            done.append(name)
        except SchemaNotCurrent:
            raise  # one line is enough: the migration role brings every table up to date
        except SchemaChangeRefused as exc:
            refused.append(str(exc))
    if refused:
        raise SchemaChangeRefused("\n".join(refused))
    return done


@dataclass(frozen=True)
class DatasetCheck:
    """What migrating one dataset would mean for its result consumers."""

    dataset: str
    topic: str  # its results topic's name part: orders, orders.v2
    verdict: Verdict | None  # None: a new dataset (nothing recorded yet)

    @property
    def allowed(self) -> bool:
        return self.verdict is None or self.verdict.allowed

    def describe(self) -> str:
        if self.verdict is None:
            return f"{self.dataset}: new, published on results.{self.topic}"
        v = self.verdict
        changes = "; ".join(v.changes) or "no change for result consumers"
        head = f"{self.dataset}: {v.level} compatible ({changes})"
        if not v.allowed:
            return f"{head}; refused: {v.refusal(self.dataset)}"
        if v.new_major > v.old_major:
            return f"{head}; a new major version: results.{self.topic} (docs/topics.md)"
        return head


def check_dataset(engine: Engine, dataset: Dataset) -> DatasetCheck:
    """Compare the dataset's YAML with what its table was last brought to (no change)."""
    create_tables(engine, shared_metadata)
    applied = applied_versions(engine, dataset.name)
    verdict = result_verdict(applied[-1][1], dataset) if applied else None
    return DatasetCheck(dataset.name, dataset.results_name, verdict)


def _not_current(engine: Engine, exc: sa.exc.DBAPIError) -> str:
    statement = " ".join(str(exc.statement or "").split()).split("(")[0].strip()[:80]
    return (
        f"the database tables are not current ({statement} is needed) and role "
        f"{engine.url.username or '?'!r} may not change them: run `bulkflow datasets migrate` "
        "with BULKFLOW_DATABASE_URL naming the migration role, then start this again"
    )


def applied_versions(engine: Engine, dataset: str) -> list[tuple[int, TableSpec]]:
    """(version, spec) of every step applied to the dataset's table, oldest first."""
    query = (
        sa.select(schema_versions.c.version, schema_versions.c.columns)
        .where(schema_versions.c.dataset == dataset)
        .order_by(schema_versions.c.version)
    )
    with engine.connect() as conn:
        return [(int(v), TableSpec.from_json(text)) for v, text in conn.execute(query)]


def _migrate(engine: Engine, dataset: Dataset, source: str) -> None:
    wanted = TableSpec.of(dataset)
    applied = applied_versions(engine, dataset.name)
    version, stored = applied[-1] if applied else (0, None)
    existing = _table_columns(engine, dataset.table_name)
    if existing is None:
        # A new dataset, or a table dropped by hand: made whole, as the YAML says now.
        create_tables(engine, dataset_table(dataset).metadata)
        if stored is None or stored.fingerprint != wanted.fingerprint:
            with engine.begin() as conn:
                _record(conn, dataset.name, version + 1, wanted)
        return
    if stored is None:
        # A table made before versions were kept (or whose rows were deleted after a hand
        # migration): taken as the dataset's columns that it has, under the dataset's key.
        stored = _with_dropped(wanted.only(existing), existing)
    elif stored.fingerprint == wanted.fingerprint:
        return
    added = added_columns(dataset.name, source, stored, wanted)
    verdict = result_verdict(stored, dataset)
    if not verdict.allowed:
        raise SchemaChangeRefused(verdict.refusal(dataset.name))
    table = dataset_table(dataset)
    with engine.begin() as conn:
        present = _table_columns(conn, table.name) or set()
        for name in added:
            # A run that stopped between its ALTER and its version row (SQLite commits DDL
            # at once) left the column in place already.
            if name not in present:
                _add_column(conn, table, name)
        _record(conn, dataset.name, version + 1, wanted)


def _with_dropped(spec: TableSpec, existing: set[str]) -> TableSpec:
    """Columns the table has and the dataset does not, so that the diff refuses them."""
    known = set(spec.names())
    extra = tuple(StoredColumn(n, "unknown", "unknown") for n in sorted(existing - known))
    return TableSpec(spec.key, spec.columns + extra)


def _table_columns(bind: Engine | Connection, table: str) -> set[str] | None:
    """The table's data columns (bulkflow's own left out), or None when there is no table."""
    inspector = sa.inspect(bind)
    if not inspector.has_table(table):
        return None
    return {c["name"] for c in inspector.get_columns(table)} - RESERVED_COLUMNS


def _add_column(conn: Connection, table: sa.Table, name: str) -> None:
    quote = conn.dialect.identifier_preparer.quote
    column = table.c[name]
    sql_type = column.type.compile(dialect=conn.dialect)
    default = column.server_default
    tail = ""
    if isinstance(default, sa.DefaultClause) and isinstance(default.arg, str):
        tail = " NOT NULL DEFAULT '" + default.arg.replace("'", "''") + "'"
    conn.exec_driver_sql(
        f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {sql_type}{tail}"
    )


def _add_shared_columns(engine: Engine) -> None:
    """A column bulkflow's own tables gained in a later release, added to a database made
    before it (each such column is nullable or has a server default, so old rows stay valid)."""
    inspector = sa.inspect(engine)
    for table in shared_metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c.name for c in table.columns if c.name not in present]
        if not missing:
            continue
        try:
            with engine.begin() as conn:
                for name in missing:
                    _add_column(conn, table, name)
        except _RACE_ERRORS as exc:
            if lacks_privilege(exc):
                raise
            # another process added it first


def _add_shared_indexes(engine: Engine) -> None:
    """An index bulkflow's own tables gained in a later release, made on a database made
    before it (CREATE TABLE makes a new table's indexes; an existing table needs this)."""
    inspector = sa.inspect(engine)
    for table in shared_metadata.sorted_tables:
        present = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name in present:
                continue
            try:
                index.create(engine, checkfirst=True)
            except _RACE_ERRORS as exc:
                if lacks_privilege(exc):
                    raise
                # another process made it first


def _record(conn: Connection, dataset: str, version: int, spec: TableSpec) -> None:
    conn.execute(
        schema_versions.insert().values(
            dataset=dataset,
            version=version,
            fingerprint=spec.fingerprint,
            columns=spec.to_json(),
            applied_at=datetime.now(UTC),
        )
    )
