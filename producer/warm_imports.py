"""Imports the producer does at its start rather than in its first upload.

The file readers are imported lazily, by format, so a process that never sees a format never
loads its libraries. The producer sees XLSX and CSV files all the time, though, and without
this the first one would pay those imports (pyarrow.compute and the readers) inside that
upload.
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

# what the producer's first XLSX or CSV upload imports
PRODUCER_MODULES = ("producer.readers.csv", "producer.readers.xlsx.reader")


def warm_imports(modules: tuple[str, ...]) -> None:
    """Import ``modules`` now. One that is gone (a reader moved) is only logged: the first
    upload then imports what it needs, as it would without this."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            log.warning("not imported at start: %s", exc)
