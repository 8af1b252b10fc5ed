"""bulkflow upload --locale: an unknown tag is one line naming what is supported, before any
request is made."""

from __future__ import annotations

from pathlib import Path

from tests.unit.ops.test_cli_messages import run_cli


def test_an_unknown_locale_is_one_line_listing_the_supported_ones(tmp_path: Path) -> None:
    upload = tmp_path / "orders.csv"
    upload.write_text("order_id\n1\n")
    # no API answers on this address: the tag is refused before any request
    done = run_cli(
        "upload", str(upload), "-d", "orders", "--locale", "xx-YY", cwd=tmp_path,
        BULKFLOW_API_URL="http://127.0.0.1:9",
    )  # fmt: skip
    assert done.returncode == 1, done
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("error: unsupported locale 'xx-YY': use one of ")
    assert "de-DE" in lines[0] and "pt-BR" in lines[0]
