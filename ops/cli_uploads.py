"""The commands that talk to the HTTP API: ``upload``, ``map``, ``status`` and ``errors``
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
from schemas.column_mapping import parse_mapping_pairs
from schemas.errors import BulkflowError
from schemas.records import UploadStatus
from schemas.settings import get_settings

Fail = Callable[[str], typer.Exit]
EXIT_FAILED, EXIT_WITH_ERRORS, EXIT_WARNING, EXIT_NEEDS_MAPPING = 2, 3, 4, 5
MAP_HELP = (
    'the file\'s column for a dataset column, "File header=dataset_column"; repeat it for '
    "each column the header names otherwise"
)
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


def _mapping(pairs: list[str] | None, fail: Fail) -> dict[str, str] | None:
    try:
        return parse_mapping_pairs(pairs) if pairs else None
    except ValueError as exc:
        raise fail(str(exc)) from exc


def _end(client: ApiClient, console: Console, job_id: str, name: str) -> None:
    """Follow the job, print how it ended, exit with the code that says so."""
    from ops.progress_ui import follow_jobs, outcome_lines, summary_table

    final = follow_jobs(client, {job_id: name}, console)[job_id]
    console.print(summary_table({job_id: final}))
    if final.reading:  # how the text was read: "read as de-DE: ... (detected)"
        console.print(final.reading, markup=False, highlight=False)
    for line in outcome_lines(client, final):
        console.print(line, markup=False, highlight=False)
    code = exit_code(final)
    if code:
        raise typer.Exit(code)


def exit_code(status: UploadStatus) -> int:
    """0 completed, 2 failed, 3 completed with errors, 4 completed with a warning (no data
    rows), 5 paused until its columns are mapped."""
    if status.state == "needs_mapping":
        return EXIT_NEEDS_MAPPING
    if status.state == "failed":
        return EXIT_FAILED
    if status.state == "completed_with_errors":
        return EXIT_WITH_ERRORS
    return EXIT_WARNING if status.warning else 0


def register(app: typer.Typer, console: Console, fail: Fail) -> None:
    @app.command("upload")
    def upload(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
        dataset: str | None = typer.Option(
            None, "--dataset", "-d", help="the dataset's name (a correction: the corrected job's)"
        ),
        wait: bool = typer.Option(
            False, "--wait", help="follow the job to its end with a live progress bar"
        ),
        sheet: str | None = typer.Option(
            None, help="the sheet to read (default: the first that fits)"
        ),
        locale: str | None = typer.Option(
            None,
            help="how the file writes numbers, dates and true/false (de-DE, fr-FR, en-US, ...); "
            "default: the dataset's locale, else detected from the file",
        ),
        encoding: str | None = typer.Option(
            None,
            help="the text encoding of a CSV or JSON Lines file (windows-1251, shift_jis, ...); "
            "default: told from the file",
        ),
        map_: list[str] | None = typer.Option(None, "--map", help=MAP_HELP),
        corrects: str | None = typer.Option(
            None,
            "--corrects",
            help="the job whose invalid rows FILE corrects (CSV or JSON Lines with a row_no "
            "or row column: each row's number in that job's file)",
        ),
        url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL", help=URL_HELP),
        key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY", help=KEY_HELP),
    ) -> None:
        """Upload a file through the API.

        With --wait, the exit code tells the outcome: 0 completed, 2 failed (the reason is
        printed), 3 completed with errors (the first errors are printed), 4 completed with a
        warning (no data rows), 5 paused until its columns are mapped (`bulkflow map`).
        """
        from schemas.locales import LocaleError, resolve_locale

        if dataset is None and corrects is None:
            raise fail("name the dataset with --dataset (or the job corrected with --corrects)")
        mapping = _mapping(map_, fail)
        try:
            tag = resolve_locale(locale).tag if locale else None
        except LocaleError as exc:
            raise fail(str(exc)) from exc
        with _session(url, key, fail) as client:
            accepted = client.upload(
                file,
                dataset,
                sheet=sheet,
                mapping=mapping,
                corrects=corrects,
                locale=tag,
                encoding=encoding,
            )
            job_id = accepted["job_id"]
            console.print(f"job {job_id} queued on the {accepted['tier']} tier")
            if not wait:
                print(job_id)
                return
            _end(client, console, job_id, file.name)

    @app.command("map")
    def map_columns(
        job: str = typer.Argument(..., help="the job paused in needs_mapping"),
        map_: list[str] = typer.Option(..., "--map", help=MAP_HELP),
        forget: bool = typer.Option(
            False, "--forget", help="do not save the mapping for the next file with this header"
        ),
        wait: bool = typer.Option(False, "--wait", help="follow the job to its end"),
        url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL", help=URL_HELP),
        key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY", help=KEY_HELP),
    ) -> None:
        """Map the columns of a job paused in needs_mapping; it goes on at once. The mapping
        is saved for the tenant and dataset unless --forget."""
        mapping = _mapping(map_, fail) or {}
        with _session(url, key, fail) as client:
            status = client.confirm_mapping(job, mapping, remember=not forget)
            console.print(f"job {job}: mapping confirmed, the file is read again")
            if wait:
                _end(client, console, job, status.filename)

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
            None, "--output", "-o", help="write the CSV to this file; - or none: standard output"
        ),
        url: str | None = typer.Option(None, envvar="BULKFLOW_API_URL", help=URL_HELP),
        key: str | None = typer.Option(None, envvar="BULKFLOW_API_KEY", help=KEY_HELP),
    ) -> None:
        """Write a job's row errors as CSV: row, column, value, message."""
        import sys

        with _session(url, key, fail) as client:
            try:
                if output is None or str(output) == "-":
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
