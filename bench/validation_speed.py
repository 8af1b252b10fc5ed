"""How fast ``validate_batch`` types and checks orders rows, on one core, as each reading
locale writes them: ``none`` (ISO dates, 12345.67, TRUE), ``en-US`` (7/2/2024 9:30,
12,345.67) and ``de-DE`` (02.07.2024 09:30, 12.345,67, WAHR).

Run from the repo root:
    python -m bench validation [rows] [chunk_rows] [bad_fraction] [--locale none|en-US|de-DE|all]
``all`` (the default) runs each in turn, twice, and states each locale's CPU time per row
against ``none``: a locale should change how text is read, not how fast.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import pyarrow as pa

from schemas.arrow_codec import ROW_COLUMN
from schemas.dataset import Dataset, load_dataset_file
from schemas.settings import packaged_datasets_dir
from stream_processors.validation import validate_batch

Cell = Callable[[random.Random], str]
LOCALES = ("none", "en-US", "de-DE")


def _moment(rng: random.Random) -> tuple[int, int, int, int]:
    return rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59)


def _grouped(whole: int, sep: str) -> str:
    return f"{whole:,}".replace(",", sep)


# per locale: how an amount, a moment and a boolean are written, and one kind of mistake per
# bad row, spread over the columns a person gets wrong (equally wrong in every locale)
WRITERS: dict[str, dict[str, Cell]] = {
    "none": {
        "ordered_at": lambda r: "2024-{:02d}-{:02d}T{:02d}:{:02d}:00".format(*_moment(r)),
        "amount": lambda r: f"{r.randint(0, 99999)}.{r.randint(0, 99):02d}",
        "express": lambda r: r.choice(["TRUE", "FALSE"]),
    },
    "en-US": {
        "ordered_at": lambda r: "{}/{}/2024 {}:{:02d}".format(*_moment(r)),
        "amount": lambda r: f"{_grouped(r.randint(0, 99999), ',')}.{r.randint(0, 99):02d}",
        "express": lambda r: r.choice(["TRUE", "FALSE"]),
    },
    "de-DE": {
        "ordered_at": lambda r: "{1:02d}.{0:02d}.2024 {2:02d}:{3:02d}".format(*_moment(r)),
        "amount": lambda r: f"{_grouped(r.randint(0, 99999), '.')},{r.randint(0, 99):02d}",
        "express": lambda r: r.choice(["WAHR", "FALSCH"]),
    },
}
MISTAKES: dict[str, list[tuple[str, str]]] = {
    "none": [
        ("ordered_at", "2024-02-30T10:00:00"),
        ("amount", "12.345"),
        ("ordered_at", "03/01/2024"),
    ],
    "en-US": [("ordered_at", "2/30/2024 10:00"), ("amount", "12.345"), ("ordered_at", "3.1.24")],
    "de-DE": [("ordered_at", "30.02.2024 10:00"), ("amount", "12,345"), ("ordered_at", "1.3.24")],
}
COMMON_MISTAKES = [
    ("order_id", "12a"),
    ("customer_email", "someone@"),
    ("country", "Germany"),
    ("quantity", "0"),
    ("express", "maybe"),
]


def make_batches(
    rows: int, chunk_rows: int, bad_fraction: float, locale: str = "none"
) -> list[pa.RecordBatch]:
    rng = random.Random(7)
    write = WRITERS[locale]
    mistakes = COMMON_MISTAKES + MISTAKES[locale]
    batches = []
    for start in range(0, rows, chunk_rows):
        count = min(chunk_rows, rows - start)
        data: dict[str, list[str | None]] = {
            "order_id": [str(start + i + 1) for i in range(count)],
            "customer_email": [f"user{rng.randrange(10**6)}@example.com" for _ in range(count)],
            "country": [rng.choice(["DE", "FR", "GB", "US", "NL"]) for _ in range(count)],
            "ordered_at": [write["ordered_at"](rng) for _ in range(count)],
            "amount": [write["amount"](rng) for _ in range(count)],
            "quantity": [str(rng.randint(1, 20)) for _ in range(count)],
            "express": [write["express"](rng) for _ in range(count)],
            "notes": [rng.choice([None, "leave at the door", "gift"]) for _ in range(count)],
        }
        for i in range(count):
            if rng.random() < bad_fraction:
                column, value = rng.choice(mistakes)
                data[column][i] = value
        arrays = [pa.array(v, pa.string()) for v in data.values()]
        rows_no = pa.array(range(start + 2, start + 2 + count), pa.int64())
        batches.append(pa.RecordBatch.from_arrays([*arrays, rows_no], [*data, ROW_COLUMN]))
    return batches


def run(dataset: Dataset, rows: int, chunk_rows: int, bad_fraction: float, locale: str) -> float:
    """Prints one line; returns CPU microseconds per row."""
    batches = make_batches(rows, chunk_rows, bad_fraction, locale)
    tag = None if locale == "none" else locale
    validate_batch(batches[0], dataset, tag)  # warm the per-dataset plan cache
    started, cpu_started = time.perf_counter(), time.process_time()
    ok = failed = 0
    for batch in batches:
        result = validate_batch(batch, dataset, tag)
        ok, failed = ok + result.rows_ok, failed + result.rows_failed
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # steadier than wall time on a busy machine
    print(
        f"{locale:>5}: {rows:,} orders rows in {len(batches)} chunks of {chunk_rows:,}, "
        f"{bad_fraction:.0%} bad: {rows / elapsed:,.0f} rows/s wall ({elapsed * 1000:.0f} ms, "
        f"{elapsed / len(batches) * 1000:.2f} ms/chunk), {rows / cpu:,.0f} rows/s of CPU "
        f"({cpu / rows * 1e6:.2f} µs/row); {ok:,} ok, {failed:,} failed"
    )
    return cpu / rows * 1e6


def main() -> None:
    args = sys.argv[1:]
    if any(arg in ("-h", "--help") for arg in args):
        print(__doc__)
        return
    chosen = "all"
    if "--locale" in args:
        at = args.index("--locale")
        chosen = args[at + 1]
        del args[at : at + 2]
    rows = int(args[0]) if args else 200_000
    chunk_rows = int(args[1]) if len(args) > 1 else 2_000
    bad_fraction = float(args[2]) if len(args) > 2 else 0.01
    dataset = load_dataset_file(packaged_datasets_dir() / "orders.yaml")
    if chosen != "all":
        run(dataset, rows, chunk_rows, bad_fraction, chosen)
        return
    # alternating rounds: a busy machine's drift falls on every locale alike
    cpu: dict[str, list[float]] = {locale: [] for locale in LOCALES}
    for _ in range(2):
        for locale in LOCALES:
            cpu[locale].append(run(dataset, rows, chunk_rows, bad_fraction, locale))
    base = min(cpu["none"])
    for locale in LOCALES[1:]:
        best = min(cpu[locale])
        print(f"{locale}: {best:.2f} µs/row of CPU, {best / base:.2f}x none ({base:.2f})")


if __name__ == "__main__":
    main()
