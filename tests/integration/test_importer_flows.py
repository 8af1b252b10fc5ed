"""Column mapping, corrections, data-less files and merged cells through the HTTP API and the command line,
against the real pipeline, on SQLite and on PostgreSQL."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest
import sqlalchemy as sa

from api.mapping_expiry import MappingExpiry
from database.engine import make_engine
from messaging.publisher import Publisher
from ops.devservers.sample_data import write_orders_csv
from schemas.settings import Settings
from tests.integration.conftest import served_api
from tests.integration.test_cli import cli
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]
A = {"Authorization": "Bearer key-a"}
MAPPED_HEADER = "Order #,E-mail address,Date,Total"


@pytest.fixture
def served(db_settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    settings = db_settings.model_copy(update={"api_keys": "acme:key-a,globex:key-b"})
    with served_api(settings, tmp_path / "logs") as base:
        yield settings, base


def post_file(base: str, path: Path, **fields: str) -> str:
    with path.open("rb") as f:
        answer = httpx.post(
            f"{base}/v1/uploads", files={"file": (path.name, f)}, data=fields, headers=A, timeout=30
        )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def wait_state(base: str, job_id: str, states: set[str], timeout_s: float = 120) -> dict:  # type: ignore[type-arg]
    def reached() -> dict | None:  # type: ignore[type-arg]
        status = httpx.get(f"{base}/v1/uploads/{job_id}", headers=A, timeout=10).json()
        return status if status.get("state") in states else None  # type: ignore[no-any-return]

    return wait_until(reached, f"job {job_id} to reach {sorted(states)}", timeout_s, every_s=0.3)


def rows_of(settings: Settings, where: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            query = f"SELECT order_id, customer_email, amount, row_no FROM ds_orders WHERE {where}"
            rows = conn.execute(sa.text(query + " ORDER BY order_id")).all()
    finally:
        engine.dispose()
    return [(r[0], r[1], None if r[2] is None else f"{float(r[2]):.2f}", r[3]) for r in rows]


def test_columns_mapped_rows_corrected_and_empty_files_warned(
    served: tuple[Settings, str], tmp_path: Path
) -> None:
    settings, base = served
    mapped = tmp_path / "march.csv"
    mapped.write_text(
        f"Orders of March\n\n{MAPPED_HEADER}\n"
        + "".join(f"{700 + i},b{i}@example.com,2026-03-0{i}T10:00:00Z,{i}.25\n" for i in (1, 2, 3))
    )

    # the CLI stops at the pause, shows the suggestions and says how to go on (exit 5)
    code, out, err = cli(settings, "upload", str(mapped), "-d", "orders", "--wait", cwd=tmp_path)
    out += err  # the progress and the outcome go to standard error
    assert code == 5, out
    job = out.split("job ")[1].split()[0]
    assert "the file's columns (row 3): Order #, E-mail address, Date, Total" in out
    assert '--map "Order #=order_id"' in out and "bulkflow map" in out
    status = httpx.get(f"{base}/v1/uploads/{job}", headers=A).json()
    preview = status["mapping_preview"]
    assert (status["state"], preview["header_row"]) == ("needs_mapping", 3)
    assert preview["samples"][0] == ["701", "b1@example.com", "2026-03-01T10:00:00Z", "1.25"]
    assert preview["suggestions"] == {
        "order_id": "Order #",
        "customer_email": "E-mail address",
        "ordered_at": "Date",
    }
    # a mapping that leaves a required column out is refused with the reason
    bad = httpx.post(
        f"{base}/v1/uploads/{job}/mapping", json={"mapping": {"order_id": "Order #"}}, headers=A
    )
    assert bad.status_code == 422 and "customer_email" in bad.json()["detail"]

    maps = ["--map", "Order #=order_id", "--map", "E-mail address=customer_email"]
    maps += ["--map", "Date=ordered_at", "--map", "Total=amount"]
    code, out, _err = cli(settings, "map", job, *maps, "--wait", cwd=tmp_path)
    assert code == 0, out
    done = httpx.get(f"{base}/v1/uploads/{job}", headers=A).json()
    assert (done["state"], done["rows_ok"], done["header_row"]) == ("completed", 3, 3)
    assert done["mapping"]["amount"] == "Total"
    # the original row numbers: the header is row 3, so the data starts on row 4
    assert rows_of(settings, "order_id BETWEEN 701 AND 703") == [
        (700 + i, f"b{i}@example.com", f"{i}.25", 3 + i) for i in (1, 2, 3)
    ]

    # the same header next time: the saved mapping applies without asking
    same = tmp_path / "april.csv"
    same.write_text(f"{MAPPED_HEADER}\n801,c@example.com,2026-04-01,2.00\n")
    again = wait_state(
        base, post_file(base, same, dataset="orders"), {"completed", "needs_mapping", "failed"}
    )
    assert (again["state"], again["rows_ok"], again["mapping"]["amount"]) == (
        "completed",
        1,
        "Total",
    )
    # another header with those columns: the saved mapping is offered first
    more = tmp_path / "may.csv"
    more.write_text(f"{MAPPED_HEADER},Gift wrap\n901,d@example.com,2026-05-01,4.00,yes\n")
    offered = wait_state(base, post_file(base, more, dataset="orders"), {"needs_mapping"})
    assert offered["mapping_preview"]["suggestions"]["amount"] == "Total"
    assert offered["mapping_preview"]["suggested_by"]["amount"] == "saved"

    # a mapping given at upload time, from the CLI
    named = tmp_path / "june.csv"
    named.write_text("Ref,Mail,When\n1001,e@example.com,2026-06-01\n")
    code, out, _err = cli(
        settings, "upload", str(named), "-d", "orders", "--wait",
        "--map", "Ref=order_id", "--map", "Mail=customer_email", "--map", "When=ordered_at",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, out
    assert rows_of(settings, "order_id = 1001") == [(1001, "e@example.com", None, 2)]

    # a paused upload nobody maps expires with a reason, and can no longer be mapped
    engine = make_engine(settings.db_url)
    with Publisher(settings) as publisher:
        expiry = MappingExpiry(settings, lambda: engine, lambda: publisher)
        later = datetime.now(UTC) + timedelta(seconds=settings.mapping_timeout_s + 60)
        assert expiry.expire(later) == [offered["job_id"]]
    engine.dispose()
    expired = wait_state(base, offered["job_id"], {"failed"})
    assert "nobody confirmed the column mapping within 24 h" in expired["error"]
    late = httpx.post(
        f"{base}/v1/uploads/{offered['job_id']}/mapping",
        json={"mapping": {"order_id": "Order #"}},
        headers=A,
    )
    assert late.status_code == 409

    # three invalid rows corrected from the CLI with a CSV of corrections
    with_errors = write_orders_csv(
        tmp_path / "with-errors.csv", 30, invalid_every=10, start_id=2000
    )
    original = post_file(base, with_errors, dataset="orders")
    assert wait_state(base, original, {"completed_with_errors"})["rows_failed"] == 3
    invalid = httpx.get(f"{base}/v1/uploads/{original}/invalid-rows", headers=A).json()
    assert [(i["row"], [e["column"] for e in i["errors"]]) for i in invalid["items"]] == [
        (11, ["customer_email"]),
        (21, ["amount"]),
        (31, ["order_id"]),
    ]
    assert invalid["items"][1]["cells"]["customer_email"] == "customer2019@example.com"
    fixes = {
        11: {"customer_email": "fixed@example.com"},
        21: {"amount": "21.00"},
        31: {"order_id": "2029"},
    }
    corrections = tmp_path / "corrections.csv"
    columns = list(invalid["items"][0]["cells"])
    lines = ["row," + ",".join(columns)]
    for item in invalid["items"]:
        cells = {**item["cells"], **fixes[item["row"]]}
        lines.append(",".join([str(item["row"]), *(cells[c] or "" for c in columns)]))
    corrections.write_text("\n".join(lines) + "\n")
    code, out, _err = cli(
        settings, "upload", str(corrections), "--corrects", original, "--wait", cwd=tmp_path
    )
    assert code == 0, out
    saved = rows_of(settings, "order_id IN (2009, 2019, 2029)")
    assert [(r[0], r[1], r[3]) for r in saved] == [
        (2009, "fixed@example.com", 11),
        (2019, "customer2019@example.com", 21),
        (2029, "customer2029@example.com", 31),
    ]
    assert saved[1][2] == "21.00"
    after = httpx.get(f"{base}/v1/uploads/{original}/invalid-rows", headers=A).json()
    assert (after["total"], after["rows_corrected"]) == (0, 3)
    assert after["corrections"][0]["filename"] == "corrections.csv"
    # the same rows corrected once more, with a row that was never invalid: still 3 rows
    never_invalid = {**invalid["items"][0]["cells"], **fixes[11], "order_id": "2004"}
    once_more = tmp_path / "again.csv"
    once_more.write_text(
        corrections.read_text() + ",".join(["6", *(never_invalid[c] or "" for c in columns)])
    )
    code, out, _err = cli(
        settings, "upload", str(once_more), "--corrects", original, "--wait", cwd=tmp_path
    )
    assert code == 0, out
    twice = httpx.get(f"{base}/v1/uploads/{original}/invalid-rows", headers=A).json()
    assert (twice["total"], twice["rows_corrected"]) == (0, 3)
    assert [c["rows"] for c in twice["corrections"]] == [3, 3]
    # the same through the API, as JSON Lines: a correction that is still wrong stays invalid
    second = write_orders_csv(tmp_path / "second.csv", 10, invalid_every=10, start_id=3000)
    first_job = post_file(base, second, dataset="orders")
    wait_state(base, first_job, {"completed_with_errors"})
    fix = tmp_path / "fix.jsonl"
    fix.write_text(
        json.dumps(
            {"row_no": 11, "order_id": "3009", "customer_email": "nope", "ordered_at": "2026-01-01"}
        )
        + "\n"
    )
    correction = wait_state(
        base,
        post_file(base, fix, corrects=first_job),
        {"completed_with_errors", "completed", "failed"},
    )
    assert (correction["state"], correction["corrects"], correction["rows_failed"]) == (
        "completed_with_errors",
        first_job,
        1,
    )
    still = httpx.get(f"{base}/v1/uploads/{first_job}/invalid-rows", headers=A).json()
    assert (still["total"], still["rows_corrected"]) == (1, 0)

    # a file with a header and no rows is a warning (exit 4), not a plain success
    empty = tmp_path / "empty.csv"
    empty.write_text("order_id,customer_email,ordered_at\n")
    code, out, err = cli(settings, "upload", str(empty), "-d", "orders", "--wait", cwd=tmp_path)
    out += err
    assert code == 4, out
    assert "completed with a warning: no data rows under the header on row 1" in out

    # a required date merged down three rows is in the first only: two row errors, and the
    # warning that says why, in the status and after --wait (exit 3: rows were not saved)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["order_id", "customer_email", "ordered_at"])
    for n in range(1, 5):
        sheet.append([4000 + n, f"m{n}@example.com", datetime(2026, 1, n) if n in (1, 4) else None])
    sheet.merge_cells("C2:C4")
    book.save(merged := tmp_path / "merged.xlsx")
    code, out, err = cli(settings, "upload", str(merged), "-d", "orders", "--wait", cwd=tmp_path)
    out += err
    said = (
        "cells C2:C4 (ordered_at) are merged and hold their value in C2 only, so rows 3–4 "
        "read no ordered_at: unmerge the cells, put the value in each of them, and upload "
        "the file again"
    )
    assert code == 3, out
    assert f"warning: {said}" in " ".join(out.split()), out
    job = out.split("job ", 1)[1].split()[0]
    status = wait_state(base, job, {"completed_with_errors"})
    assert (status["rows_ok"], status["rows_failed"], status["warning"]) == (2, 2, said)

    # an order id twice in one file: its last row is kept, and the job says one was replaced
    twice = tmp_path / "twice.csv"
    twice.write_text(
        "order_id,customer_email,ordered_at,notes\n"
        "5001,a@example.com,2026-01-01,first\n5002,b@example.com,2026-01-02,other\n"
        "5001,c@example.com,2026-01-03,second\n"
    )
    code, out, err = cli(settings, "upload", str(twice), "-d", "orders", "--wait", cwd=tmp_path)
    out += err
    assert code == 4, out
    assert "1 row was replaced by a later row of the file with the same key" in out, out
    assert rows_of(settings, "order_id = 5001") == [(5001, "c@example.com", None, 4)]


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            b"<html><body><h1>Welcome to nginx!</h1>" + b"<p>filler</p>" * 200 + b"</body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_a_server_that_is_not_bulkflow_is_one_line(settings: Settings, tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code, _out, err = cli(settings, "status", "abc", "--url", url, cwd=tmp_path)
    finally:
        server.shutdown()
    assert code == 1
    assert err.strip().count("\n") == 0 and "nginx" not in err, err
    assert f"{url} is not a bulkflow API" in err and "BULKFLOW_API_URL" in err
