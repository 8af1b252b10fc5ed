"""Compare Arrow IPC compression codecs on one 2,000-row orders chunk: size and speed.

Run from the repo root: python -m bench codec
"""

from __future__ import annotations

import random
import time

import pyarrow as pa

from schemas.arrow_codec import ROW_COLUMN, decode_batch, encode_batch

ROWS = 2_000
REPEAT = 200


def orders_batch(rows: int = ROWS, seed: int = 7) -> pa.RecordBatch:
    rng = random.Random(seed)
    countries = ["DE", "FR", "US", "GB", "NL", "ES", "IT", "PL"]
    words = ["late", "gift", "fragile", "express", "return", "call", "blue", "large", "small"]
    columns = {
        "order_id": [str(100_000 + i) for i in range(rows)],
        "customer_email": [f"user{rng.randrange(10**6)}@example.com" for _ in range(rows)],
        "country": [rng.choice(countries) for _ in range(rows)],
        "ordered_at": [
            f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            for _ in range(rows)
        ],
        "amount": [f"{rng.randrange(100_000) / 100:.2f}" for _ in range(rows)],
        "quantity": [str(rng.randint(1, 20)) for _ in range(rows)],
        "express": [rng.choice(["TRUE", "FALSE"]) for _ in range(rows)],
        "notes": [" ".join(rng.choices(words, k=rng.randint(0, 8))) or None for _ in range(rows)],
    }
    arrays = [pa.array(v, pa.string()) for v in columns.values()]
    arrays.append(pa.array(range(2, rows + 2), pa.int64()))
    return pa.RecordBatch.from_arrays(arrays, names=[*columns, ROW_COLUMN])


def measure(batch: pa.RecordBatch, codec: str | None) -> tuple[int, float, float]:
    payload = encode_batch(batch, codec)
    start = time.perf_counter()
    for _ in range(REPEAT):
        encode_batch(batch, codec)
    encode_us = (time.perf_counter() - start) / REPEAT * 1e6
    start = time.perf_counter()
    for _ in range(REPEAT):
        decode_batch(payload)
    decode_us = (time.perf_counter() - start) / REPEAT * 1e6
    return len(payload), encode_us, decode_us


def main() -> None:
    batch = orders_batch()
    print(f"{ROWS}-row orders batch, {batch.nbytes:,} bytes in memory, {REPEAT} runs each")
    head = ("codec", "bytes", "ratio", "encode µs", "decode µs", "encode rows/s")
    print("{:<6} {:>9} {:>6} {:>10} {:>10} {:>14}".format(*head))
    for codec in (None, "lz4", "zstd"):
        size, enc, dec = measure(batch, codec)
        ratio = batch.nbytes / size
        rate = ROWS / (enc / 1e6)
        name = codec or "none"
        print(f"{name:<6} {size:>9,} {ratio:>6.2f} {enc:>10.0f} {dec:>10.0f} {rate:>14,.0f}")


if __name__ == "__main__":
    main()
