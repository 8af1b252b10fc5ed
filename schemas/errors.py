"""The exception hierarchy shared by every bulkflow package."""

from __future__ import annotations

from enum import Enum
from functools import partial
from typing import Any


class BulkflowError(Exception):
    """Base of every error bulkflow raises on purpose; its message is for a person."""


# a process stopped by a ConfigError exits with this code (sysexits' EX_CONFIG), and the
# supervisor does not restart it: it would fail the same way again
CONFIG_EXIT_CODE = 78


class ConfigError(BulkflowError):
    """A setting or a dataset file is wrong (or Kafka refuses what the settings say)."""


class DatasetError(ConfigError):
    """A dataset schema file cannot be loaded, or names an unknown dataset."""


class ParseErrorKind(Enum):
    """What is wrong with a file, as a caller acts on it (the API picks its status by it)."""

    EMPTY = "empty"  # nothing in it, or no header row
    UNSUPPORTED_FORMAT = "unsupported_format"  # not a format bulkflow reads, or not the declared
    UNREADABLE = "unreadable"  # the file itself cannot be opened or read
    MALFORMED = "malformed"  # its format, but damaged or not valid in it
    ENCODING = "encoding"  # text that is not in its (declared or detected) encoding
    TOO_LARGE = "too_large"  # over a limit: size, expansion, columns, a cell, a line, a row
    MISSING_COLUMNS = "missing_columns"  # the header row lacks a required column
    DUPLICATE_COLUMNS = "duplicate_columns"  # two header cells name one dataset column
    NO_SUCH_SHEET = "no_such_sheet"  # the workbook has no sheet by the name asked for


class ParseError(BulkflowError):
    """The file cannot be turned into rows; the message says why, for a person, and
    ``kind`` says what kind of wrong it is, for code.

    Raised where a file is sniffed (the API answers it) and where it is read (the
    producer fails its own job with it, parse_failed, and nothing else)."""

    def __init__(self, message: str, *, kind: ParseErrorKind) -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple[Any, ...]:
        # the default rebuilds from args alone, which lacks the keyword-only kind
        return partial(type(self), kind=self.kind), self.args
