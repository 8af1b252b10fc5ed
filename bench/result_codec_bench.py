"""Arrow IPC buffer compression for result chunks: size and CPU on one 10,000-row orders chunk.

Run from the repo root: python -m bench.result_codec_bench

The chunk is what the worker publishes on ``results.<dataset>``: validated, typed rows
(decimal128, timestamp[us, UTC], int64, bool, strings) plus the row number. Each codec is
timed on encode and decode (best of several rounds), and the encoded chunk is also passed
through Kafka's own LZ4 batch compression, which a producer with ``compression.type=lz4``
applies on top of the record, to show what the broker really stores.
"""

from __future__ import annotations

import time

import pyarrow as pa

from bench.codec_compare import orders_batch
from schemas.arrow_codec import decode_batch, encode_batch
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir
from stream_processors.validation import validate_batch

ROWS = 10_000
ROUNDS = 5
REPEAT = 20


def typed_chunk() -> pa.RecordBatch:

    dataset = DatasetRegistry(packaged_datasets_dir()).get("orders")
    valid = validate_batch(orders_batch(ROWS), dataset).valid.combine_chunks()
    return valid.to_batches()[0]


def best_us(action: object) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(REPEAT):
            action()  # type: ignore[operator]
        best = min(best, (time.process_time() - start) / REPEAT)
    return best * 1e6


def main() -> None:
    batch = typed_chunk()
    print(f"{batch.num_rows:,} typed orders rows, {batch.nbytes:,} bytes in memory")
    print(
        f"{'codec':<6} {'bytes':>9} {'B/row':>6} {'+kafka lz4':>11} {'encode us':>10} "
        f"{'decode us':>10}"
    )
    for codec in (None, "lz4", "zstd"):
        payload = encode_batch(batch, codec)
        kafka = len(pa.compress(payload, "lz4", asbytes=True))  # LZ4 frame, as Kafka
        enc = best_us(lambda c=codec: encode_batch(batch, c))
        dec = best_us(lambda p=payload: decode_batch(p))
        print(
            f"{codec or 'none':<6} {len(payload):>9,} {len(payload) / batch.num_rows:>6.1f} "
            f"{kafka:>11,} {enc:>10,.0f} {dec:>10,.0f}"
        )


if __name__ == "__main__":
    main()
