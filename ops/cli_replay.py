"""The operator commands that send records again: ``replay``, ``reparse`` and ``dlq``.

Thin: each parses its options and calls ops/replay.py, ops/reparse.py or ops/dlq.py. A
refusal (unknown job, dataset or tenant) exits non-zero before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.text import Text

from messaging.preflight import check_kafka
from schemas.errors import BulkflowError
from schemas.settings import get_settings

Fail = Callable[[str], typer.Exit]
JOB_HELP = "a job id (repeatable)"


def register(app: typer.Typer, console: Console, fail: Fail) -> None:
    dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: chunks that failed for good.")
    app.add_typer(dlq_app, name="dlq")

    @app.command("replay")
    def replay(
        job: list[str] = typer.Option([], "--job", help=JOB_HELP),
        dataset: str | None = typer.Option(None, "--dataset"),
        tenant: str | None = typer.Option(None, "--tenant"),
        since: str | None = typer.Option(None, help="ISO 8601 time or an age (36h, 7d)"),
        until: str | None = typer.Option(None, help="ISO 8601 time or an age"),
        to: str = typer.Option("db", "--to", help="db | results | both"),
        dry_run: bool = typer.Option(False, "--dry-run", help="list what would be replayed"),
    ) -> None:
        """Replay chunk records from chunks.<tier> through the worker path.

        --to db writes the chunks the database lacks (after a restore); --to results
        re-emits result records with a replay_id header; a job's status never moves back.
        """
        from ops.replay import plan_replay, run_replay
        from ops.replay_plan import TARGETS, Selection, parse_time

        if to not in TARGETS:
            raise typer.BadParameter(f"--to is one of {', '.join(TARGETS)}; got {to!r}")
        now = datetime.now(UTC)
        try:
            selection = Selection(
                jobs=tuple(job),
                dataset=dataset,
                tenant=tenant,
                since=parse_time(since, now) if since else None,
                until=parse_time(until, now) if until else None,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        settings = get_settings()
        try:
            check_kafka(settings, "operator")
            report = plan_replay(settings, selection, to)
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        plan = report.plan
        for j in plan.jobs:
            console.print(
                f"job {j.job_id} ({j.tenant}, {j.dataset}): {j.chunks} chunks, "
                f"{j.rows} rows, {j.to_write} missing from the database"
            )
        for note in report.notes:
            console.print(f"[yellow]not replayable:[/] {note}", highlight=False)
        head = f"{len(plan.jobs)} jobs, {len(plan.chunks)} chunks, {plan.rows} rows"
        if dry_run:
            console.print(f"dry run, nothing sent: would replay {head} to {to}")
            return
        from rich.progress import Progress

        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"replay {report.replay_id}", total=len(plan.chunks))
            run_replay(settings, report, lambda _ref, _what: bar.advance(task))
        for ref in report.expired:
            console.print(
                f"[yellow]gone before it was replayed:[/] job {ref.job_id} chunk {ref.chunk_no}"
                f" ({ref.tier}, partition {ref.partition}, offset {ref.offset}: past retention)",
                highlight=False,
            )
        console.print(
            f"replay {report.replay_id}: {head}; {report.written} written, {report.skipped} "
            f"already in the database, {report.emitted} result records emitted, "
            f"{report.dead_lettered} dead-lettered"
        )

    @app.command("reparse")
    def reparse(
        job: str = typer.Option(..., "--job"),
        tenant: str | None = typer.Option(None),
        wait_s: float = typer.Option(300.0, "--wait-s", help="seconds to wait for the workers"),
    ) -> None:
        """Parse a job's spooled file again and re-publish its chunks (nothing written twice);
        wait for the workers, then announce on events what they re-published and wrote."""
        from ops.reparse import reparse_job

        try:
            check_kafka(get_settings(), "operator")
            report = reparse_job(get_settings(), job, tenant, wait_s)
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        done, total = report.handled, report.outcome.total_chunks
        d = report.delivery
        console.print(
            f"reparse {report.replay_id}: job {job}: {total} chunks re-published, {done} "
            f"handled by the workers; {d.records} result records re-emitted, "
            f"{d.written_chunks} chunks written"
        )
        if done < total:
            raise fail(
                f"{total - done} chunks were not handled within {wait_s:.0f}s; their rows "
                f"carry replay_id {report.replay_id} when the workers get to them"
            )

    @dlq_app.command("list")
    def dlq_list(
        all_letters: bool = typer.Option(False, "--all", help="every letter, resolved too"),
        job: list[str] = typer.Option([], "--job", help=JOB_HELP),
    ) -> None:
        """Outstanding dead letters: job, chunk, tenant, dataset, reason, times, attempts."""
        from ops.dlq import list_dead_letters

        letters = list_dead_letters(get_settings(), include_all=all_letters, job_ids=job)
        for reason in dict.fromkeys(d.reason for d in letters):  # each reason said once
            console.print(Text(reason, style="bold"), highlight=False)
            for d in (d for d in letters if d.reason == reason):
                console.print(
                    f"  job {d.job_id} chunk {d.chunk_no}  {d.tenant}/{d.dataset}  {d.state}  "
                    f"first {d.first_failed_at:%Y-%m-%d %H:%M:%S}  last "
                    f"{d.last_failed_at:%Y-%m-%d %H:%M:%S}  attempts {d.attempts}",
                    highlight=False,
                )
        kind = "dead letters" if all_letters else "outstanding dead letters"
        console.print(f"{len(letters)} {kind}")

    @dlq_app.command("redrive")
    def dlq_redrive(
        job: list[str] = typer.Option([], "--job", help=JOB_HELP),
        reason: str | None = typer.Option(None, help="letters whose reason contains this"),
    ) -> None:
        """Send outstanding dead letters (by job, by reason, or all) back to their topic."""
        from ops.dlq import redrive

        try:
            check_kafka(get_settings(), "operator")
            report = redrive(get_settings(), job_ids=job, reason=reason)
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        for d in report.not_found:
            console.print(
                f"[yellow]gone from the DLQ topic:[/] job {d.job_id} chunk "
                f"{d.chunk_no}; try `bulkflow replay --job {d.job_id}`"
            )
        for d, why in report.undelivered:
            console.print(
                f"[yellow]not delivered, still outstanding:[/] job {d.job_id} chunk "
                f"{d.chunk_no}: {why}",
                highlight=False,
            )
        console.print(f"{len(report.redriven)} dead letters re-driven")
        if report.undelivered:
            raise fail(f"{len(report.undelivered)} dead letters were not delivered; run it again")

    @dlq_app.command("discard")
    def dlq_discard(
        why: str = typer.Option(..., "--why", help="why the letters are given up"),
        job: list[str] = typer.Option([], "--job", help=JOB_HELP),
        chunk: int | None = typer.Option(None, "--chunk"),
        reason: str | None = typer.Option(None, help="letters whose reason contains this"),
    ) -> None:
        """Give outstanding letters up, saying why; they leave the default listing."""
        from ops.dlq import discard

        if not job and reason is None:
            raise fail("name the letters: --job and/or --reason")
        try:
            gone = discard(get_settings(), why, job_ids=job, chunk_no=chunk, reason=reason)
        except BulkflowError as exc:
            raise fail(str(exc)) from exc
        console.print(f"{len(gone)} dead letters discarded")
