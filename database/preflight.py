"""At a process's start: can this database URL work, and are the tables current?

A connection failure that a setting causes is said in one line that names the setting.
libpq refuses a wrong CA, a certificate for another host, a plain connection to a TLS-only
server or a wrong password the same way it reports a server that is not up yet: an
OperationalError without an SQLSTATE. Retrying the first kind never helps, so a process
that meets it at start stops with one line naming what to change in
``BULKFLOW_DATABASE_URL``; anything else is left to the caller's retries. The lines name the
user, host and connection parameters, never the password.
"""

from __future__ import annotations

import re

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from database.engine import make_engine
from database.migrations import ensure_schema, migrate_datasets
from database.privileges import RoleKind, missing_privileges, privileges_problem
from schemas.dataset import DatasetRegistry
from schemas.errors import ConfigError

SETTING = "BULKFLOW_DATABASE_URL"


class DatabaseSettingError(ConfigError):
    """BULKFLOW_DATABASE_URL names a server, user or TLS set-up that cannot work."""


def check_database(
    url: str, registry: DatasetRegistry | None = None, kind: RoleKind | None = None
) -> None:
    """Connect once and bring bulkflow's tables (and the registry's dataset tables) up to
    date, or find them current when the role may not change them; then, on PostgreSQL, find
    that the role holds every privilege a process of ``kind`` uses (database/privileges.py).

    Raises DatabaseSettingError when the URL cannot work or the role lacks a privilege,
    SchemaChangeRefused (SchemaNotCurrent among them) when the tables need what this role may
    not do; a server that does not answer yet is left to the process's own retries."""
    engine = make_engine(url)
    try:
        if registry is None:
            ensure_schema(engine)
        else:
            migrate_datasets(engine, registry)
        if kind is not None and engine.dialect.name == "postgresql":
            tables = [d.table_name for d in registry.all()] if registry is not None else []
            with engine.connect() as conn:
                role, missing = missing_privileges(conn, kind, tables)
            problem = privileges_problem(role, kind, missing)
            if problem is not None:
                raise DatabaseSettingError(problem)
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        problem = setting_problem(exc, engine.url)
        if problem is not None:
            raise DatabaseSettingError(problem) from exc
    finally:
        engine.dispose()


def setting_problem(exc: BaseException, url: str | URL) -> str | None:
    """The one-line reason when ``exc`` (raised while connecting to ``url``) is caused by the
    URL itself; None when it may pass (the server is down or restarting, a network fault)."""
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    params = _params(url)
    user, host = params.get("user", "?"), params.get("host", "?")
    ca = params.get("sslrootcert", "~/.postgresql/root.crt")
    mode = params.get("sslmode", "prefer")
    missing_ca = re.search(r'root certificate file "([^"]*)" does not exist', text)
    if missing_ca:
        return f"{SETTING}: sslrootcert {missing_ca.group(1)} does not exist"
    if "certificate verify failed" in text:
        return (
            f"{SETTING}: the server's TLS certificate is not signed by the CA in "
            f"sslrootcert ({ca}); point sslrootcert at the CA that signed it"
        )
    other_host = re.search(r'server certificate for "([^"]*)".* does not match host name', text)
    if other_host:
        return (
            f"{SETTING}: the server's TLS certificate is for {other_host.group(1)!r}, not for "
            f"host {host!r}; connect by a name the certificate holds (sslmode={mode})"
        )
    if "no pg_hba.conf entry" in text:
        tls = "without TLS" if "no encryption" in text else "with TLS"
        return (
            f"{SETTING}: the server refuses user {user!r} {tls} from this host (pg_hba.conf); "
            f"a TLS-only server needs sslmode=verify-full and sslrootcert (now sslmode={mode})"
        )
    if "server does not support SSL" in text:
        return f"{SETTING}: sslmode={mode} asks for TLS and the server at {host} offers none"
    # PostgreSQL says "password authentication failed", PgBouncer "SASL authentication failed"
    if re.search(r"(password|SASL) authentication failed|no password supplied", text):
        return f"{SETTING}: password authentication failed for user {user!r}"
    unknown = re.search(r'(role|database) "([^"]*)" does not exist', text)
    if unknown:
        return f"{SETTING}: {unknown.group(1)} {unknown.group(2)!r} does not exist on {host}"
    no_database = re.search(r"no such database: (\S+)", text)  # PgBouncer's words
    if no_database:
        return f"{SETTING}: database {no_database.group(1)!r} does not exist on {host}"
    if re.search(r"invalid \w+ value|invalid connection option|invalid URI", text):
        return f"{SETTING}: {_after_failed(text)}"
    return None


def _params(url: str | URL) -> dict[str, str]:
    """The URL's user, host and query parameters (the password is left out)."""
    try:
        parsed = make_url(url)
    except Exception:  # a URL SQLAlchemy cannot parse names nothing to show
        return {}
    found = {k: str(v) for k, v in parsed.query.items()}
    found.update({"user": parsed.username or "", "host": parsed.host or "localhost"})
    return found


def _after_failed(text: str) -> str:
    """libpq's own reason, without its "connection ... failed:" preamble."""
    return re.split(r"failed: |connection is bad: ", text)[-1]
