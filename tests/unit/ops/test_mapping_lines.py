"""What `bulkflow upload --wait` prints for a job paused for a person's mapping: the file's
columns, the suggestions, and a command to go on that names every required column; and, once
it ends, the file's columns no dataset column read."""

from __future__ import annotations

from ops.progress_ui import mapping_lines, outcome_lines
from producer.mapping_preview import build_preview
from producer.readers.base import HeaderNotFound
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir
from tests.unit.ops.test_dead_letter_views import status_of

ROWS = [
    (1, ["Nº de pedido", "Correo", "Fecha"]),
    (2, ["1001", "ana@ejemplo.es", "02/12/2026 10:30"]),
]


def test_a_required_column_without_a_suggestion_is_named_in_the_command_to_fill_in() -> None:
    orders = DatasetRegistry(packaged_datasets_dir()).get("orders")
    preview = build_preview(HeaderNotFound("no header row maps order_id", rows=ROWS), orders)
    status = status_of("needs_mapping", 0, 0, []).model_copy(update={"mapping_preview": preview})
    lines = mapping_lines(status)
    assert lines[3:] == [
        '  suggested: --map "Correo=customer_email" --map "Fecha=ordered_at"',
        "  required, no column suggested: order_id: name the file's column for each",
        'go on with: bulkflow map j1 --map "Correo=customer_email" --map "Fecha=ordered_at" '
        '--map "FILE COLUMN=order_id" --wait',
    ]


def test_the_files_columns_left_out_are_named_when_the_job_ends() -> None:
    done = status_of("completed", 20, 0, []).model_copy(
        update={"unknown_columns": ["Importe", "Cantidad"]}
    )
    left_out = "the file's columns no dataset column reads, left out: Importe, Cantidad"
    assert outcome_lines(None, done) == [left_out]  # type: ignore[arg-type]
    failed = done.model_copy(update={"state": "failed", "error": "broken"})
    assert left_out not in outcome_lines(None, failed)  # type: ignore[arg-type]
    assert outcome_lines(None, done.model_copy(update={"unknown_columns": []})) == []  # type: ignore[arg-type]
