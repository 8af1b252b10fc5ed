"""Result records, both encodings, read back with only what docs/topics.md promises."""

from __future__ import annotations

import json
from decimal import Decimal

import pyarrow as pa

from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, parse_dataset
from schemas.headers import ChunkHeaders
from schemas.result_schema import arrow_schema_description, result_row_json_schema
from stream_processors.result_records import replay_id_of, result_records
from stream_processors.validation import validate_batch

ORDERS = {
    "name": "orders",
    "key": ["order_id"],
    "columns": [
        {"name": "order_id", "type": "integer", "required": True},
        {"name": "ordered_at", "type": "datetime"},
        {"name": "amount", "type": "decimal", "scale": 2},
        {"name": "rate", "type": "float"},
        {"name": "express", "type": "boolean"},
        {"name": "on", "type": "date"},
        {"name": "notes", "type": "string"},
    ],
}
META = ChunkHeaders("job1", 4, 2, 3, "orders", "acme")


def _dataset(encoding: str = "arrow", keyed: bool = True) -> Dataset:
    data = {**ORDERS, "results": {"encoding": encoding}}
    return parse_dataset(data if keyed else {**data, "key": []})


def _valid(dataset: Dataset) -> pa.Table:
    raw = {
        "order_id": ["7", "8", "x"],
        "ordered_at": ["2024-05-01T10:00:00", "", ""],
        "amount": ["12.3", "-0.05", "1"],
        "rate": ["1.5", "", ""],
        "express": ["yes", "no", ""],
        "on": ["2024-05-01", "", ""],
        "notes": ['say "hi"\\ now', "tab\there\x01", None],
    }
    batch = pa.RecordBatch.from_pydict(
        {**{k: pa.array(v, pa.string()) for k, v in raw.items()}, ROW_COLUMN: [2, 3, 4]}
    )
    return validate_batch(batch, dataset).valid


def test_arrow_record_counts_the_rows_in_its_payload_and_says_what_it_is() -> None:
    dataset = _dataset()
    [record] = result_records(dataset, META, _valid(dataset), b"replay-1")
    headers = dict(record.headers)
    assert headers["row_count"] == b"2"  # the chunk had 3 rows, one invalid
    assert headers["content-type"] == b"application/vnd.apache.arrow.stream"
    assert headers["compression"] == b"none" and headers["schema_version"] == b"1"
    assert (headers["job_id"], headers["chunk_no"], headers["replay_id"]) == (
        b"job1",
        b"4",
        b"replay-1",
    )
    batch = pa.ipc.open_stream(record.value).read_all()
    assert batch.num_rows == 2 and batch.column("amount").to_pylist() == [
        Decimal("12.30"),
        Decimal("-0.05"),
    ]
    described = arrow_schema_description(dataset)["fields"]
    assert [(f.name, str(f.type), f.nullable) for f in batch.schema] == [
        (f["name"], f["type"], f["nullable"]) for f in described
    ]


def test_json_records_one_per_row_keyed_by_tenant_and_business_key() -> None:
    dataset = _dataset("json")
    records = result_records(dataset, META, _valid(dataset))
    assert [r.key for r in records] == [b"acme:7", b"acme:8"]
    assert [dict(r.headers)["row"] for r in records] == [b"2", b"3"]
    assert all(dict(r.headers)["content-type"] == b"application/json" for r in records)
    assert "replay_id" not in dict(records[0].headers)
    first, second = (json.loads(r.value) for r in records)
    assert first == {
        "order_id": 7,
        "ordered_at": "2024-05-01T10:00:00.000000Z",
        "amount": "12.30",
        "rate": 1.5,
        "express": True,
        "on": "2024-05-01",
        "notes": 'say "hi"\\ now',
    }
    assert second["notes"] == "tab\there\x01" and second["express"] is False
    assert second["ordered_at"] is None and second["rate"] is None
    assert set(first) == set(result_row_json_schema(dataset)["properties"])


def test_json_records_without_a_key_are_keyed_by_job_and_row() -> None:
    dataset = _dataset("json", keyed=False)
    records = result_records(dataset, META, _valid(dataset))
    assert [r.key for r in records] == [b"job1:2", b"job1:3"]


def test_no_valid_rows_no_records_and_replay_id_is_read_from_either_header_shape() -> None:
    dataset = _dataset()
    assert result_records(dataset, META, _valid(dataset).slice(0, 0)) == []
    assert replay_id_of([("job_id", b"j"), ("replay_id", b"r9")]) == b"r9"
    assert replay_id_of({"replay_id": b"r9"}) == b"r9"
    assert replay_id_of(None) is None


def test_the_dataset_default_encoding_is_arrow() -> None:
    assert parse_dataset(ORDERS).results.encoding == "arrow"
