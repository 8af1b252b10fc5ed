"""A dataset change that would lose data stops a worker at its start, with what to do; the
command `bulkflow datasets migrate` applies what is safe and says the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from database.engine import make_engine
from database.migrations import migrate_datasets
from schemas.dataset import DatasetRegistry
from schemas.errors import CONFIG_EXIT_CODE
from schemas.settings import packaged_datasets_dir

BULKFLOW = str(Path(sys.executable).with_name("bulkflow"))


def datasets_with(tmp_path: Path, folder: str, amount_type: str, extra: bool = False) -> Path:
    spec = yaml.safe_load((packaged_datasets_dir() / "orders.yaml").read_text())
    for column in spec["columns"]:
        if column["name"] == "amount":
            column["type"] = amount_type
            if amount_type != "decimal":
                column.pop("scale", None)
    if extra:
        spec["columns"].append({"name": "channel", "type": "string"})
    target = tmp_path / folder
    target.mkdir()
    (target / "orders.yaml").write_text(yaml.safe_dump(spec))
    return target


def bulkflow(
    tmp_path: Path, db: Path, datasets: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BULKFLOW_HOME": str(tmp_path / "home"),
        "BULKFLOW_DATABASE_URL": f"sqlite:///{db}",
        "BULKFLOW_DATASETS_DIR": str(datasets),
        "BULKFLOW_KAFKA_BOOTSTRAP": "127.0.0.1:9",  # never reached: the start stops first
    }
    return subprocess.run(
        [BULKFLOW, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


def test_an_added_column_migrates_and_a_retyped_one_stops_the_worker(tmp_path: Path) -> None:
    db = tmp_path / "bulkflow.sqlite"
    first = datasets_with(tmp_path, "v1", "decimal")
    assert migrate_datasets(make_engine(f"sqlite:///{db}"), DatasetRegistry(first)) == ["orders"]

    grown = datasets_with(tmp_path, "v2", "decimal", extra=True)
    done = bulkflow(tmp_path, db, grown, "datasets", "migrate")
    assert done.returncode == 0, done.stderr
    assert "1 dataset tables up to date: orders" in done.stderr

    retyped = datasets_with(tmp_path, "v3", "integer", extra=True)
    # the worker stops as on any configuration error, which its supervisor does not restart
    for args, code in (
        (["datasets", "migrate"], 1),
        (["worker", "--loglevel", "warning"], CONFIG_EXIT_CODE),
    ):
        done = bulkflow(tmp_path, db, retyped, *args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert "'amount'" in done.stderr and "would lose data" in done.stderr, done.stderr
