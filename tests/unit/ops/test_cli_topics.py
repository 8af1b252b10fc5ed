"""`bulkflow datasets list`: the datasets an upload may name, each on one line, and the one
line that says why when there are none to list."""

from __future__ import annotations

from pathlib import Path

from tests.unit.ops.test_cli_messages import run_cli


def test_the_datasets_an_upload_may_name_are_listed(tmp_path: Path) -> None:
    folder = tmp_path / "datasets"
    folder.mkdir()
    (folder / "people.yaml").write_text(
        "name: people\nlocale: de-DE\ncolumns:\n  - {name: email, type: email, required: true}\n"
        "  - {name: born, type: date}\n"
    )
    done = run_cli("datasets", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "orders  version 1, 8 columns (3 required), key order_id, locale detected, "
        "results on bulkflow.results.orders (arrow)"
    )
    own = run_cli("datasets", "list", cwd=tmp_path, BULKFLOW_DATASETS_DIR=str(folder))
    assert own.stdout.strip() == (
        "people  version 1, 2 columns (1 required), no key (rows append), locale de-DE, "
        "results on bulkflow.results.people (arrow)"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    none = run_cli("datasets", "list", cwd=tmp_path, BULKFLOW_DATASETS_DIR=str(empty))
    assert none.returncode == 0 and none.stdout.strip() == f"no datasets in {empty}"
