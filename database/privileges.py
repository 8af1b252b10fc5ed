"""At a runtime process's start: does its database role hold what the process does?

The runtime roles hold what ``bulkflow db grants`` gave them (database/roles.py). A release
that needs one more privilege (say the worker's UPDATE of the ledger's ``rows_repeated``)
finds a role granted before it without that privilege until the migration role runs the
grants again; unchecked, the first chunk that needs it would be refused and dead-lettered.
So each process asks PostgreSQL (``has_table_privilege`` and its kin, one query) for every
privilege of its kind in roles.py and stops in one line naming what is missing. An owner or a
superuser holds everything; SQLite has no privileges to check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from sqlalchemy import Connection, text

from database.roles import (
    AGGREGATOR_TABLES,
    API_TABLES,
    DATASET_PRIVILEGES,
    PRODUCER_TABLES,
    SCHEMA,
    WORKER_TABLES,
    id_sequence,
    quote_name,
    sql_literal,
)

RoleKind = Literal["worker", "api", "producer", "aggregator"]

_TABLES = {
    "worker": WORKER_TABLES,
    "api": API_TABLES,
    "producer": PRODUCER_TABLES,
    "aggregator": AGGREGATOR_TABLES,
}
# one privilege of a grant's list, with its columns when it names some: "UPDATE (a, b)"
_PRIVILEGE = re.compile(r"(\w+)\s*(?:\(([^)]*)\))?")


def wanted(kind: RoleKind, dataset_tables: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Each privilege the kind's process uses, as (what a person reads, the SQL that is true
    when the current role holds it)."""
    checks = [
        (f"USAGE on schema {SCHEMA}", f"has_schema_privilege({sql_literal(SCHEMA)}, 'USAGE')")
    ]
    grants = [(table.name, privileges) for table, privileges in _TABLES[kind].items()]
    if kind == "worker":
        grants += [(name, DATASET_PRIVILEGES) for name in dataset_tables]
        sequence = id_sequence()
        checks.append(
            (
                f"USAGE on {sequence}",
                f"has_sequence_privilege({sql_literal(quote_name(sequence))}, 'USAGE')",
            )
        )
        checks.append(
            ("TEMPORARY on the database", "has_database_privilege(current_database(), 'TEMPORARY')")
        )
    for table, privileges in grants:
        name = sql_literal(quote_name(table))
        for match in _PRIVILEGE.finditer(privileges):
            privilege, columns = match.group(1), match.group(2)
            if not columns:
                checks.append(
                    (f"{privilege} on {table}", f"has_table_privilege({name}, '{privilege}')")
                )
                continue
            for column in (c.strip() for c in columns.split(",")):
                checks.append(
                    (
                        f"{privilege} ({column}) on {table}",
                        f"has_column_privilege({name}, {sql_literal(column)}, '{privilege}')",
                    )
                )
    return checks


def missing_privileges(
    conn: Connection, kind: RoleKind, dataset_tables: Iterable[str] = ()
) -> tuple[str, list[str]]:
    """The current role's name and what it lacks of ``wanted`` (PostgreSQL only)."""
    checks = wanted(kind, dataset_tables)
    held = conn.execute(text(f"SELECT current_user, {', '.join(sql for _, sql in checks)}")).one()
    return str(held[0]), [said for (said, _), ok in zip(checks, held[1:], strict=True) if not ok]


def privileges_problem(role: str, kind: RoleKind, missing: list[str]) -> str | None:
    """The one line a process stops with, or None when nothing is missing."""
    if not missing:
        return None
    shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    return (
        f"BULKFLOW_DATABASE_URL: role {role!r} lacks what the {kind} does: {shown}; "
        "run `bulkflow db grants` as the migration role (after every upgrade, docs/postgres.md)"
    )
