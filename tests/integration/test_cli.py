"""The command line as a person uses it, through the real ``bulkflow`` entry point, against
the real API, broker, workers and database."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.devservers.sample_data import write_orders_csv
from ops.supervisor import settings_env
from schemas.settings import Settings
from tests.integration.conftest import served_api
from tests.unit.ops.test_cli_messages import BULKFLOW

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def served(kafka_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """API (on a port only its own settings know), producer, worker, aggregator."""
    settings = kafka_settings.model_copy(update={"api_keys": "acme:key-a,globex:key-b"})
    with served_api(settings, tmp_path / "logs"):
        yield settings


def cli(settings: Settings, *args: str, cwd: Path, key: str = "key-a") -> tuple[int, str, str]:
    """Run `bulkflow ARGS` from a folder outside the repo, with no BULKFLOW_API_URL: the CLI
    must find the API from the address `bulkflow api --port` recorded."""
    import subprocess

    env = settings_env(settings)
    env.pop("BULKFLOW_API_URL", None)
    env["BULKFLOW_API_KEY"] = key
    done = subprocess.run(
        [BULKFLOW, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    return done.returncode, done.stdout, done.stderr


def test_upload_wait_tells_the_whole_story(served: Settings, tmp_path: Path) -> None:
    good = write_orders_csv(tmp_path / "good.csv", 300)
    code, _out, err = cli(served, "upload", str(good), "-d", "orders", "--wait", cwd=tmp_path)
    assert code == 0, err
    assert "completed" in err and "300" in err
    assert "read without a locale: decimal point, dates as YYYY-MM-DD" in err

    bad_rows = write_orders_csv(tmp_path / "some-bad.csv", 400, invalid_every=50)
    upload = ("upload", str(bad_rows), "-d", "orders", "--locale", "en", "--wait")
    code, _out, err = cli(served, *upload, cwd=tmp_path)
    assert code == 3, err
    assert "read as en-US: decimal point, month-first dates (chosen)" in err
    assert "completed with errors: 392 rows saved, 8 rows not saved." in err
    assert "8 rows rejected; the first ones:" in err and "dead-lettered" not in err
    assert "row,column,value,message" in err.replace(" ", "")
    job = err.split("bulkflow errors ")[1].split()[0]

    code, _out, err = cli(served, "errors", job, "-o", "errors.csv", cwd=tmp_path)
    assert code == 0, err
    with (tmp_path / "errors.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8
    assert all(r["message"] for r in rows)
    # "-o -" is standard output, as for other tools, not a file named "-"
    code, out, err = cli(served, "errors", job, "-o", "-", cwd=tmp_path)
    assert code == 0, err
    assert len(list(csv.DictReader(out.splitlines()))) == 8
    assert not (tmp_path / "-").exists()

    # legacy code pages: Cyrillic told from the text, Turkish named by --encoding; the
    # invalid country shows as written in the first errors
    for name, page, city, flags in (
        ("moscow.csv", "cp1251", "Москва", ()),
        ("sisli.csv", "cp1254", "Şişli", ("--encoding", "windows-1254")),
    ):
        rows = f"order_id;customer_email;country;ordered_at\n1;a@example.com;{city};2026-01-01\n"
        (tmp_path / name).write_bytes((rows + "2;b@example.com;DE;2026-01-02\n").encode(page))
        upload = ("upload", name, "-d", "orders", *flags, "--wait")
        code, _out, err = cli(served, *upload, cwd=tmp_path)
        assert code == 3, err
        assert f"2,country,{city}," in err.replace(" ", ""), err
    assert "text in Windows-1254 (Turkish)" in err
    code, _out, err = cli(served, "upload", name, "-d", "orders", "--encoding", "x", cwd=tmp_path)
    assert code != 0 and "unknown text encoding 'x'" in err, err

    broken = tmp_path / "broken.csv"
    broken.write_text("order_id,country\n1,DE\n", encoding="utf-8")
    code, _out, err = cli(served, "upload", str(broken), "-d", "orders", "--wait", cwd=tmp_path)
    assert code == 2, err
    assert "failed:" in err and "customer_email" in err


def test_a_bad_key_is_one_line_with_the_fix(served: Settings, tmp_path: Path) -> None:
    code, _out, err = cli(served, "status", "some-job", cwd=tmp_path, key="wrong")
    assert code == 1
    assert "Traceback" not in err
    assert "refused the key (401)" in err and "BULKFLOW_API_KEY" in err
