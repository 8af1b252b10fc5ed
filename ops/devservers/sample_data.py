"""Sample ``orders`` files for the demo, the tests and the benchmarks.

Rows are deterministic for a given seed; ``invalid_every`` makes every n-th row invalid
in one of a few ways a person would make (bad email, negative amount, missing id ...).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

# the orders dataset's columns, and the header a person's export has (an alias for one)
ORDERS_COLUMNS = (
    "order_id",
    "customer_email",
    "country",
    "ordered_at",
    "amount",
    "quantity",
    "express",
    "notes",
)
HEADER = [ORDERS_COLUMNS[0], "Customer E-mail", *ORDERS_COLUMNS[2:]]
COUNTRIES = ["DE", "FR", "GB", "US", "NL", "ES", "IT", "SE", "PL", "JP"]
BAD_KINDS = ("email", "amount", "missing_id", "quantity", "country", "date")


def order_rows(
    count: int, *, start_id: int = 1, invalid_every: int = 0, seed: int = 7
) -> Iterator[list[object]]:
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        oid = start_id + i
        row: list[object] = [
            oid,
            f"customer{oid}@example.com",
            COUNTRIES[oid % len(COUNTRIES)],
            (base + timedelta(minutes=oid)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            f"{rng.randint(100, 99999) / 100:.2f}",
            rng.randint(1, 20),
            "yes" if oid % 3 == 0 else "no",
            f"note {oid}" if oid % 5 == 0 else "",
        ]
        if invalid_every and (i + 1) % invalid_every == 0:
            kind = BAD_KINDS[(i // invalid_every) % len(BAD_KINDS)]
            if kind == "email":
                row[1] = "not-an-email"
            elif kind == "amount":
                row[4] = "-5.00"
            elif kind == "missing_id":
                row[0] = ""
            elif kind == "quantity":
                row[5] = "many"
            elif kind == "country":
                row[2] = "Germany"
            else:
                row[3] = "TBD"
        yield row


def write_orders_csv(path: Path, count: int, **kwargs: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(order_rows(count, **kwargs))
    return path


def write_orders_xlsx(path: Path, count: int, **kwargs: int) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("orders")
    ws.append(HEADER)
    for row in order_rows(count, **kwargs):
        ws.append(row)
    wb.save(path)
    return path
