"""`bulkflow serve` stops within 5 s on Ctrl-C, even when a process does not stop by itself
(a worker writing chunks took 5-6 s): it is killed after SERVE_STOP_S."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ops.serve import SERVE_STOP_S
from ops.supervisor import Supervisor
from schemas.settings import Settings

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"


def test_a_process_that_ignores_sigterm_is_stopped_within_five_seconds(tmp_path: Path) -> None:
    supervisor = Supervisor(Settings(home=tmp_path), tmp_path / "logs", restart=False)
    child = supervisor.add("worker-1", "worker")
    child.proc = subprocess.Popen(
        [sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, start_new_session=True
    )
    assert child.proc.stdout is not None and child.proc.stdout.readline() == b"up\n"
    started = time.monotonic()
    supervisor.stop(SERVE_STOP_S)
    took = time.monotonic() - started
    assert child.proc.poll() is not None
    assert SERVE_STOP_S - 0.5 < took < 5.0
