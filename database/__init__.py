"""The database room: everything SQL.

- ``database.engine``: engines (SQLite by default, PostgreSQL by URL); the SQLite file
  owner-only.
- ``database.tables`` and ``database.migrations``: every table, a dataset's table made or
  changed to match its schema file (schema_diff.py refuses a change that loses data).
- ``database.chunk_store``: a validated chunk's rows, row errors and ledger row in one
  transaction, exactly once (pg_copy.py, pg_binary.py: PostgreSQL's binary COPY).
- ``database.reports``, ``database.idempotency``, ``database.dead_letters``: row-error
  reports, Idempotency-Keys, the dead letters' state.
"""
