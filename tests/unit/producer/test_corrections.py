"""A file of corrections: its row numbers become the rows' own."""

from __future__ import annotations

import pyarrow as pa
import pytest

from producer.corrections import corrections_dataset, with_original_rows
from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import DatasetRegistry
from schemas.errors import ParseError
from schemas.settings import packaged_datasets_dir


def batch(numbers: list[str | None], reader_rows: list[int]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "row_no": pa.array(numbers, pa.string()),
            "order_id": pa.array([str(n) for n in range(len(numbers))], pa.string()),
            ROW_COLUMN: pa.array(reader_rows, pa.int64()),
        }
    )


def test_the_row_numbers_of_the_corrected_file_are_kept() -> None:
    out = list(with_original_rows(iter([batch(["11", " 21 ", "31.0"], [2, 3, 4])])))
    assert out[0].schema.names == ["order_id", ROW_COLUMN]
    assert out[0].column(ROW_COLUMN).to_pylist() == [11, 21, 31]


@pytest.mark.parametrize(
    ("numbers", "message"),
    [(["11", "eleven"], "'eleven' is not one"), (["11", "11"], "row 11 is corrected twice")],
)
def test_a_bad_or_repeated_row_number_fails_the_file(numbers: list[str], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        list(with_original_rows(iter([batch(numbers, [2, 3])])))


def test_a_corrections_reader_requires_the_row_number_as_row_no_or_row() -> None:
    dataset = corrections_dataset(DatasetRegistry(packaged_datasets_dir()).get("orders"))
    assert dataset.columns[0].required
    assert dataset.header_lookup["row"] == "row_no" and dataset.header_lookup["rowno"] == "row_no"
