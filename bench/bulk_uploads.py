"""The bulk benchmark's HTTP client side: every file uploaded at once, the statuses listed."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.bulk_workload import FileSpec

API_KEY = "bench-key"


def upload_all(base_url: str, specs: list[FileSpec], threads: int) -> list[dict[str, Any]]:
    """Upload every file at once (a thread pool, one HTTP client per thread)."""
    from ops.client import ApiClient

    local = threading.local()
    clients: list[ApiClient] = []
    lock = threading.Lock()

    def one(spec: FileSpec) -> dict[str, Any]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = ApiClient(base_url, API_KEY)
            with lock:
                clients.append(client)
        submitted = time.time()
        try:
            answer = client.upload(spec.path, "orders")
            return {
                "name": spec.name,
                "kind": spec.kind,
                "rows": spec.rows,
                "submitted": submitted,
                "accepted": time.time(),
                "job_id": answer["job_id"],
                "tier": answer["tier"],
            }
        except Exception as exc:
            return {
                "name": spec.name,
                "kind": spec.kind,
                "rows": spec.rows,
                "submitted": submitted,
                "accepted": None,
                "job_id": None,
                "error": f"upload: {exc}"[:300],
            }

    try:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, specs))
    finally:
        for client in clients:
            client.close()


def list_statuses(http: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        resp = http.get("/v1/uploads", params={"limit": 1000, "offset": offset})
        resp.raise_for_status()
        body = resp.json()
        for item in body["items"]:
            out[item["job_id"]] = item
        offset += len(body["items"])
        if not body["items"] or offset >= body["total"]:
            return out


def epoch(value: str | None) -> float | None:
    return dt.datetime.fromisoformat(value).timestamp() if value else None
