"""Run pipeline components as supervised child processes (``bulkflow serve``, tests, demo).

Each child is ``bulkflow <command>`` with the parent's settings passed as ``BULKFLOW_*``
variables; one that dies is restarted (with a back-off), and ``stop`` ends them all with
SIGTERM, then SIGKILL after a timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from schemas.errors import CONFIG_EXIT_CODE
from schemas.settings import Settings

STOP_TIMEOUT_S = 20.0


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables a child process reads back."""
    env = {**os.environ}
    for name, value in settings.model_dump().items():
        if value is None:  # unset here, as in the settings (not inherited from our env)
            env.pop(f"BULKFLOW_{name.upper()}", None)
            continue
        # a child needs the real secret (SecretStr prints as stars); it is never logged
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        env[f"BULKFLOW_{name.upper()}"] = str(plain)
    env["BULKFLOW_DATABASE_URL"] = settings.db_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def static_member_id(settings: Settings, name: str) -> str:
    """A child's ``group.instance.id``: the same across its restarts, so a restarted process
    takes its partitions straight back, and different on another host or another deployment
    (home) of this one, because two live members with one id fence each other out.
    Kafka allows ``[A-Za-z0-9._-]`` only."""
    place = f"{socket.gethostname()}:{settings.home.resolve()}"
    digest = hashlib.sha1(place.encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '-', name)}-{digest}"


@dataclass
class Child:
    name: str
    args: list[str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start_at: float = 0.0
    env: dict[str, str] = field(default_factory=dict)  # over the shared settings (own spool, login)


@dataclass
class Supervisor:
    settings: Settings
    log_dir: Path
    restart: bool = True
    children: dict[str, Child] = field(default_factory=dict)
    # children that stopped on a configuration error (exit CONFIG_EXIT_CODE), with their
    # last line: not restarted, since they would fail the same way again
    failed: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, *args: str) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        child = Child(name, list(args), self.log_dir / f"{name}.log")
        self.children[name] = child
        return child

    def child_env(self, child: Child) -> dict[str, str]:
        env = settings_env(self.settings)
        env["BULKFLOW_INSTANCE_ID"] = static_member_id(self.settings, child.name)
        env.update(child.env)
        return env

    def _spawn(self, child: Child) -> None:
        env = self.child_env(child)
        log = child.log_path.open("ab")
        child.proc = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", *child.args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        log.close()
        child.started_at = time.monotonic()

    def start(self, *names: str) -> None:
        for child in self.children.values():
            if not names or child.name in names:
                self._spawn(child)

    def poll(self) -> list[str]:
        """Restart children that died; say what happened."""
        events = []
        now = time.monotonic()
        for child in self.children.values():
            if child.proc is None or child.proc.poll() is None or child.name in self.failed:
                continue
            if child.proc.returncode == CONFIG_EXIT_CODE:
                self.failed[child.name] = self.last_line(child.name)
                events.append(f"{child.name} stopped: {self.failed[child.name]}")
                continue
            if not self.restart:
                continue
            if child.next_start_at == 0.0:
                # back off: a child that keeps dying at once is not restarted in a tight loop
                uptime = now - child.started_at
                delay = 1.0 if uptime > 30 else min(2.0 ** min(child.restarts, 5), 30.0)
                child.next_start_at = now + delay
                events.append(
                    f"{child.name} exited with {child.proc.returncode}; "
                    f"restarting in {delay:.0f}s (log {child.log_path})"
                )
            elif now >= child.next_start_at:
                child.restarts += 1
                child.next_start_at = 0.0
                self._spawn(child)
                events.append(f"{child.name} restarted")
        return events

    def signal(self, name: str, sig: int) -> None:
        child = self.children[name]
        if child.proc is not None and child.proc.poll() is None:
            os.killpg(child.proc.pid, sig)

    def wait_dead(self, name: str, timeout_s: float = STOP_TIMEOUT_S) -> None:
        child = self.children[name]
        if child.proc is not None:
            try:
                child.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait(5)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        self.restart = False
        running = [c for c in self.children.values() if c.proc and c.proc.poll() is None]
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.proc.pid, signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout_s
        for child in running:
            assert child.proc is not None
            try:
                child.proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait(5)

    def last_line(self, name: str) -> str:
        """The child's last words (its one-line error), without the "error:" label."""
        lines = [line for line in self.log_tail(name, 5).splitlines() if line.strip()]
        return lines[-1].removeprefix("error: ").strip() if lines else "no output"

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.children[name].log_path
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
