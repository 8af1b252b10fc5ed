"""Imports a process does at its start rather than in its first upload.

The file readers are imported lazily, by format, so a process that never sees a format never
loads its libraries. The API and the producer see XLSX files all the time, though, and the
first one paid the imports inside that upload: the fast XLSX reader pulls in fastexcel,
pyarrow.compute and, through pyarrow, pandas (about 0.16 CPU s; the producer's first XLSX
upload took 0.19 CPU s against 0.006 for the next), the API's row estimate pyarrow.compute
(0.04 CPU s).
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

# what the producer's first XLSX or CSV upload imports
PRODUCER_MODULES = ("producer.readers.csv", "producer.readers.xlsx", "producer.readers.xlsx.fast")
# what the API's first XLSX upload imports (sniffing and the row estimate)
API_MODULES = ("producer.readers.xlsx",)


def warm_imports(modules: tuple[str, ...]) -> None:
    """Import ``modules`` now. One that is gone (a reader moved) is only logged: the first
    upload then imports what it needs, as it would without this."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            log.warning("not imported at start: %s", exc)
