"""The binary COPY encoder, read back by a decoder written from PostgreSQL's format docs."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from database.pg_binary import (
    HEADER,
    TRAILER,
    Unsupported,
    constant_text,
    encode_rows,
)

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def decode_numeric(data: bytes) -> Decimal:
    ndigits, weight, sign, dscale = struct.unpack(">hhHh", data[:8])
    digits = struct.unpack(f">{ndigits}h", data[8:])
    value = sum(Decimal(d) * Decimal(10_000) ** (weight - i) for i, d in enumerate(digits))
    value = value.quantize(Decimal(1).scaleb(-dscale))
    return -value if sign == 0x4000 else value


DECODERS = {
    "text": lambda b: b.decode(),
    "int8": lambda b: struct.unpack(">q", b)[0],
    "bool": lambda b: b == b"\x01",
    "float8": lambda b: struct.unpack(">d", b)[0],
    "timestamptz": lambda b: PG_EPOCH + timedelta(microseconds=struct.unpack(">q", b)[0]),
    "date": lambda b: date(2000, 1, 1) + timedelta(days=struct.unpack(">i", b)[0]),
    "numeric": decode_numeric,
}


def decode(stream: bytes, kinds: list[str]) -> list[tuple[Any, ...]]:
    assert stream.startswith(HEADER) and stream.endswith(TRAILER)
    pos, end, rows = len(HEADER), len(stream) - len(TRAILER), []
    while pos < end:
        (count,) = struct.unpack_from(">h", stream, pos)
        assert count == len(kinds)
        pos += 2
        row = []
        for kind in kinds:
            (size,) = struct.unpack_from(">i", stream, pos)
            pos += 4
            if size == -1:
                row.append(None)
                continue
            row.append(DECODERS[kind](stream[pos : pos + size]))
            pos += size
        rows.append(tuple(row))
    assert pos == end
    return rows


def stream_of(columns: list[pa.Array | bytes]) -> bytes:
    return b"".join(bytes(piece) for piece in encode_rows(columns))


def test_every_type_and_null_reads_back() -> None:
    at = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    columns = [
        constant_text("job-1"),
        pa.array([1, -(2**63), None], pa.int64()),
        pa.array(['ü, "quoted"\nline', "", None], pa.string()),
        pa.array([True, False, None]),
        pa.array([0.1, -1e300, None], pa.float64()),
        pa.array([at, datetime(1970, 1, 1, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")),
        pa.array([date(2024, 2, 29), date(1, 1, 1), None], pa.date32()),
        pa.array([Decimal("12.34"), Decimal("-0.05"), None], pa.decimal128(38, 2)),
    ]
    kinds = ["text", "int8", "text", "bool", "float8", "timestamptz", "date", "numeric"]

    assert decode(stream_of(columns), kinds) == [
        ("job-1", 1, 'ü, "quoted"\nline', True, 0.1, at, date(2024, 2, 29), Decimal("12.34")),
        (
            "job-1",
            -(2**63),
            "",
            False,
            -1e300,
            datetime(1970, 1, 1, tzinfo=UTC),
            date(1, 1, 1),
            Decimal("-0.05"),
        ),
        ("job-1", None, None, None, None, None, None, None),
    ]


@pytest.mark.parametrize("scale", [0, 2, 4, 5, 9])
def test_decimals_keep_every_digit_and_their_scale(scale: int) -> None:
    unit = Decimal(1).scaleb(-scale)
    values = [Decimal(0), unit, -unit, Decimal(9999), Decimal(10_000), Decimal(123456789)]
    values += [Decimal(10) ** (18 - scale) - unit, -(Decimal(10) ** (18 - scale) - unit)]
    values += [Decimal(2**63 - 1).scaleb(-scale), Decimal(-(2**63)).scaleb(-scale)]
    values = [v.quantize(unit) for v in values]
    column = pa.array(values, pa.decimal128(38, scale))

    got = [row[0] for row in decode(stream_of([column]), ["numeric"])]

    assert got == values
    assert [str(g) for g in got] == [str(v) for v in values]  # the scale, not just the value


def test_a_slice_encodes_only_its_rows() -> None:
    column = pa.array([Decimal(i) for i in range(10)], pa.decimal128(38, 2)).slice(3, 4)
    ints = pa.array(range(10), pa.int64()).slice(3, 4)
    assert decode(stream_of([ints, column]), ["int8", "numeric"]) == [
        (i, Decimal(i).quantize(Decimal("0.01"))) for i in range(3, 7)
    ]


def test_an_empty_chunk_is_a_header_and_a_trailer() -> None:
    assert stream_of([pa.array([], pa.int64())]) == HEADER + TRAILER


@pytest.mark.parametrize(
    "column",
    [
        pa.array([Decimal("1" * 20)], pa.decimal128(38, 0)),  # beyond an int64
        pa.array([Decimal("0.1")], pa.decimal128(38, 17)),  # its fraction groups overflow
        pa.array([[1, 2]], pa.list_(pa.int64())),
        pa.array([1.5], pa.float32()),
    ],
    ids=["20-digit decimal", "scale 17", "list", "float32"],
)
def test_what_it_cannot_write_exactly_it_refuses(column: pa.Array) -> None:
    with pytest.raises(Unsupported):
        encode_rows([column])


def test_null_free_fields_between_texts_and_constants_read_back() -> None:
    # NULL-free numbers and constants are laid out as one fixed-width block per run; a NULL
    # elsewhere in the row must not shift them
    at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    columns = [
        constant_text("job-1"),
        constant_text("tenant-ü"),
        pa.array([7, 8], pa.int64()),
        pa.array(["a@b.example", "ü"], pa.string()),
        pa.array([at, at], pa.timestamp("us", tz="UTC")),
        pa.array([Decimal("1.50"), None], pa.decimal128(38, 2)),
        pa.array([True, False]),
        pa.array([None, "note"], pa.string()),
        pa.array([3, 4], pa.int64()),
    ]
    kinds = ["text", "text", "int8", "text", "timestamptz", "numeric", "bool", "text", "int8"]

    assert decode(stream_of(columns), kinds) == [
        ("job-1", "tenant-ü", 7, "a@b.example", at, Decimal("1.50"), True, None, 3),
        ("job-1", "tenant-ü", 8, "ü", at, None, False, "note", 4),
    ]
