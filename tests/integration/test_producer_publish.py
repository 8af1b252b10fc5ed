"""The producer publishes a file as chunk records on the real broker: they add up to the
file, row for row; a re-parse yields the same chunks; job lifecycle on ``jobs``."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from files.upload_record import make_upload_record, new_job_id, spool_copy
from messaging.names import topic_names
from messaging.publisher import Publisher
from ops.devservers.sample_data import write_orders_csv, write_orders_xlsx
from producer.publish_job import publish_job
from schemas.arrow_codec import ROW_COLUMN, decode_batch
from schemas.dataset import DatasetRegistry
from schemas.headers import ChunkHeaders
from schemas.records import JobEvent
from schemas.settings import Settings
from tests.support.kafka_read import read_topic

pytestmark = pytest.mark.integration


def _publish(settings: Settings, path: Path, job_id: str | None = None):  # type: ignore[no-untyped-def]
    job_id = job_id or new_job_id()
    spooled = spool_copy(settings, path, job_id)
    upload = make_upload_record(
        settings, spooled, job_id=job_id, tenant="acme", dataset="orders", filename=path.name
    )
    with Publisher(settings) as publisher:
        outcome = publish_job(upload, settings, publisher, DatasetRegistry(settings.datasets_dir))
    return upload, outcome


def _chunks_of(settings: Settings, tier: str, job_id: str, total_rows: int) -> pa.Table:
    def rows(messages: list) -> int:  # type: ignore[type-arg]
        return sum(
            ChunkHeaders.from_kafka(m.headers()).row_count
            for m in messages
            if ChunkHeaders.from_kafka(m.headers()).job_id == job_id
        )

    messages = read_topic(
        settings,
        topic_names(settings).chunks(tier),
        until=lambda ms: rows(ms) >= total_rows,
        timeout_s=90,
    )
    mine = [m for m in messages if ChunkHeaders.from_kafka(m.headers()).job_id == job_id]
    mine.sort(key=lambda m: ChunkHeaders.from_kafka(m.headers()).chunk_no)
    headers = [ChunkHeaders.from_kafka(m.headers()) for m in mine]
    assert [h.chunk_no for h in headers] == list(range(len(headers)))  # no gap, no duplicate
    partitions = {m.partition() for m in mine}
    assert len(partitions) > 1, "one big file must spread over partitions"
    batches = [decode_batch(m.value()) for m in mine]
    for h, b in zip(headers, batches, strict=True):
        assert h.row_count == b.num_rows and h.first_row_no == b.column(ROW_COLUMN)[0].as_py()
        assert h.key == f"{job_id}:{h.chunk_no}".encode()
    return pa.Table.from_batches(batches)


def test_100k_row_csv_chunks_add_up_row_for_row(kafka_settings: Settings, tmp_path: Path) -> None:
    path = write_orders_csv(tmp_path / "orders.csv", 100_000, invalid_every=250)
    upload, outcome = _publish(kafka_settings, path)
    assert upload.tier == "low" and outcome.sealed and outcome.total_rows == 100_000

    table = _chunks_of(kafka_settings, upload.tier, upload.job_id, 100_000)
    assert table.num_rows == 100_000
    assert table.column(ROW_COLUMN).to_pylist() == list(range(2, 100_002))
    source = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in ["order_id", "amount", "quantity"]},
            strings_can_be_null=True,
        ),
    )
    assert table.column("order_id").to_pylist() == source.column("order_id").to_pylist()
    assert table.column("amount").to_pylist() == source.column("amount").to_pylist()
    # "Customer E-mail" in the file is the alias of customer_email
    assert table.column("customer_email")[0].as_py() == "customer1@example.com"

    jobs = read_topic(
        kafka_settings,
        topic_names(kafka_settings).jobs,
        until=lambda ms: len(ms) >= 2,
    )
    events = [JobEvent.model_validate_json(m.value()) for m in jobs]
    assert [e.kind for e in events] == ["registered", "sealed"]
    assert (events[1].total_chunks, events[1].total_rows) == (outcome.total_chunks, 100_000)


def test_20k_row_xlsx_chunks_add_up_and_reparse_is_identical(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    # 2,000-row chunks: ten chunk keys, so the file surely spreads over the 4 partitions
    # (the default 10,000 rows would make two chunks, on one partition one time in four)
    kafka_settings = kafka_settings.model_copy(update={"chunk_rows_idle": 2_000})
    path = write_orders_xlsx(tmp_path / "orders.xlsx", 20_000)
    upload, outcome = _publish(kafka_settings, path)
    assert upload.tier == "low" and outcome.total_rows == 20_000
    assert outcome.total_chunks == 10
    table = _chunks_of(kafka_settings, upload.tier, upload.job_id, 20_000)
    assert table.num_rows == 20_000
    # the ids are number cells, and stay numbers (typed cells)
    assert table.column("order_id").to_pylist() == [float(i) for i in range(1, 20_001)]
    assert table.column(ROW_COLUMN).to_pylist() == list(range(2, 20_002))

    # a crash-replay re-parses the same spooled file under the same job: same chunks
    with Publisher(kafka_settings) as publisher:
        again = publish_job(
            upload, kafka_settings, publisher, DatasetRegistry(kafka_settings.datasets_dir)
        )
    assert (again.total_chunks, again.total_rows) == (outcome.total_chunks, 20_000)
    messages = read_topic(
        kafka_settings,
        topic_names(kafka_settings).chunks(upload.tier),
        until=lambda ms: len(ms) >= 2 * outcome.total_chunks,
    )
    payloads: dict[bytes, set[bytes]] = {}
    for m in messages:
        payloads.setdefault(m.key(), set()).add(m.value())
    assert len(payloads) == outcome.total_chunks
    assert all(len(p) == 1 for p in payloads.values()), "a re-parse changed a chunk"


def test_a_csv_in_its_countrys_code_page_is_read_in_it_once_its_locale_is_detected(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    # six letters outside ASCII are too few to judge the code page by: Windows-1252 was
    # read, 'TOČNO' came out 'TOÈNO' and failed as a boolean; the Croatian dates tell hr-HR
    rows = [
        "order_id;customer_email;country;ordered_at;amount;quantity;express;notes",
        "1;a@example.hr;HR;31.12.2024.;1.234,56;1;TOČNO;Čakovec",
        "2;b@example.hr;HR;13.02.2024.;5,50;2;NETOČNO;Đakovo",
    ]
    path = tmp_path / "narudzbe.csv"
    path.write_bytes("\r\n".join(rows).encode("cp1250"))
    upload, outcome = _publish(kafka_settings, path)
    assert outcome.sealed and outcome.total_rows == 2
    names = topic_names(kafka_settings)

    def events(messages: list) -> list[JobEvent]:  # type: ignore[type-arg]
        found = [JobEvent.model_validate_json(m.value()) for m in messages]
        return [e for e in found if e.job_id == upload.job_id and e.kind == "registered"]

    registered = events(read_topic(kafka_settings, names.jobs, until=lambda ms: events(ms)))
    assert registered[0].reading == (
        "read as hr-HR: decimal comma, day-first dates (detected); "
        "text in Windows-1250 (central European)"
    )
    chunks = read_topic(
        kafka_settings,
        names.chunks(upload.tier),
        until=lambda ms: any(
            ChunkHeaders.from_kafka(m.headers()).job_id == upload.job_id for m in ms
        ),
    )
    mine = [m for m in chunks if ChunkHeaders.from_kafka(m.headers()).job_id == upload.job_id]
    batch = decode_batch(mine[0].value())
    assert batch.column("express").to_pylist() == ["TOČNO", "NETOČNO"]
    assert batch.column("notes").to_pylist() == ["Čakovec", "Đakovo"]
