"""The wheel is what a user installs: built from the repo, installed in a fresh venv outside
it, and run from a folder outside it, ``bulkflow`` starts the broker, serves and completes an
upload, with every file it writes under BULKFLOW_HOME."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.devservers.localhost import free_port
from ops.devservers.sample_data import write_orders_csv
from tests.support.waiting import api_ready, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
# what the wheel is built from: the repo less what is never packaged (and heavy to copy)
NOT_PACKAGED = shutil.ignore_patterns(
    *(".git", ".venv", ".bulkflow", "bench", "tests", "docs", "build", "dist", "*.egg-info"),
    *("__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"),
    "target",  # cargo's builds of native/xlsx_stream: the release and the tests' debug one
)
ROWS = 40


def run(
    cmd: list[str | Path],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one step; its output is the failure message when it fails."""
    args = [str(c) for c in cmd]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    output = f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}"
    assert proc.returncode == 0, output[-4000:]
    return proc


def outside_env() -> dict[str, str]:
    """The environment less what points into the repo: with the repo on PYTHONPATH, pip in
    the new venv would take a bulkflow.egg-info there for an installed bulkflow."""
    repo_only = ("PYTHONPATH", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULKFLOW_")}
    return {k: v for k, v in env.items() if k not in repo_only}


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    """A folder outside the repo; not pytest's tmp_path, which concurrent pytest runs of the
    same user prune (only the newest few base folders are kept)."""
    folder = Path(tempfile.mkdtemp(prefix="bulkflow-wheel-"))
    assert REPO_ROOT not in folder.parents
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def venv_bin(root: Path) -> Path:
    """A fresh venv (no system site-packages) with the wheel and its deps from the index."""
    source, dist, venv = root / "src", root / "dist", root / "venv"
    # build from a copy, so setuptools' build/ and egg-info never land in the work tree
    shutil.copytree(REPO_ROOT, source, ignore=NOT_PACKAGED)
    env = outside_env()
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", source, "-w", dist]
    run(build, timeout=300, cwd=root, env=env)
    (wheel,) = dist.glob("bulkflow-*.whl")
    run([sys.executable, "-m", "venv", venv], timeout=120, cwd=root, env=env)
    run(
        [venv / "bin" / "python", "-m", "pip", "install", "-q", wheel],
        timeout=600,
        cwd=root,
        env=env,
    )
    return venv / "bin"


@pytest.fixture
def user_env(root: Path) -> dict[str, str]:
    """A user's shell: no repo on the path, no BULKFLOW_* but a home, ports and a prefix."""
    env = outside_env()
    broker_port = free_port()
    env["BULKFLOW_HOME"] = str(root / "home")
    env["BULKFLOW_BROKER_PORT"] = str(broker_port)
    env["BULKFLOW_CONTROLLER_PORT"] = str(free_port())
    env["BULKFLOW_KAFKA_BOOTSTRAP"] = f"127.0.0.1:{broker_port}"
    env["BULKFLOW_TOPIC_PREFIX"] = f"wheel{os.getpid()}"
    env["BULKFLOW_API_KEYS"] = "acme:wheel-key"
    return env


@pytest.fixture
def broker(venv_bin: Path, user_env: dict[str, str], root: Path) -> Iterator[Path]:
    """``bulkflow broker start``; ``bulkflow broker stop`` afterwards, whatever happened."""
    cwd = root / "cwd"
    cwd.mkdir()
    try:
        run([venv_bin / "bulkflow", "broker", "start"], timeout=240, cwd=cwd, env=user_env)
        yield cwd
    finally:
        stop = [str(venv_bin / "bulkflow"), "broker", "stop"]
        subprocess.run(stop, cwd=cwd, env=user_env, capture_output=True, timeout=60, check=False)


@pytest.fixture
def api_url(venv_bin: Path, user_env: dict[str, str], broker: Path) -> Iterator[str]:
    """``bulkflow topics create`` and ``bulkflow serve`` in the background, until ready."""
    run([venv_bin / "bulkflow", "topics", "create"], timeout=120, cwd=broker, env=user_env)
    port = free_port()
    log = broker.parent / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [venv_bin / "bulkflow", "serve", "--port", str(port)],
            cwd=broker,
            env=user_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert serve.poll() is None, f"serve exited:\n{log.read_text()[-4000:]}"
            return api_ready(url)

        wait_until(ready, f"serve to be ready (log {log})", 120, every_s=1)
        yield url
    finally:
        _stop_group(serve)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """serve supervises children in its own session: SIGTERM to it, SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_the_installed_wheel_runs_the_pipeline_from_anywhere(
    venv_bin: Path, user_env: dict[str, str], broker: Path, api_url: str
) -> None:
    # nothing of the repo comes along: bench/ and tests/ are not installed
    probe = "import importlib.util as u; print([n for n in ('bench', 'tests') if u.find_spec(n)])"
    found = run([venv_bin / "python", "-c", probe], timeout=60, cwd=broker, env=user_env)
    assert found.stdout.strip() == "[]"

    upload = write_orders_csv(broker / "orders.csv", ROWS)
    bulkflow = venv_bin / "bulkflow"
    client = ["--url", api_url, "--key", "wheel-key"]
    upload_cmd = [bulkflow, "upload", upload.name, "--dataset", "orders", "--wait", *client]
    uploaded = run(upload_cmd, timeout=180, cwd=broker, env=user_env)
    job = re.search(r"job (\w+) queued", uploaded.stderr)
    assert job, uploaded.stderr
    shown = run([bulkflow, "status", job.group(1), *client], timeout=60, cwd=broker, env=user_env)
    status = json.loads(shown.stdout)
    assert (status["state"], status["rows_ok"], status["rows_failed"]) == ("completed", ROWS, 0)

    # everything bulkflow wrote is under BULKFLOW_HOME; the working directory is untouched
    home = Path(user_env["BULKFLOW_HOME"])
    assert (home / "bulkflow.db").is_file()
    assert (home / "spool").is_dir() and (home / "kafka" / "broker.log").is_file()
    assert sorted(p.name for p in broker.iterdir()) == ["orders.csv"]
