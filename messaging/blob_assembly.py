"""Put an uploaded file back together from its ``uploads-blobs`` parts, checking as it goes.

Pure: the parts come in as (job id, part number, bytes) in the partition's order and go out
to a binary sink; nothing here talks to Kafka or names a file (upload_blobs.py does). A
file that cannot be rebuilt exactly raises ``UploadBlobError`` with a reason for a person,
which fails its job.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from schemas.errors import BulkflowError
from schemas.records import UploadBlob


class UploadBlobError(BulkflowError):
    """The uploaded file is missing or damaged in the shared store: its job cannot run."""


class BlobAssembler:
    """Writes one job's parts to ``sink`` in order; ``finish`` says whether it is whole."""

    def __init__(self, job_id: str, blob: UploadBlob, sink: BinaryIO) -> None:
        self.job_id = job_id
        self.blob = blob
        self.sink = sink
        self.next_part = 0
        self.size = 0
        self._hash = hashlib.sha256()

    @property
    def complete(self) -> bool:
        return self.next_part >= self.blob.parts

    def add(self, job_id: str, part_no: int, data: bytes) -> None:
        """Take the next record of the partition: other jobs' parts are skipped, a part seen
        before (a redelivery) is skipped, a part after a gap means the gap is lost."""
        if job_id != self.job_id or part_no < self.next_part:
            return
        if part_no > self.next_part:
            raise UploadBlobError(
                f"the uploaded file is incomplete in Kafka: part {self.next_part} of "
                f"{self.blob.parts} is missing; please upload it again"
            )
        self.sink.write(data)
        self._hash.update(data)
        self.size += len(data)
        self.next_part += 1

    def finish(self) -> None:
        """Raise unless every part came and the bytes are the file the API received."""
        if not self.complete:
            raise UploadBlobError(
                f"the uploaded file is gone from Kafka (got {self.next_part} of "
                f"{self.blob.parts} parts; it may have outlived the topic's retention); "
                "please upload it again"
            )
        if self.size != self.blob.size_bytes or self._hash.hexdigest() != self.blob.sha256:
            raise UploadBlobError(
                "the uploaded file is damaged: its bytes do not match the checksum taken at "
                "upload; please upload it again"
            )
