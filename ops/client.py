"""A small HTTP client of the bulkflow API, for ``bulkflow upload|status`` and the demo."""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from ops.errors import OpsError
from schemas.records import UploadStatus

TIMEOUT = httpx.Timeout(30.0, read=120.0)


class ApiClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT,
                                  headers={"Authorization": f"Bearer {api_key}"})  # fmt: skip

    def close(self) -> None:
        self._http.close()

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise OpsError(f"{response.status_code}: {detail}")
        return response.json()

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = self._http.get("/readyz")
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.TransportError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise OpsError(f"the API at {self.base_url} is not ready after {timeout_s:.0f}s: {last}")

    def upload(self, path: Path, dataset: str, *, sheet: str | None = None,
               idempotency_key: str | None = None) -> dict[str, Any]:  # fmt: skip
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        data = {"dataset": dataset, **({"sheet": sheet} if sheet else {})}
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as f:
            response = self._http.post("/v1/uploads", data=data, headers=headers,
                                       files={"file": (path.name, f, kind)})  # fmt: skip
        return dict(self._check(response))

    def status(self, job_id: str) -> UploadStatus:
        return UploadStatus.model_validate(self._check(self._http.get(f"/v1/uploads/{job_id}")))

    def events(self, job_id: str, timeout_s: float = 3600.0) -> Iterator[UploadStatus]:
        """Follow the job's server-sent events until it ends."""
        timeout = httpx.Timeout(30.0, read=timeout_s)
        with self._http.stream("GET", f"/v1/uploads/{job_id}/events", timeout=timeout) as resp:
            if resp.status_code >= 400:
                resp.read()
                self._check(resp)
            for line in resp.iter_lines():
                if line.startswith("data:"):
                    status = UploadStatus.model_validate(json.loads(line[5:].strip()))
                    yield status
                    if status.is_final:
                        return

    def wait_final(self, job_id: str, timeout_s: float = 600.0) -> UploadStatus:
        last = None
        for status in self.events(job_id, timeout_s):
            last = status
        if last is None or not last.is_final:
            last = self.status(job_id)
        return last
