"""Errors of the stream processors, and how database failures map onto them."""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

from schemas.errors import BulkflowError


class ProcessorError(BulkflowError):
    """A chunk could not be processed."""


class TransientDatabaseError(ProcessorError):
    """The database failed for a reason that may pass (lost connection, lock, deadlock): retry."""


class PermanentChunkError(ProcessorError):
    """The database refuses this chunk's data and always will: dead-letter it."""


# SQLSTATEs worth a retry: connection exceptions (08), insufficient resources such as too many
# connections (53), system I/O errors (58), serialization failure, deadlock, unknown completion,
# lock/statement timeouts and operator intervention (admin shutdown, crash recovery).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "58", "57P")
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "40003", "55P03", "57014"})
# SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR (primary result codes; extended ones share the low byte).
_TRANSIENT_SQLITE_CODES = frozenset({5, 6, 10})
_TRANSIENT_SQLITE_TEXT = ("database is locked", "database table is locked", "disk i/o error")


def classify_db_error(exc: BaseException) -> ProcessorError:
    """Wrap exc as Transient (retry) or Permanent (dead-letter); the cause stays chained."""
    if isinstance(exc, ProcessorError):
        return exc
    transient = _is_transient(exc)
    kind: type[ProcessorError] = TransientDatabaseError if transient else PermanentChunkError
    detail = _describe(exc)
    error = kind(f"{'transient' if transient else 'permanent'} database error: {detail}")
    error.__cause__ = exc
    return error


def _is_transient(exc: BaseException) -> bool:
    orig: BaseException | None = exc
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
    if isinstance(
        exc, sa_exc.TimeoutError | sa_exc.DisconnectionError | sa_exc.PendingRollbackError
    ):
        return True  # pool exhausted, or a connection dropped; a fresh transaction may work
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES) or sqlstate in _TRANSIENT_SQLSTATES
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _TRANSIENT_SQLITE_CODES
        text = str(orig).lower()
        return any(marker in text for marker in _TRANSIENT_SQLITE_TEXT)
    # No SQLSTATE from psycopg means the server never answered: the connection is gone.
    return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)


def _describe(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}"
