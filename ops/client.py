"""A small HTTP client of the bulkflow API, for ``bulkflow upload|status|errors`` and the demo.

Every failure is an :class:`OpsError` with one line that says what to do: the command line
prints it without a traceback."""

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
from schemas.settings import Settings

TIMEOUT = httpx.Timeout(30.0, read=120.0)
API_URL_FILE = "api-url"  # written by `bulkflow serve` / `bulkflow api` under the home folder


def default_api_url(settings: Settings) -> str:
    """Where the API is: BULKFLOW_API_URL, else the address a running `bulkflow serve` wrote
    under the home folder, else BULKFLOW_API_HOST and BULKFLOW_API_PORT."""
    if settings.api_url:
        return settings.api_url
    recorded = settings.home / API_URL_FILE
    try:
        url = recorded.read_text(encoding="utf-8").strip()
    except OSError:
        url = ""
    return url or f"http://{settings.api_host}:{settings.api_port}"


def record_api_url(settings: Settings, host: str, port: int) -> None:
    """Let the CLI find an API started with another --host or --port."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / API_URL_FILE).write_text(f"http://{shown}:{port}\n", encoding="utf-8")


class ApiClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def close(self) -> None:
        self._http.close()

    def _unreachable(self, exc: httpx.TransportError) -> OpsError:
        return OpsError(
            f"cannot reach the bulkflow API at {self.base_url} ({type(exc).__name__}: {exc}); "
            "start it with `bulkflow serve`, or point BULKFLOW_API_URL (or --url) at it"
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def _not_bulkflow(self, response: httpx.Response) -> OpsError:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return OpsError(
            f"{self.base_url} is not a bulkflow API (it answered {response.status_code} with "
            f"{kind}, not JSON); point BULKFLOW_API_URL (or --url) at bulkflow serve or "
            "bulkflow api"
        )

    def _check(self, response: httpx.Response) -> Any:
        is_json = response.headers.get("content-type", "").startswith("application/json")
        if response.content and not is_json and response.status_code != 401:
            raise self._not_bulkflow(response)
        if response.status_code == 401:
            raise OpsError(
                "the API refused the key (401): set BULKFLOW_API_KEY (or --key) to a key "
                "listed in the server's BULKFLOW_API_KEYS"
            )
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise OpsError(f"the API answered {response.status_code}: {detail}")
        if not response.content:
            return None
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

    def upload(
        self,
        path: Path,
        dataset: str | None,
        *,
        sheet: str | None = None,
        idempotency_key: str | None = None,
        mapping: dict[str, str] | None = None,
        corrects: str | None = None,
        locale: str | None = None,
        encoding: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        fields = {
            "dataset": dataset,
            "sheet": sheet,
            "mapping": json.dumps(mapping) if mapping else None,
            "corrects": corrects,
            "locale": locale,
            "encoding": encoding,
        }
        data = {name: value for name, value in fields.items() if value}
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as f:
            files = {"file": (path.name, f, kind)}
            response = self._request("POST", "/v1/uploads", data=data, headers=headers, files=files)
        return dict(self._check(response))

    def confirm_mapping(
        self, job_id: str, mapping: dict[str, str], remember: bool = True
    ) -> UploadStatus:
        body = {"mapping": mapping, "remember": remember}
        answer = self._check(self._request("POST", f"/v1/uploads/{job_id}/mapping", json=body))
        return UploadStatus.model_validate(answer)

    def status(self, job_id: str) -> UploadStatus:
        body = self._check(self._request("GET", f"/v1/uploads/{job_id}"))
        return UploadStatus.model_validate(body)

    def errors_csv(self, job_id: str) -> Iterator[bytes]:
        """The job's row errors as CSV, streamed."""
        try:
            with self._http.stream("GET", f"/v1/uploads/{job_id}/errors") as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._check(resp)
                yield from resp.iter_bytes()
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def events(self, job_id: str, timeout_s: float = 3600.0) -> Iterator[UploadStatus]:
        """Follow the job's server-sent events until it ends, or for at most ``timeout_s``
        (the server's keep-alive lines keep every read short, so the read timeout alone
        would never end a stream of a job that does not move)."""
        timeout = httpx.Timeout(30.0, read=timeout_s)
        deadline = time.monotonic() + timeout_s
        try:
            with self._http.stream("GET", f"/v1/uploads/{job_id}/events", timeout=timeout) as resp:
                if resp.status_code >= 400 or "event-stream" not in resp.headers.get(
                    "content-type", ""
                ):
                    resp.read()
                    self._check(resp)
                for line in resp.iter_lines():
                    if time.monotonic() > deadline:
                        return
                    if line.startswith("data:"):
                        status = UploadStatus.model_validate(json.loads(line[5:].strip()))
                        yield status
                        if status.is_final:
                            return
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def wait_final(self, job_id: str, timeout_s: float = 600.0) -> UploadStatus:
        """The job's status once it ends, or once it pauses for its column mapping."""
        last = None
        for status in self.events(job_id, timeout_s):
            last = status
            if status.state == "needs_mapping":
                return status
        if last is None or not last.is_final:
            last = self.status(job_id)
        return last
