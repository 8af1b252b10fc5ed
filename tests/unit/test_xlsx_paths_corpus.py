"""The fast path and the Rust streaming path agree cell for cell on the whole office corpus:
every .xlsx and .xlsm of tests/data/office, read as its expected.json upload says (dataset,
sheet), gives the same rows, row numbers and column mapping, and the same typed columns
when a chunk holds the whole sheet (the Rust path types a column per chunk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from producer.errors import ParseError
from producer.readers.base import ReaderLimits
from producer.readers.xlsx import open_xlsx_reader
from producer.readers.xlsx.fast import FastXlsxReader
from producer.readers.xlsx.rust_reader import RustXlsxReader
from schemas.dataset import Dataset, load_dataset_file
from schemas.settings import packaged_datasets_dir
from tests.support.cell_text import as_cell_text
from tests.support.office_corpus import CORPUS_DIR, load_expected

# the fastexcel path, opted into (the default reads every sheet with the Rust extension)
FAST = ReaderLimits(xlsx_fast_path_max_xml_bytes=64 * 1024 * 1024)
RUST = ReaderLimits(xlsx_fast_path_max_xml_bytes=0)
CORPUS = sorted([*CORPUS_DIR.glob("*.xlsx"), *CORPUS_DIR.glob("*.xlsm")])


UNREADABLE = "the XLSX file cannot be read: "


def _upload(path: Path) -> tuple[Dataset, str | None]:
    expected = load_expected().get(path.name, {})
    dataset = load_dataset_file(
        packaged_datasets_dir() / f"{expected.get('dataset', 'orders')}.yaml"
    )
    return dataset, expected.get("sheet")


def _read(path: Path, limits: ReaderLimits, chunk: int) -> tuple[Any, list[pa.RecordBatch]]:
    dataset, sheet = _upload(path)
    reader = open_xlsx_reader(path, dataset, chunk, sheet=sheet, limits=limits)
    try:
        return reader, list(reader.batches())
    finally:
        reader.close()


def _outcome(path: Path, limits: ReaderLimits, chunk: int) -> Any:
    """The reader and its batches, or the reason the file is refused."""
    try:
        return _read(path, limits, chunk)
    except ParseError as exc:
        return str(exc)


def test_the_corpus_has_workbooks() -> None:
    assert len(CORPUS) >= 10
    assert any(p.suffix == ".xlsm" for p in CORPUS)


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
@pytest.mark.parametrize("chunk", [7, 10_000], ids=["chunk7", "whole"])
def test_fast_and_rust_paths_agree(path: Path, chunk: int) -> None:
    fast = _outcome(path, FAST, chunk)
    rust = _outcome(path, RUST, chunk)
    if isinstance(fast, str) or isinstance(rust, str):
        assert isinstance(fast, str) and isinstance(rust, str), (fast, rust)
        if fast != rust:  # damaged XML: each path's own parser says where, in its words
            assert fast.startswith(UNREADABLE) and rust.startswith(UNREADABLE), (fast, rust)
        return
    (fast_reader, fast_batches), (rust_reader, rust_batches) = fast, rust
    assert isinstance(fast_reader, FastXlsxReader), "the corpus is small: the fast path reads it"
    assert isinstance(rust_reader, RustXlsxReader)
    assert fast_reader.mapping == rust_reader.mapping
    assert [b.num_rows for b in fast_batches] == [b.num_rows for b in rust_batches]
    if len(fast_batches) == 1:  # one chunk: per-chunk typing is the fast path's per sheet
        assert fast_batches[0].schema == rust_batches[0].schema
    fast_rows = [row for b in fast_batches for row in as_cell_text(b).to_pylist()]
    rust_rows = [row for b in rust_batches for row in as_cell_text(b).to_pylist()]
    assert rust_rows == fast_rows
