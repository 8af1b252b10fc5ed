"""What the API answers for a file it cannot read: the status follows the ParseError's
kind, set where the error is raised, never its wording."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from api.http_errors import PARSE_ERROR_ANSWERS, parse_error_answer
from files.estimate import estimate_rows
from files.sniff import sniff_format
from producer.readers.headers import map_headers
from schemas.dataset import Dataset, DatasetRegistry
from schemas.errors import ParseError, ParseErrorKind
from schemas.settings import packaged_datasets_dir
from tests.conftest import REPO_ROOT

ROOT = REPO_ROOT


@pytest.fixture(scope="module")
def orders() -> Dataset:
    return DatasetRegistry(packaged_datasets_dir()).get("orders")


def _raised(call: object, *args: object) -> ParseError:
    with pytest.raises(ParseError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_every_kind_has_an_answer() -> None:
    assert set(PARSE_ERROR_ANSWERS) == set(ParseErrorKind)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ParseErrorKind.EMPTY, 422),
        (ParseErrorKind.UNSUPPORTED_FORMAT, 415),
        (ParseErrorKind.UNREADABLE, 415),
        (ParseErrorKind.MALFORMED, 415),
        (ParseErrorKind.ENCODING, 415),
        (ParseErrorKind.TOO_LARGE, 413),
        (ParseErrorKind.MISSING_COLUMNS, 422),
        (ParseErrorKind.DUPLICATE_COLUMNS, 422),
        (ParseErrorKind.NO_SUCH_SHEET, 422),
    ],
)
def test_status_by_kind(kind: ParseErrorKind, status: int) -> None:
    assert parse_error_answer(ParseError("whatever it says", kind=kind)).status_code == status


def test_an_empty_file_is_422_with_the_reason_as_is(tmp_path: Path) -> None:
    empty = tmp_path / "orders.csv"
    empty.write_bytes(b"")
    error = _raised(sniff_format, empty)
    assert error.kind is ParseErrorKind.EMPTY
    answer = parse_error_answer(error)
    assert (answer.status_code, answer.detail) == (422, "the file is empty")


def test_unsupported_content_is_415_saying_so_once(tmp_path: Path) -> None:
    locked = tmp_path / "orders.xlsx"
    stream = "EncryptedPackage".encode("utf-16-le")
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + stream + b"\0" * 64)
    error = _raised(sniff_format, locked)
    assert error.kind is ParseErrorKind.UNSUPPORTED_FORMAT
    answer = parse_error_answer(error)
    assert answer.status_code == 415
    assert answer.detail.startswith("not a supported file: the workbook is password-protected")
    assert answer.detail.count("not a supported file") == 1


def test_a_damaged_file_of_a_known_format_is_415_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "orders.parquet"
    broken.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    error = _raised(estimate_rows, broken, "parquet")
    assert error.kind is ParseErrorKind.MALFORMED
    answer = parse_error_answer(error)
    assert answer.status_code == 415
    assert answer.detail.startswith("not a supported file: the Parquet file cannot be read")


def test_header_problems_are_422(orders: Dataset) -> None:
    missing = _raised(map_headers, ["notes"], orders)
    assert missing.kind is ParseErrorKind.MISSING_COLUMNS
    assert parse_error_answer(missing).status_code == 422
    twice = _raised(map_headers, ["order_id", "Order ID", "ordered_at"], orders)
    assert twice.kind is ParseErrorKind.DUPLICATE_COLUMNS
    assert "both name the dataset column 'order_id'" in parse_error_answer(twice).detail


def test_a_parse_error_keeps_its_kind_through_pickling() -> None:
    error = ParseError("the file is empty", kind=ParseErrorKind.EMPTY)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.kind) == ("the file is empty", ParseErrorKind.EMPTY)
