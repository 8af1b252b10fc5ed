"""Helpers of the crash tests: a served pipeline spoken to over HTTP, kept alive by its
supervisor while a test kills its processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from ops.supervisor import Supervisor
from schemas.records import UploadStatus
from tests.support.waiting import wait_until

API_KEY = {"Authorization": "Bearer demo-key"}


class Served:
    """``bulkflow serve``'s processes under a supervisor that restarts what dies, and an
    HTTP client of its API. Every wait here polls the supervisor, so a killed process is
    restarted while the test waits."""

    def __init__(self, supervisor: Supervisor, api_url: str) -> None:
        self.supervisor = supervisor
        self.http = httpx.Client(base_url=api_url, headers=API_KEY, timeout=10.0)
        self.events: list[str] = []

    def wait_until(self, what: str, check: Callable[[], bool], timeout_s: float) -> None:
        """wait_until, polling the supervisor (which restarts what died) as it waits; an API
        that is down or restarting is "not yet"."""

        def polled() -> bool:
            self.events += self.supervisor.poll()
            return check()

        try:
            wait_until(polled, what, timeout_s, ignoring=(httpx.HTTPError,))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; supervisor: {self.events}") from None

    def api_up(self) -> bool:
        return self.http.get("/healthz").status_code == 200

    def upload(self, path: Path) -> str:
        with path.open("rb") as f:
            response = self.http.post(
                "/v1/uploads", files={"file": (path.name, f)}, data={"dataset": "orders"}
            )
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    def upload_mid_job(
        self, path: Path, ripe: Callable[[UploadStatus], bool], attempts: int = 3
    ) -> tuple[str, float, UploadStatus]:
        """Upload ``path`` until a poll sees its job ``ripe`` and not ended: (job id, when it
        was uploaded, on the monotonic clock, the status then). A job that ends between two
        polls (60 small chunks take about a second) is uploaded again, up to ``attempts``
        times; a job that never gets there fails with what the API last said of it."""
        seen: list[UploadStatus | None] = []
        for _ in range(attempts):
            uploaded = time.monotonic()
            job_id = self.upload(path)

            def caught_or_ended(job_id: str = job_id) -> bool:
                status = self.status(job_id)
                seen.append(status)
                return status is not None and (status.is_final or ripe(status))

            try:
                self.wait_until(f"job {job_id} mid-way or ended", caught_or_ended, 60)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the API's last status of it: {seen[-1]}") from None
            last = seen[-1]
            if last is not None and not last.is_final:
                return job_id, uploaded, last
        raise AssertionError(f"{attempts} uploads each ended before a poll saw them mid-way")

    def status(self, job_id: str) -> UploadStatus | None:
        response = self.http.get(f"/v1/uploads/{job_id}")
        if response.status_code != 200:
            return None
        return UploadStatus.model_validate(response.json())

    def wait_final(self, job_id: str, timeout_s: float) -> UploadStatus:
        final: list[UploadStatus] = []

        def is_final() -> bool:
            status = self.status(job_id)
            if status is not None and status.is_final:
                final.append(status)
            return bool(final)

        self.wait_until(f"job {job_id} final", is_final, timeout_s)
        return final[0]

    def restarts(self) -> dict[str, int]:
        return {name: child.restarts for name, child in self.supervisor.children.items()}

    def aborted(self) -> list[str]:
        """Children whose log shows a native abort (a librdkafka assertion and the like)."""
        return [
            name
            for name, child in self.supervisor.children.items()
            if child.log_path.exists()
            and any(
                mark in child.log_path.read_text(errors="replace")
                for mark in ("Assertion", "Fatal Python error", "Aborted")
            )
        ]

    def close(self) -> None:
        self.http.close()
        self.supervisor.stop()
