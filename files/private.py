"""Tenants' data on disk is owner-only: the spool folder (0700), the files in it and the
SQLite database (0600), whatever the process umask is (commonly 022, which made them
world-readable)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``mkdir -p path``, the folder itself owner-only (its parents are left as they are)."""
    path.mkdir(parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing, truncated; a file it creates is owner-only from the start
    (never readable by others, not even between its creation and a chmod)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    return os.fdopen(fd, "wb")


def write_private_text(path: Path, text: str) -> None:
    with open_private(path) as f:
        f.write(text.encode())


def touch_private(path: Path) -> None:
    """Create ``path`` empty and owner-only unless it exists (SQLite takes an empty file as
    a new database, and gives its -wal and -shm files the database file's mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
