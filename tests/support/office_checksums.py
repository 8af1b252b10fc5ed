"""Checksums of the valid rows of an orders upload: one definition for the corpus generator
(from the rows it meant to write) and for the check harness (from the rows in ds_orders), so
the two meet only in expected.json."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def iso_utc(value: datetime) -> str:
    """A naive value is taken as UTC, as bulkflow takes a naive spreadsheet date-time."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat()


def _sha256(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def checksums(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What expected.json holds for the valid rows (dicts keyed by dataset column name).

    ``order_ids_sha256`` hashes the sorted ids joined by newlines; ``text_sha256`` hashes,
    in order_id order, one JSON line ``[order_id, customer_email, country, notes]`` per row.
    """
    ordered = sorted(rows, key=lambda r: int(r["order_id"]))
    ids = [int(r["order_id"]) for r in ordered]
    amounts = [Decimal(r["amount"]) for r in ordered if r["amount"] is not None]
    moments = [r["ordered_at"] for r in ordered if r["ordered_at"] is not None]
    texts = (
        json.dumps([int(r["order_id"]), r["customer_email"], r["country"], r["notes"]])
        for r in ordered
    )
    return {
        "count": len(ids),
        "order_id_sum": sum(ids),
        "amount_sum": str(sum(amounts, Decimal(0)).quantize(CENT)),
        "quantity_sum": sum(int(r["quantity"]) for r in ordered if r["quantity"] is not None),
        "express_true": sum(1 for r in ordered if r["express"] is True),
        "order_ids_sha256": _sha256(str(i) for i in ids),
        "text_sha256": _sha256(texts),
        "ordered_at_min": iso_utc(min(moments)) if moments else None,
        "ordered_at_max": iso_utc(max(moments)) if moments else None,
    }
