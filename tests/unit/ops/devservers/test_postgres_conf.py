"""The throw-away PostgreSQL server's configuration: further settings are appended."""

from __future__ import annotations

from pathlib import Path

from ops.devservers.postgres import server_conf


def test_further_settings_follow_the_defaults(tmp_path: Path) -> None:
    lines = server_conf(55210, tmp_path, settings={"max_wal_size": "4GB"}).splitlines()
    assert "port = 55210" in lines and "fsync = off" in lines
    assert lines[-1] == "max_wal_size = 4GB"  # the last of a repeated setting wins


def test_without_settings_the_defaults_alone(tmp_path: Path) -> None:
    text = server_conf(55211, tmp_path, tls=True)
    assert "max_wal_size" not in text and "ssl = on" in text
