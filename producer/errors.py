"""Errors of the producer package."""

from schemas.errors import BulkflowError


class ProducerError(BulkflowError):
    """Base of producer errors."""


class ParseError(ProducerError):
    """The file cannot be turned into rows; the message says why, for a person.

    It fails its own job (parse_failed) and nothing else."""


class PublishError(ProducerError):
    """Kafka refused or lost a record after retries."""
