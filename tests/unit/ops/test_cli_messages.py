"""What the command line says when it cannot do its job: one line with the fix, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

BULKFLOW = str(Path(sys.executable).with_name("bulkflow"))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "BULKFLOW_API_URL"}
    full_env.update(BULKFLOW_HOME=str(cwd / "home"), **env)
    return subprocess.run(
        [BULKFLOW, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60
    )


def test_an_unreachable_api_is_one_line_with_the_fix(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    for args in (["status", "job-1"], ["errors", "job-1"]):
        done = run_cli(*args, cwd=tmp_path, BULKFLOW_API_URL=url)
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, done.stderr
        assert f"cannot reach the bulkflow API at {url}" in lines[0]
        assert "bulkflow serve" in lines[0] and "BULKFLOW_API_URL" in lines[0]


def test_the_default_address_follows_the_configured_port(tmp_path: Path) -> None:
    port = _closed_port()
    done = run_cli("status", "job-1", cwd=tmp_path, BULKFLOW_API_PORT=str(port))
    assert f"http://127.0.0.1:{port}" in done.stderr


def test_help_texts_have_no_docstring_markup(tmp_path: Path) -> None:
    for args in ([], ["upload"], ["serve"], ["errors"], ["dlq"]):
        done = run_cli(*args, "--help", cwd=tmp_path)
        assert done.returncode == 0, done
        assert "``" not in done.stdout and ":func:" not in done.stdout
