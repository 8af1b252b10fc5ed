"""A bounded schemathesis run over the API's own OpenAPI schema: no input gives a 500."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from ops.devservers.broker import free_port
from schemas.settings import Settings
from tests.support.waiting import api_ready, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_schemathesis_finds_no_server_error(kafka_settings: Settings, tmp_path: Path) -> None:
    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is a dev dependency: make install"
    settings = kafka_settings.model_copy(update={"api_keys": "acme:key-a"})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: api_ready(base), "the API to be ready", 60, every_s=0.3)
        run = subprocess.run(
            [
                st,
                "run",
                f"{base}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "15",
                "--generation-deterministic",
                "--request-timeout",
                "20",
                "--header",
                "Authorization: Bearer key-a",
                "--max-failures",
                "1",
                # a live job's event stream lasts until the job ends, and no pipeline runs
                # here: a request that reaches one never returns (test_api covers the route)
                "--exclude-path-regex",
                "/events$",
            ],
            capture_output=True,
            text=True,
            timeout=420,
            cwd=tmp_path,
        )
    finally:
        server.should_exit = True
        thread.join(15)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts, run.stdout[-2000:]
    generated, passed = int(counts.group(1)), int(counts.group(2))
    assert generated >= 100 and passed == generated, run.stdout[-2000:]
