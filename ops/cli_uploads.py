"""The commands that talk to the HTTP API: ``upload``, ``status`` and ``errors``
(``status`` without a job reads this machine's spool and the database instead).

Thin: each parses its options and calls ops/client.py; a failure is one line with the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from ops.client import ApiClient, default_api_url
from schemas.errors import BulkflowError
from schemas.settings import get_settings

Fail = Callable[[str], typer.Exit]
EXIT_FAILED, EXIT_WITH_ERRORS = 2, 3
URL_HELP = "API address; default: BULKFLOW_API_URL, else the address `bulkflow serve` uses"
KEY_HELP = "API key; default: BULKFLOW_API_KEY, else the first of BULKFLOW_API_KEYS"


def _client(url: str | None, key: str | None) -> ApiClient:
    settings = get_settings()
    if key is None:
        key = next(iter(settings.api_key_map()), "")
    return ApiClient(url or default_api_url(settings), key)


@contextmanager
def _session(url: str | None, key: str | None, fail: Fail) -> Iterator[ApiClient]:
    """An API client for one command: a bulkflow error ends the command as one line (the
    caller's ``fail``), and the client is closed whatever happens."""
    client = _client(url, key)
    try:
        yield client
    except BulkflowError as exc:
        raise fail(str(exc)) from exc
    finally:
        client.close()


def register(app: typer.Typer, console: Console, fail: Fail) -> None:
    @app.command("upload")
    def upload(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
        dataset: str = typer.Option(..., "--dataset", "-d", help="the dataset's name"),
        wait: bool = typer.Option(
            False, "--wait", help="follow the job to its end with a live progress bar"
        ),
        sheet: str | None = typer.Option(
            None, help="the sheet to read (default: the first that fits)"
        ),
        url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL", help=URL_HELP),
        key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY", help=KEY_HELP),
    ) -> None:
        """Upload a file through the API.

        With --wait, the exit code tells the outcome: 0 completed, 2 failed (the reason is
        printed), 3 completed with errors (the first errors are printed).
        """
        from ops.progress_ui import follow_jobs, outcome_lines, summary_table

        with _session(url, key, fail) as client:
            accepted = client.upload(file, dataset, sheet=sheet)
            job_id = accepted["job_id"]
            console.print(f"job {job_id} queued on the {accepted['tier']} tier")
            if not wait:
                print(job_id)
                return
            final = follow_jobs(client, {job_id: file.name}, console)[job_id]
            console.print(summary_table({job_id: final}))
            for line in outcome_lines(client, final):
                console.print(line, markup=False, highlight=False)
            if final.state == "failed":
                raise typer.Exit(EXIT_FAILED)
            if final.state == "completed_with_errors":
                raise typer.Exit(EXIT_WITH_ERRORS)

    @app.command("status")
    def status(
        job: str | None = typer.Argument(None, help="the job id"),
        url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL", help=URL_HELP),
        key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY", help=KEY_HELP),
    ) -> None:
        """Print a job's status (JSON); without a job, what this machine's spool and the
        database's bookkeeping tables hold."""
        if job is None:
            from ops.cli_housekeeping import size_lines

            try:
                for line in size_lines(get_settings()):
                    console.print(line, markup=False, highlight=False)
            except BulkflowError as exc:
                raise fail(str(exc)) from exc
            return
        with _session(url, key, fail) as client:
            print(client.status(job).model_dump_json(indent=2))

    @app.command("errors")
    def errors(
        job: str = typer.Argument(..., help="the job id"),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="write the CSV to this file (default: standard output)"
        ),
        url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL", help=URL_HELP),
        key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY", help=KEY_HELP),
    ) -> None:
        """Write a job's row errors as CSV: row, column, value, message."""
        import sys

        with _session(url, key, fail) as client:
            try:
                if output is None:
                    for block in client.errors_csv(job):
                        sys.stdout.buffer.write(block)
                    sys.stdout.flush()
                    return
                with output.open("wb") as f:
                    for block in client.errors_csv(job):
                        f.write(block)
            except OSError as exc:
                raise fail(f"cannot write {output}: {exc.strerror}") from exc
            console.print(f"row errors of job {job} written to {output}")
