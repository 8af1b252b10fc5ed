"""Rebuilding an uploaded file from its uploads-blobs parts: order, checksum, missing parts."""

from __future__ import annotations

import hashlib
import io

import pytest

from messaging.blob_assembly import BlobAssembler, UploadBlobError
from schemas.records import UploadBlob

FILE = b"order_id,quantity\n" + b"".join(f"{i},{i % 7}\n".encode() for i in range(1000))
PARTS = [FILE[i : i + 1000] for i in range(0, len(FILE), 1000)]


def blob_of(data: bytes, parts: int) -> UploadBlob:
    return UploadBlob(
        topic="t.uploads-blobs",
        partition=1,
        first_offset=10,
        last_offset=10 + parts,
        parts=parts,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def assemble(records: list[tuple[str, int, bytes]], blob: UploadBlob | None = None) -> bytes:
    sink = io.BytesIO()
    assembler = BlobAssembler("job1", blob or blob_of(FILE, len(PARTS)), sink)
    for job_id, part_no, data in records:
        assembler.add(job_id, part_no, data)
    assembler.finish()
    return sink.getvalue()


def test_parts_in_order_rebuild_the_file_around_other_jobs_and_redeliveries() -> None:
    records = [("job1", n, data) for n, data in enumerate(PARTS)]
    records.insert(2, ("job2", 0, b"another upload"))  # interleaved on the same partition
    records.insert(4, ("job1", 1, PARTS[1]))  # a redelivered part
    assert assemble(records) == FILE


def test_a_gap_fails_with_the_missing_part_named() -> None:
    records = [("job1", n, data) for n, data in enumerate(PARTS) if n != 3]
    with pytest.raises(UploadBlobError, match=f"part 3 of {len(PARTS)} is missing"):
        assemble(records)


def test_parts_out_of_order_fail() -> None:
    records = [("job1", n, data) for n, data in enumerate(PARTS)]
    records[1], records[2] = records[2], records[1]
    with pytest.raises(UploadBlobError, match=f"part 1 of {len(PARTS)} is missing"):
        assemble(records)


def test_missing_last_parts_say_the_file_is_gone() -> None:
    records = [("job1", n, data) for n, data in enumerate(PARTS[:-2])]
    with pytest.raises(UploadBlobError, match=f"got {len(PARTS) - 2} of {len(PARTS)} parts"):
        assemble(records)


def test_changed_bytes_fail_the_checksum() -> None:
    damaged = [("job1", n, data) for n, data in enumerate(PARTS)]
    damaged[2] = ("job1", 2, PARTS[2].replace(b"1", b"2"))
    with pytest.raises(UploadBlobError, match="do not match the checksum"):
        assemble(damaged)


def test_an_empty_file_has_no_parts() -> None:
    assert assemble([], blob_of(b"", 0)) == b""
