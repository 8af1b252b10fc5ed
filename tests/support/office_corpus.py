"""Check a finished upload of an office corpus file against tests/data/office/expected.json.

What is checked is what a user would look at: the job's final state and counts, the rows in
``ds_orders`` (by their checksums, office_checksums.py), the row errors (which rows, which
column, a word of the message) and, for a failed job, the words of its reason. Every mismatch
of a file is listed in one assertion message.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from database.tables import dataset_table, row_errors
from ops.devservers.sample_data import ORDERS_COLUMNS
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir
from tests.support.office_checksums import checksums

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT / "tests" / "data" / "office"
EXPECTED_PATH = CORPUS_DIR / "expected.json"
CHECKSUM_COLUMNS = ORDERS_COLUMNS


@cache
def load_expected() -> dict[str, dict[str, Any]]:
    """File name -> its expectation (the ``_about`` notes left out)."""
    entries = json.loads(EXPECTED_PATH.read_text())
    return {name: entry for name, entry in entries.items() if not name.startswith("_")}


def stored_checksums(engine: Engine, job_id: str, dataset: str = "orders") -> dict[str, Any]:
    table = dataset_table(DatasetRegistry(packaged_datasets_dir()).get(dataset))
    query = select(*(table.c[c] for c in CHECKSUM_COLUMNS)).where(table.c.job_id == job_id)
    with engine.connect() as conn:
        rows = [dict(zip(CHECKSUM_COLUMNS, r, strict=True)) for r in conn.execute(query)]
    return checksums(rows)


def stored_row_errors(engine: Engine, job_id: str) -> dict[int, list[tuple[str, str]]]:
    """Spreadsheet row -> [(column, message)] of the job's row errors."""
    query = (
        select(row_errors.c.row_no, row_errors.c.column_name, row_errors.c.message)
        .where(row_errors.c.job_id == job_id)
        .order_by(row_errors.c.row_no, row_errors.c.column_name)
    )
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    with engine.connect() as conn:
        for row_no, column, message in conn.execute(query):
            found[int(row_no)].append((column, message))
    return dict(found)


def missing_keywords(reason: str | None, keywords: list[str]) -> list[str]:
    """The keywords (``a|b``: either) that the reason lacks, case-insensitively."""
    text = (reason or "").casefold()
    return [k for k in keywords if not any(w.casefold() in text for w in k.split("|"))]


def _row_error_problems(
    expected: list[dict[str, Any]], found: dict[int, list[tuple[str, str]]]
) -> list[str]:
    problems = []
    want_rows = [e["row"] for e in expected]
    if sorted(found) != want_rows:
        problems.append(
            f"invalid rows: expected {want_rows}, got {sorted(found)} "
            f"(missing {sorted(set(want_rows) - set(found))}, "
            f"unexpected {sorted(set(found) - set(want_rows))})"
        )
    for entry in expected:
        errors = found.get(entry["row"], [])
        hits = [m for column, m in errors if column == entry["column"]]
        keyword = entry.get("keyword")
        if not hits:
            problems.append(f"row {entry['row']}: no error on {entry['column']!r} (got {errors})")
        elif keyword and not any(keyword.casefold() in m.casefold() for m in hits):
            problems.append(
                f"row {entry['row']} {entry['column']!r}: no message with {keyword!r} in {hits}"
            )
    return problems


def job_problems(
    engine: Engine, status: Mapping[str, Any], expected: Mapping[str, Any]
) -> list[str]:
    """What differs between a final job status (the API's JSON) plus the database, and the
    file's expectation; empty when the job came out as expected."""
    job_id = status["job_id"]
    state = status["state"]
    if state != expected["outcome"]:
        return [
            f"state: expected {expected['outcome']}, got {state} "
            f"(error: {status.get('error')!r}, rows ok/failed: "
            f"{status.get('rows_ok')}/{status.get('rows_failed')})"
        ]
    if state in ("failed", "needs_mapping"):
        preview = status.get("mapping_preview") or {}
        reason = status.get("error") or preview.get("reason")
        lacking = missing_keywords(reason, expected["reason_keywords"])
        return [f"reason {reason!r} lacks {lacking}"] if lacking else []
    problems = []
    counts = (status.get("rows_total"), status.get("rows_ok"), status.get("rows_failed"))
    invalid = len(expected["invalid_rows"])
    want = (expected["total_rows"], expected["valid_rows"], invalid)
    if counts != want:
        problems.append(f"rows total/ok/failed: expected {want}, got {counts}")
    problems += _row_error_problems(expected["invalid_rows"], stored_row_errors(engine, job_id))
    got = stored_checksums(engine, job_id, expected["dataset"])
    for name, value in expected["checksums"].items():
        if got.get(name) != value:
            problems.append(f"checksum {name}: expected {value!r}, got {got.get(name)!r}")
    return problems


def check_job(engine: Engine, status: Mapping[str, Any], file_name: str) -> None:
    """Assert that the finished job of a corpus file came out as expected.json says."""
    problems = job_problems(engine, status, load_expected()[file_name])
    assert not problems, f"{file_name} (job {status['job_id']}):\n  " + "\n  ".join(problems)


def check_refusal(status_code: int, detail: str, file_name: str) -> None:
    """An upload the API refused at the door: acceptable only for a file expected to fail,
    and only with the reason's words."""
    expected = load_expected()[file_name]
    assert expected["outcome"] == "failed", (
        f"{file_name}: refused with {status_code} {detail!r}, expected {expected['outcome']}"
    )
    lacking = missing_keywords(detail, expected["reason_keywords"])
    assert not lacking, f"{file_name}: refusal {detail!r} lacks {lacking}"
