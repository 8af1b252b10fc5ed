"""The spool: the folder where uploaded files wait to be parsed, and every file name in it.

Each upload is one file, named by its job id and the client's extension, with side files
beside it named after it: the copy of its upload record (for replay) and the job's chunk
plan (so a re-parse after a crash gives the same chunks). Nothing else builds these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from files.private import private_dir
from schemas.settings import Settings

UPLOAD_RECORD_SUFFIX = ".upload.json"
CHUNK_PLAN_SUFFIX = ".plan.json"
SIDE_FILE_SUFFIXES = (UPLOAD_RECORD_SUFFIX, CHUNK_PLAN_SUFFIX)
# the client's extension is kept for people looking at the folder; a long one says nothing
MAX_EXTENSION_CHARS = 10


@dataclass(frozen=True)
class Spool:
    folder: Path

    @classmethod
    def of(cls, settings: Settings) -> Spool:
        return cls(settings.spool_path)

    def upload_path(self, job_id: str, filename: str) -> Path:
        """Where a job's uploaded file goes: its job id and the last extension of the
        client's file name. Creates the folder, owner-only (tenants' files)."""
        private_dir(self.folder)
        suffix = "".join(Path(filename).suffixes[-1:])[:MAX_EXTENSION_CHARS]
        return self.folder / f"{job_id}{suffix}"

    def find_upload_record(self, job_id: str) -> Path | None:
        """The upload record copy of a job, None when the spool has none."""
        matches = sorted(self.folder.glob(f"{job_id}*{UPLOAD_RECORD_SUFFIX}"))
        return matches[0] if matches else None

    # The side files sit beside the upload file wherever its record says it is, which is
    # this folder when it was spooled through this settings' spool.

    @staticmethod
    def upload_record_path(upload_file: Path | str) -> Path:
        return Path(f"{upload_file}{UPLOAD_RECORD_SUFFIX}")

    @staticmethod
    def chunk_plan_path(upload_file: Path | str) -> Path:
        return Path(f"{upload_file}{CHUNK_PLAN_SUFFIX}")

    @staticmethod
    def discard(upload_file: Path | str) -> None:
        """Remove an upload that will not be processed, with its side files."""
        Path(upload_file).unlink(missing_ok=True)
        for suffix in SIDE_FILE_SUFFIXES:
            Path(f"{upload_file}{suffix}").unlink(missing_ok=True)
