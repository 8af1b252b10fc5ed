"""A throw-away PostgreSQL server for tests and benchmarks (no Docker needed).

Debian's server binaries (``deploy/ensure-postgres.sh`` installs them), a fresh cluster with
fsync off in a scratch folder; or the server named by ``$BULKFLOW_TEST_POSTGRES_URL``.
With ``tls=True`` it takes TCP connections over TLS only (``hostssl`` lines, no ``host``),
with a certificate for localhost/127.0.0.1 signed by a project CA (ops/devservers/certs.py),
and its URL asks for ``sslmode=verify-full`` against that CA. Its superuser ``postgres`` logs
in without a password; every other role needs its SCRAM password.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ops.devservers.localhost import free_port

ENV_URL = "BULKFLOW_TEST_POSTGRES_URL"
DEFAULT_DB = "bulkflow"
# Unix socket paths are capped at ~107 bytes; pytest's tmp dirs can be longer than that.
_MAX_SOCKET_DIR = 80


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine, or the server would not start."""


@dataclass
class PostgresServer:
    url: str  # postgresql+psycopg://user@host:port/db[?sslmode=verify-full&sslrootcert=CA]
    data_dir: Path | None = None
    bindir: Path | None = None
    run_as: str | None = None
    ca_file: Path | None = None  # the CA that signed the server's certificate (tls=True)
    _scratch: Path | None = field(default=None, repr=False)

    @property
    def external(self) -> bool:
        return self.data_dir is None

    def pause(self, timeout: int = 30) -> None:
        """Stop the server but keep its data: an outage, for failure tests."""
        assert self.data_dir is not None and self.bindir is not None, "not our server"
        cmd = [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"]
        _run([*cmd, "-t", str(timeout)], self.run_as, timeout=timeout + 10)

    def resume(self, timeout: int = 30) -> None:
        assert self.data_dir is not None and self.bindir is not None, "not our server"
        log = self.data_dir.parent / "postgres.log"
        cmd = [str(self.bindir / "pg_ctl"), "start", "-D", str(self.data_dir), "-l", str(log)]
        _run([*cmd, "-w", "-t", str(timeout)], self.run_as, timeout=timeout + 15)

    def stop(self, timeout: int = 30) -> None:
        if self.external or self.data_dir is None or self.bindir is None:
            return
        cmd = [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"]
        cmd += ["-t", str(timeout)]
        _run(cmd, self.run_as, timeout=timeout + 10, check=False)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        self.data_dir = None


def find_bindir() -> Path:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    # Debian's pg_config (postgresql-common) may point at /usr/bin, which lacks initdb;
    # the versioned dirs are where the server binaries really live (newest first).
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(p) for p in sorted(versioned, key=_version_key, reverse=True)]
    for path in candidates:
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found via `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin. Install Debian's `postgresql` package "
        f"(apt-get install postgresql), or set {ENV_URL} to an existing server."
    )


def start_postgres(
    base_dir: Path,
    port: int | None = None,
    *,
    tls: bool = False,
    settings: Mapping[str, str] | None = None,
) -> PostgresServer:
    """A fresh cluster under base_dir with database ``bulkflow``, or the server in $ENV_URL
    (not with ``tls``: that server is always a fresh one). ``settings`` are further lines of
    its configuration (a fresh cluster only), e.g. ``{"shared_buffers": "512MB"}``."""
    external = os.environ.get(ENV_URL)
    if external and not tls:
        return PostgresServer(url=normalise_url(external))
    bindir = find_bindir()
    run_as = service_user()
    base_dir = Path(base_dir).resolve()
    base_dir.mkdir(parents=True, exist_ok=True)
    scratch: Path | None = None
    unreachable = run_as is not None and not _reachable_by(base_dir, run_as)
    if unreachable or len(str(base_dir)) > 60:
        # Root's pytest tmp dirs are mode 0700, so the postgres user could not enter them.
        scratch = Path(tempfile.mkdtemp(prefix="bulkflow-pg-"))
        os.chmod(scratch, 0o755)
        base_dir = scratch
    data_dir, sock_dir = base_dir / "pgdata", base_dir / "sock"
    sock_dir.mkdir(exist_ok=True)
    if len(str(sock_dir)) > _MAX_SOCKET_DIR:
        raise PostgresUnavailable(f"socket dir path too long: {sock_dir}")
    if run_as is not None:
        chown_to(run_as, base_dir, sock_dir)
    initdb = [str(bindir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust"]
    initdb += ["-E", "UTF8", "--locale=C", "--no-sync"]
    _run(initdb, run_as, timeout=120)
    ca_file = _enable_tls(base_dir, data_dir, run_as) if tls else None
    last_error = ""
    for _attempt in range(3):
        chosen = port or free_port()
        _write_conf(data_dir, chosen, sock_dir, run_as, tls=tls, settings=settings)
        log = base_dir / "postgres.log"
        start = [str(bindir / "pg_ctl"), "start", "-D", str(data_dir), "-l", str(log)]
        start += ["-w", "-t", "30"]
        result = _run(start, run_as, timeout=45, check=False)
        if result.returncode == 0:
            url = f"postgresql+psycopg://postgres@127.0.0.1:{chosen}/{DEFAULT_DB}"
            if ca_file is not None:
                url += f"?sslmode=verify-full&sslrootcert={ca_file}"
            server = PostgresServer(
                url=url,
                data_dir=data_dir,
                bindir=bindir,
                run_as=run_as,
                ca_file=ca_file,
                _scratch=scratch,
            )
            try:
                create_database(with_database(server.url, "postgres"), DEFAULT_DB)
            except Exception:
                server.stop()
                raise
            return server
        last_error = result.stderr + _tail(log)
        if port is not None:
            break
    raise PostgresUnavailable(f"PostgreSQL did not start: {last_error.strip()}")


def normalise_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def with_database(url: str, name: str) -> str:
    """The same server, user and connection parameters; another database."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq conninfo URL (psycopg.connect accepts it)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        # FORCE: a test that forgot to dispose an engine must not leak its database.
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_conf(
    port: int, sock_dir: Path, *, tls: bool = False, settings: Mapping[str, str] | None = None
) -> str:
    """The throw-away server's postgresql.auto.conf; ``settings`` come last (they win)."""
    # Durability is worthless for throwaway test data; these settings make DDL/commits cheap.
    return (
        "listen_addresses = '127.0.0.1'\n"
        f"port = {port}\n"
        f"unix_socket_directories = '{sock_dir}'\n"
        "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        "max_connections = 200\nshared_buffers = 128MB\ntimezone = 'UTC'\n"
        + ("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n" if tls else "")
        + "".join(f"{name} = {value}\n" for name, value in (settings or {}).items())
    )


def _write_conf(
    data_dir: Path,
    port: int,
    sock_dir: Path,
    run_as: str | None,
    *,
    tls: bool = False,
    settings: Mapping[str, str] | None = None,
) -> None:
    conf = data_dir / "postgresql.auto.conf"
    conf.write_text(server_conf(port, sock_dir, tls=tls, settings=settings))
    if run_as is not None:
        chown_to(run_as, conf)


# TLS only over TCP: no plain ``host`` line, so a client without TLS is refused.
_TLS_HBA = (
    "local all all trust\n"
    "hostssl all postgres 127.0.0.1/32 trust\n"
    "hostssl all all 127.0.0.1/32 scram-sha-256\n"
)


def _enable_tls(base_dir: Path, data_dir: Path, run_as: str | None) -> Path:
    """The server's certificate and key in its data folder (owner-only, the server's own),
    a TLS-only pg_hba.conf; returns the CA file clients verify the server with."""
    from ops.devservers.certs import ensure_ca, issue_cert

    folder = base_dir / "tls"
    ca = ensure_ca(folder, "bulkflow throw-away PostgreSQL CA")
    pair = issue_cert(folder, "postgres-server", ca=ca)
    for source, name in ((pair.cert, "server.crt"), (pair.key, "server.key")):
        target = data_dir / name
        shutil.copyfile(source, target)
        os.chmod(target, 0o600)  # PostgreSQL refuses a key others may read
    (data_dir / "pg_hba.conf").write_text(_TLS_HBA)
    if run_as is not None:
        chown_to(run_as, data_dir / "server.crt", data_dir / "server.key", data_dir / "pg_hba.conf")
    return ca.cert


def service_user() -> str | None:
    """initdb refuses to run as root: pick (or create) an unprivileged account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "bulkflow-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "bulkflow-pg"], check=True)
    return "bulkflow-pg"


def _reachable_by(path: Path, user: str) -> bool:
    probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(path)], check=False)
    return probe.returncode == 0


def chown_to(user: str, *paths: Path) -> None:
    entry = pwd.getpwnam(user)
    for path in paths:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(
    cmd: list[str], run_as: str | None, *, timeout: float, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if run_as is not None:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise PostgresUnavailable(f"{' '.join(cmd)} failed: {result.stderr.strip()}")
    return result


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(p) for p in version.split(".") if p.isdigit())
