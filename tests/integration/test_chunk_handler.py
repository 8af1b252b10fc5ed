"""A worker's chunk handler on the real PostgreSQL: one bad cell is one invalid row."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from database.engine import make_engine
from ops.devservers.sample_data import HEADER, order_rows
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir
from stream_processors.chunk_handler import ChunkHandler
from tests.support.chunk_records import orders_file_chunks

ROWS = 2_000
NUL_ROW = 1_500  # its line lies beyond the format sniffer's sample: the file reads as CSV


def csv_with_a_nul_cell(path: Path) -> Path:
    lines = [",".join(HEADER)]
    for i, row in enumerate(order_rows(ROWS)):
        if i + 2 == NUL_ROW:  # the sheet's row number: the header is row 1
            row[-1] = "bad\x00cell"
        lines.append(",".join(str(v) for v in row))
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return path


@pytest.mark.postgres
def test_a_nul_character_in_a_cell_is_one_invalid_row_not_a_dead_letter(
    tmp_path: Path, pg_database_url: str
) -> None:
    chunks = orders_file_chunks(csv_with_a_nul_cell(tmp_path / "orders.csv"), "job-nul")
    handler = ChunkHandler(pg_database_url, DatasetRegistry(packaged_datasets_dir()))
    handler.prepare()
    try:
        results = [handler.handle(headers, payload).chunk_result for headers, payload in chunks]
    finally:
        handler.engine.dispose()
    assert [(r.dead_lettered, r.reason) for r in results] == [(False, None)] * len(results)
    assert sum(r.rows_ok for r in results) == ROWS - 1
    assert sum(r.rows_failed for r in results) == 1
    engine = make_engine(pg_database_url)
    with engine.connect() as conn:
        errors = conn.execute(
            sa.text("SELECT row_no, column_name, value, message FROM bulkflow_row_errors")
        ).all()
        saved = conn.execute(sa.text("SELECT count(*) FROM ds_orders")).scalar_one()
    engine.dispose()
    assert errors == [
        (NUL_ROW, "notes", "bad␀cell", "contains a NUL character, which cannot be stored")
    ]
    assert saved == ROWS - 1
