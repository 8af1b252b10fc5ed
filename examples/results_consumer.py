"""A downstream consumer of ``<prefix>.results.<dataset>``, written from docs/topics.md alone.

Needs only confluent-kafka and pyarrow. Reads both encodings (the ``content-type`` header
tells which), drops duplicates by the documented identity, and prints one line per row::

    python examples/results_consumer.py --bootstrap localhost:9092 --topic bulkflow.results.orders

A secured cluster takes librdkafka's own properties, as kcat does (docs/deploy.md)::

    python examples/results_consumer.py --bootstrap broker:9093 --group bulkflow-reader-billing \
        -X security.protocol=SASL_SSL -X sasl.mechanism=SCRAM-SHA-512 \
        -X sasl.username=bulkflow-reader -X sasl.password="$(cat reader.password)" \
        -X ssl.ca.location=ca.pem
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from confluent_kafka import Consumer, Message

ARROW = "application/vnd.apache.arrow.stream"
JSON = "application/json"
SUPPORTED_VERSIONS = {"1"}


def headers_of(message: Message) -> dict[str, str]:
    raw = message.headers() or []
    found = raw.items() if isinstance(raw, dict) else raw
    return {k: v.decode() if isinstance(v, bytes) else str(v or "") for k, v in found}


def row_identity(headers: dict[str, str], row: int) -> tuple[str, str, int]:
    """Same on a redelivery and on a replay: (job_id, chunk_no, spreadsheet row)."""
    return headers["job_id"], headers["chunk_no"], row


def rows_of(message: Message) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, typed values) for each row the record carries."""
    headers = headers_of(message)
    if headers.get("schema_version") not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported schema_version {headers.get('schema_version')!r}")
    kind = headers.get("content-type")
    if kind == JSON:
        yield int(headers["row"]), json.loads(message.value() or b"null")
    elif kind == ARROW:
        table = pa.ipc.open_stream(message.value()).read_all()
        for values in table.to_pylist():
            row = values.pop("__row__")
            yield row, values
    else:
        raise ValueError(f"unknown content-type {kind!r}")


def consume(
    bootstrap: str,
    topic: str,
    group: str,
    idle_s: float = 5.0,
    properties: dict[str, str] | None = None,
) -> Iterator[Any]:
    """(headers, row, values) per new row, until the topic has been idle for ``idle_s``.
    ``properties``: more librdkafka settings (security.protocol, sasl.*, ssl.*)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **(properties or {}),
        }
    )
    consumer.subscribe([topic])
    seen: set[tuple[str, str, int]] = set()  # a real sink keeps this in its own store
    try:
        while True:
            message = consumer.poll(idle_s)
            if message is None:
                return
            if message.error():
                raise RuntimeError(str(message.error()))
            headers = headers_of(message)
            for row, values in rows_of(message):
                identity = row_identity(headers, row)
                if identity not in seen:
                    seen.add(identity)
                    yield headers, row, values
            consumer.commit(message=message, asynchronous=False)  # after the rows are handled
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--topic", default="bulkflow.results.orders")
    parser.add_argument("--group", default="example-results-consumer")
    parser.add_argument(
        "-X", dest="properties", action="append", default=[], metavar="NAME=VALUE",
        help="a librdkafka property (security.protocol, sasl.*, ssl.*), repeatable",
    )  # fmt: skip
    args = parser.parse_args()
    properties = dict(p.split("=", 1) for p in args.properties)
    for headers, row, values in consume(
        args.bootstrap, args.topic, args.group, properties=properties
    ):
        print(headers["tenant"], headers["job_id"], row, json.dumps(values, default=str))


if __name__ == "__main__":
    main()
