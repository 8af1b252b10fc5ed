"""The reason a chunk is dead-lettered, as a person reads it in `dlq list`, the errors CSV
and the job's dead_letters: said once, naming what to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir
from stream_processors.chunk_handler import ChunkHandler
from tests.unit.stream_processors.test_priority_gate import orders_chunk


def test_a_chunk_of_a_dataset_the_worker_does_not_know_names_it_once(tmp_path: Path) -> None:
    known = tmp_path / "datasets"
    known.mkdir()
    shutil.copy(packaged_datasets_dir() / "orders.yaml", known / "orders.yaml")
    headers, payload = orders_chunk(tmp_path, "job-1", 20)
    widgets = [(k, b"widgets" if k == "dataset" else v) for k, v in headers]
    handler = ChunkHandler(f"sqlite:///{tmp_path / 'db.sqlite'}", DatasetRegistry(known))
    try:
        output = handler.handle(widgets, payload, persist=False)
    finally:
        handler.engine.dispose()
    assert output.dead_letter_reason == "unknown dataset 'widgets' (known: orders)"
    assert (output.chunk_result.rows_ok, output.chunk_result.rows_failed) == (0, 20)
