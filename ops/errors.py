"""Errors of the operations package (broker, topics, command line)."""

from schemas.errors import BulkflowError


class OpsError(BulkflowError):
    """Base of operations errors; the message names the fix."""


class BrokerError(OpsError):
    """The local broker cannot be fetched, started or reached."""
