"""The XLSX reader and calamine (the way the .xls, .xlsb and .ods formats are read) agree
cell for cell on the whole office corpus: every .xlsx and .xlsm of tests/data/office, read
as its expected.json upload says (dataset, sheet), gives the same rows, row numbers and
column mapping, and the same typed columns when a chunk holds the whole sheet (the XLSX
reader types a column per chunk), and both know the same cells for numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from producer.readers.xlsx import open_xlsx_reader
from producer.readers.xlsx.reader import XlsxReader
from schemas.dataset import Dataset, load_dataset_file
from schemas.errors import ParseError
from schemas.settings import packaged_datasets_dir
from tests.support.calamine_reference import open_with_calamine
from tests.support.cell_text import as_cell_text, fraction_numbers
from tests.support.office_corpus import CORPUS_DIR, load_expected

CORPUS = sorted([*CORPUS_DIR.glob("*.xlsx"), *CORPUS_DIR.glob("*.xlsm")])


def _upload(path: Path) -> tuple[Dataset, str | None]:
    expected = load_expected().get(path.name, {})
    dataset = load_dataset_file(
        packaged_datasets_dir() / f"{expected.get('dataset', 'orders')}.yaml"
    )
    return dataset, expected.get("sheet")


def _outcome(path: Path, opener: Any, chunk: int) -> Any:
    """The reader and its batches, or the reason the file is refused."""
    dataset, sheet = _upload(path)
    try:
        reader = opener(path, dataset, chunk, sheet=sheet)
        try:
            return reader, list(reader.batches())
        finally:
            reader.close()
    except ParseError as exc:
        return str(exc)


def test_the_corpus_has_workbooks() -> None:
    assert len(CORPUS) >= 10
    assert any(p.suffix == ".xlsm" for p in CORPUS)


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
@pytest.mark.parametrize("chunk", [7, 10_000], ids=["chunk7", "whole"])
def test_the_xlsx_reader_and_calamine_agree(path: Path, chunk: int) -> None:
    xlsx = _outcome(path, open_xlsx_reader, chunk)
    reference = _outcome(path, open_with_calamine, chunk)
    if isinstance(xlsx, str) or isinstance(reference, str):
        # a damaged file: both refuse it, each in the words of its own parser
        assert isinstance(xlsx, str) and isinstance(reference, str), (xlsx, reference)
        return
    (xlsx_reader, xlsx_batches), (reference_reader, reference_batches) = xlsx, reference
    assert isinstance(xlsx_reader, XlsxReader)
    assert xlsx_reader.mapping == reference_reader.mapping
    assert [b.num_rows for b in xlsx_batches] == [b.num_rows for b in reference_batches]
    if len(xlsx_batches) == 1:  # one chunk: per-chunk typing is calamine's per sheet
        assert xlsx_batches[0].schema == reference_batches[0].schema
    xlsx_rows = [row for b in xlsx_batches for row in as_cell_text(b).to_pylist()]
    reference_rows = [row for b in reference_batches for row in as_cell_text(b).to_pylist()]
    assert xlsx_rows == reference_rows
    # a number cell with a fraction is known as a number by both, typed or marked in text
    xlsx_numbers = set().union(*map(fraction_numbers, xlsx_batches))
    assert xlsx_numbers == set().union(*map(fraction_numbers, reference_batches))
