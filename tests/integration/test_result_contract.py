"""results.<dataset> read the way a downstream system would: a plain confluent-kafka
consumer (and a Java one) that knows only docs/topics.md, on the real pipeline."""

from __future__ import annotations

import csv
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from confluent_kafka import Message, Producer

from database.engine import make_engine
from database.reports import iter_row_errors
from examples.results_consumer import headers_of, rows_of
from messaging.names import topic_names
from ops.devservers.sample_data import write_orders_csv
from schemas.arrow_codec import ROW_COLUMN, encode_batch
from schemas.headers import ChunkHeaders
from schemas.settings import Settings
from tests.integration.conftest import start_pipeline, submit_file
from tests.support.kafka_read import final_statuses, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROWS = 2_000


def _with_encoding(settings: Settings, tmp_path: Path, encoding: str) -> Settings:
    """The settings with a datasets dir of their own, orders published as ``encoding``."""
    folder = tmp_path / "datasets"
    folder.mkdir()
    text = (settings.datasets_dir / "orders.yaml").read_text()
    (folder / "orders.yaml").write_text(f"{text}results: {{encoding: {encoding}}}\n")
    return settings.model_copy(update={"datasets_dir": folder})


def _expected(settings: Settings, path: Path, job_id: str) -> dict[int, dict[str, str]]:
    """The file's valid rows by spreadsheet row number (header = row 1)."""
    bad = {e.row for e in iter_row_errors(make_engine(settings.db_url), job_id, "acme")}
    with path.open(newline="") as f:
        rows = {n: row for n, row in enumerate(csv.DictReader(f), start=2)}
    return {n: row for n, row in rows.items() if n not in bad}


@pytest.mark.parametrize("encoding", ["arrow", "json"])
def test_results_read_with_only_the_documented_contract(
    kafka_settings: Settings, tmp_path: Path, encoding: str
) -> None:
    settings = _with_encoding(kafka_settings, tmp_path, encoding)
    supervisor = start_pipeline(settings, tmp_path / "logs")
    try:
        path = write_orders_csv(tmp_path / "orders.csv", ROWS, invalid_every=100)
        job_id = submit_file(settings, path)
        status = final_statuses(settings, [job_id], timeout_s=180)[job_id]
    finally:
        supervisor.stop()
    expected = _expected(settings, path, job_id)
    assert status.rows_ok == len(expected) == ROWS - ROWS // 100

    topic = topic_names(settings).results("orders")
    got: dict[int, dict[str, object]] = {}

    def enough(messages: list[Message]) -> bool:
        for message in messages[len(seen) :]:
            headers = headers_of(message)
            rows = list(rows_of(message))
            assert headers["job_id"] == job_id and headers["tenant"] == "acme"
            assert headers["dataset"] == "orders" and headers["schema_version"] == "1"
            if encoding == "arrow":
                assert headers["content-type"] == "application/vnd.apache.arrow.stream"
                assert headers["compression"] == "none"
                assert int(headers["row_count"]) == len(rows)
                assert message.key() == f"{job_id}:{headers['chunk_no']}".encode()
            else:
                [(row, values)] = rows
                assert headers["content-type"] == "application/json"
                assert int(headers["row"]) == row
                assert message.key() == f"acme:{values['order_id']}".encode()
            got.update(rows)
        seen.extend(messages[len(seen) :])
        return len(got) >= len(expected)

    seen: list[Message] = []
    read_topic(settings, topic, until=enough, timeout_s=60)
    assert sorted(got) == sorted(expected)
    amounts = [Decimal(str(v["amount"])) for v in got.values() if v["amount"] is not None]
    assert sum(amounts) == sum(Decimal(r["amount"]) for r in expected.values() if r["amount"])
    assert {int(str(v["order_id"])) for v in got.values()} == {
        int(r["order_id"]) for r in expected.values()
    }
    if encoding == "json":
        assert str(got[2]["ordered_at"]).endswith("Z")
        assert _java_count(settings.kafka_bootstrap, topic, len(expected), tmp_path) == len(
            expected
        )


def _java_count(bootstrap: str, topic: str, expected: int, tmp_path: Path) -> int:
    """The records a plain Java KafkaConsumer counts on the topic (string keys and values)."""
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("javac is not installed: the Java consumer check cannot run")
    libs = sorted(Path.home().glob(".cache/bulkflow/kafka-*/libs"))
    if not libs:
        pytest.skip("no broker jars in ~/.cache/bulkflow to compile the Java consumer against")
    jars = [
        str(j)
        for j in libs[-1].glob("*.jar")
        if j.name.startswith(("kafka-clients", "slf4j", "lz4", "snappy", "zstd"))
    ]
    source = tmp_path / "java" / "CountResults.java"
    source.parent.mkdir()
    source.write_text(JAVA_COUNT)
    classpath = ":".join([*jars, str(source.parent)])
    subprocess.run(["javac", "-cp", classpath, str(source)], check=True, timeout=120)
    done = subprocess.run(
        [
            "java",
            "-cp",
            classpath,
            "CountResults",
            bootstrap,
            topic,
            str(expected),
            f"java-{uuid.uuid4().hex[:8]}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return int(done.stdout.strip().splitlines()[-1])


JAVA_COUNT = """
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public class CountResults {
    public static void main(String[] args) {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("group.id", args[3]);
        p.put("auto.offset.reset", "earliest");
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        long count = 0;
        long deadline = System.currentTimeMillis() + 60_000;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(args[1]));
            while (count < Long.parseLong(args[2]) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value().startsWith("{") && r.headers().lastHeader("row") != null) {
                        count++;
                    }
                }
            }
        }
        System.out.println(count);
    }
}
"""


def test_a_replayed_chunk_carries_its_replay_id_and_the_same_identity(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    job_id = uuid.uuid4().hex
    batch = pa.RecordBatch.from_pydict(
        {
            "order_id": ["1", "2"],
            "customer_email": ["a@b.co", "c@d.co"],
            "ordered_at": ["2026-01-01T00:00:00", "2026-01-02T00:00:00"],
            "amount": ["1.50", "2"],
            ROW_COLUMN: pa.array([2, 3], pa.int64()),
        }
    )
    chunk = ChunkHeaders(job_id, 0, 2, 2, "orders", "acme")
    producer = Producer({"bootstrap.servers": kafka_settings.kafka_bootstrap})
    source = topic_names(kafka_settings).chunks("high")
    for extra in ([], [("replay_id", b"replay-42")]):
        producer.produce(
            source,
            key=chunk.key,
            value=encode_batch(batch),
            headers=list[tuple[str, str | bytes | None]]([*chunk.to_kafka(), *extra]),
        )
    producer.flush(30)

    supervisor = start_pipeline(kafka_settings, tmp_path / "logs", "worker")
    try:
        results = read_topic(
            kafka_settings,
            topic_names(kafka_settings).results("orders"),
            until=lambda ms: len(ms) >= 2,
            timeout_s=120,
        )
    finally:
        supervisor.stop()
    # the worker runs chunks concurrently: the two results may come in either order
    first, second = sorted((headers_of(m) for m in results), key=lambda h: "replay_id" in h)
    assert "replay_id" not in first and second["replay_id"] == "replay-42"
    for headers in (first, second):
        assert (headers["job_id"], headers["chunk_no"], headers["row_count"]) == (job_id, "0", "2")
    assert [r for r, _ in rows_of(results[0])] == [r for r, _ in rows_of(results[1])] == [2, 3]
