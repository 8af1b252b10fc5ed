"""An XLSX workbook read the way the calamine formats (.xls, .xlsb, .ods) are read:
fastexcel loads the sheet whole and producer/readers/calamine_table.py makes the chunks.

The reference the XLSX reader (the Rust extension) is compared with, cell for cell: a value
must read the same whichever format a person saves their sheet in. calamine recognises the
workbook by its content; the format name given to the calamine reader only chooses the zip
guard (every zipped format has it) and the wording of a refusal.
"""

from __future__ import annotations

from pathlib import Path

from producer.readers.base import ChunkReader, ReaderLimits
from producer.readers.calamine import open_calamine_reader
from schemas.dataset import Dataset


def open_with_calamine(
    path: Path | str,
    dataset: Dataset,
    chunk_rows: int,
    *,
    sheet: str | None = None,
    limits: ReaderLimits | None = None,
) -> ChunkReader:
    return open_calamine_reader(path, "xlsb", dataset, chunk_rows, sheet=sheet, limits=limits)
