"""A throw-away PgBouncer in transaction-pooling mode, in front of a PostgreSQL server, for
tests and benchmarks (Debian's ``pgbouncer``; ``deploy/ensure-pgbouncer.sh`` installs it).

Transaction pooling is how many sites run PgBouncer: a client holds a server session for
one transaction only, so the next transaction of the same client may run in another
session. Whatever a client leaves in a session (prepared statements, temporary tables,
``SET``, advisory locks, ``LISTEN``) is then missing, or met by another client.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from ops.devservers.localhost import free_port
from ops.devservers.postgres import PostgresUnavailable, chown_to, service_user

READY_TIMEOUT_S = 15.0


@dataclass
class PgBouncer:
    port: int
    process: subprocess.Popen[bytes]
    folder: Path

    def url(self, server_url: str) -> str:
        """``server_url`` (a database on the server behind) as reached through the pooler."""
        return (
            make_url(server_url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    def log(self) -> str:
        try:
            return (self.folder / "pgbouncer.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (PgBouncer's immediate shutdown), SIGKILL after ``timeout``."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def find_pgbouncer() -> str:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.access(found, os.X_OK):
        raise PostgresUnavailable(
            "pgbouncer not found: install Debian's `pgbouncer` package "
            "(bash deploy/ensure-pgbouncer.sh)"
        )
    return found


def start_pgbouncer(server_url: str, *, pool_size: int = 2) -> PgBouncer:
    """PgBouncer on a free port, transaction pooling at most ``pool_size`` server sessions
    per database and user, passing every user (trusted) on to the server of ``server_url``.
    The server must take plain TCP connections from 127.0.0.1."""
    binary = find_pgbouncer()
    server = make_url(server_url)
    run_as = service_user()  # PgBouncer refuses to run as root
    # its own folder outside pytest's owner-only tmp dirs, which run_as could not enter
    folder = Path(tempfile.mkdtemp(prefix="bulkflow-pgbouncer-"))
    port = free_port()
    (folder / "userlist.txt").write_text(f'"{server.username or "postgres"}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={server.host or '127.0.0.1'} port={server.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\n"
        "min_pool_size = 0\nreserve_pool_size = 0\nmax_client_conn = 500\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    if run_as is not None:
        for path in (folder, *folder.iterdir()):
            chown_to(run_as, path)
    # our own child (no runuser in between), so stop() reaps it
    process = subprocess.Popen(
        [binary, str(folder / "pgbouncer.ini")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        user=run_as,
        group=None if run_as is None else pwd.getpwnam(run_as).pw_gid,
        extra_groups=None if run_as is None else [],
    )
    bouncer = PgBouncer(port, process, folder)
    try:
        _wait_ready(bouncer, server_url)
    except BaseException:
        bouncer.stop()
        raise
    return bouncer


def _wait_ready(bouncer: PgBouncer, server_url: str) -> None:
    import psycopg

    from ops.devservers.postgres import libpq_url

    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if bouncer.process.poll() is not None:
            raise PostgresUnavailable(f"pgbouncer exited: {bouncer.log()[-2000:]}")
        try:
            with psycopg.connect(libpq_url(bouncer.url(server_url)), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"pgbouncer did not answer: {exc}") from exc
            time.sleep(0.1)
