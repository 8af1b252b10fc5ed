"""An orders file read into its chunk records as the producer makes them (the headers as
Kafka carries them, and the payload), for tests that hand chunks to a ChunkHandler with no
producer or broker."""

from __future__ import annotations

from pathlib import Path

from producer.chunking import build_chunk_records
from producer.readers import open_reader
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir

Chunk = tuple[list[tuple[str, bytes]], bytes]  # a chunk record's headers and payload


def orders_file_chunks(path: Path, job_id: str, tenant: str = "acme") -> list[Chunk]:
    """The chunk records of an orders file (10,000-row chunks) for ``job_id``."""
    dataset = DatasetRegistry(packaged_datasets_dir()).get("orders")
    reader = open_reader(path, dataset, 10_000)
    try:
        records = list(
            build_chunk_records(
                reader.batches(),
                job_id=job_id,
                dataset="orders",
                tenant=tenant,
                schema_version=dataset.version,
                max_bytes=1 << 20,
            )
        )
    finally:
        reader.close()
    return [(headers.to_kafka(), payload) for headers, payload in records]
