"""The `tracker` command line (docs/api.md#the-tracker-command-line).

Each command imports what it needs when it runs: `tracker --help` loads Typer and Rich only, not
SQLAlchemy, SciPy, FastAPI or Celery. Expected failures end in a line or two and an exit code
(`tracker.runtime.failures`), never a traceback.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tracker.runtime.failures import CommandFailure, ExitCode, settings_failure
from tracker.vocabulary import TokenScope

if TYPE_CHECKING:
    from tracker.runtime.client import BuiltSubmission
    from tracker.settings import Settings

app = typer.Typer(
    help="Frontier Tracker: LLM-inference benchmark regressions. New here? `tracker demo`.",
    epilog="Exit status: 0 done; 1 refused (by the tracker or the database); 2 bad options, "
    "settings or files; 3 the tracker or the database could not be reached or used.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")

err_console = Console(stderr=True, highlight=False)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DEFAULT_BEAT_SCHEDULE = Path(tempfile.gettempdir()) / "tracker-celerybeat-schedule"
WAIT_TIMEOUT_S = 600.0
SOURCE_PANEL = "Required: --engine, --timestamp, and --commit or --image (or both)"
GATE_PANEL = "Pull requests: a candidate run and its verdict"
FORMATS_DOCUMENT = "docs/formats.md"
"""The submission body, the row formats and every config field, in the source repository."""


@contextmanager
def _explained_failures() -> Iterator[None]:
    """An expected failure as one or two lines on stderr and its exit code."""
    try:
        yield
    except CommandFailure as failure:
        err_console.print(f"[red]error:[/red] {escape(failure.message)}", soft_wrap=True)
        if failure.hint:
            err_console.print(f"hint: {failure.hint}", markup=False, soft_wrap=True)
        raise typer.Exit(failure.code) from None


def _settings() -> Settings:
    from pydantic import ValidationError

    from tracker.settings import get_settings

    try:
        return get_settings()
    except ValidationError as error:
        raise settings_failure(error) from error


def _upgrade_schema(settings: Settings) -> str:
    """Bring the schema up to date; which database that was, as `_note` says it."""
    from tracker.db import migrations
    from tracker.db.engine import database_label
    from tracker.runtime.failures import database_errors

    url = settings.resolved_database_url
    label = database_label(url)
    created = not Path(label).exists()
    with database_errors(url):
        migrations.upgrade(url)
    if not settings.is_embedded:
        return label
    if created:
        return f"the embedded database {label}, created now (there was none in {Path.cwd()})"
    return f"the embedded database {label}"


def _note(message: str) -> None:
    err_console.print(message, markup=False, soft_wrap=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database (TRACKER_DATABASE_URL, or the embedded
    SQLite file ./.tracker/tracker.db)."""
    with _explained_failures():
        database = _upgrade_schema(_settings())
    _note(f"{database}: schema at revision head")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="Who the token is for; recorded as who triaged.")],
    scope: Annotated[TokenScope, typer.Option(help="What the token may do.")] = TokenScope.SUBMIT,
) -> None:
    """Create a token and print it, alone, on stdout (it is shown only this once). It is stored
    in the configured database; on the embedded default that is ./.tracker/tracker.db in the
    current directory, the one `tracker serve` run from the same directory reads."""
    from tracker.clock import utc_now
    from tracker.db.engine import create_db_engine, database_label, make_sessionmaker, transaction
    from tracker.errors import Conflict
    from tracker.runtime.failures import database_errors
    from tracker.tokens import create_token

    with _explained_failures():
        settings = _settings()
        url = settings.resolved_database_url
        database = _upgrade_schema(settings) if settings.is_embedded else database_label(url)
        factory = make_sessionmaker(create_db_engine(url))
        try:
            with database_errors(url), transaction(factory) as session:
                raw_token = create_token(session=session, name=name, scope=scope, now=utc_now())
        except Conflict as error:
            raise CommandFailure(
                str(error), hint="choose another name", code=ExitCode.REFUSED
            ) from error
    sys.stdout.write(raw_token + "\n")
    where = f"; `tracker serve` run from {Path.cwd()} reads it" if settings.is_embedded else ""
    _note(f"token {name!r} ({scope.value}) stored in {database}{where}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="API processes (Postgres and a broker only).")
    ] = 1,
) -> None:
    """Serve the API and the dashboard (and, without a broker, run the pipeline's delayed and
    periodic stages in a thread)."""
    import logging

    from tracker.runtime.server import ServeError, check_workers, serve_api

    with _explained_failures():
        settings = _settings()
        try:
            check_workers(settings, workers)
        except ServeError as error:
            raise CommandFailure(str(error), code=ExitCode.USAGE) from error
        if settings.is_embedded:
            _note(f"serving {_upgrade_schema(settings)}")
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    serve_api(settings, host=host, port=port, workers=workers)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 2,
) -> None:
    """Run a Celery worker (needs TRACKER_BROKER_URL)."""
    with _explained_failures():
        celery_app = _celery_app()
    celery_app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}"])


@app.command()
def beat(
    schedule: Annotated[
        Path, typer.Option(help="Where beat keeps its last-run times (losing it is harmless).")
    ] = DEFAULT_BEAT_SCHEDULE,
) -> None:
    """Run Celery beat: the periodic stages (fallbacks, outbox retries, digests); needs
    TRACKER_BROKER_URL."""
    with _explained_failures():
        celery_app = _celery_app()
    celery_app.start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])


def _celery_app() -> Any:
    if not _settings().broker_url:
        raise CommandFailure(
            "TRACKER_BROKER_URL is not set",
            hint="without a broker, `tracker serve` processes submissions itself and no worker "
            "or beat is needed",
            code=ExitCode.USAGE,
        )
    from workers.celery_app import app as celery_app

    return celery_app


@app.command()
def submit(
    files: Annotated[
        list[Path], typer.Argument(help="Result files (a JSON array or object, or .jsonl).")
    ],
    engine: Annotated[
        str,
        typer.Option(
            help="The engine whose CI ran (sglang, vllm, trt…).", rich_help_panel=SOURCE_PANEL
        ),
    ],
    timestamp: Annotated[
        str,
        typer.Option(help="When it ran: ISO 8601 with a zone.", rich_help_panel=SOURCE_PANEL),
    ],
    commit: Annotated[
        str | None,
        typer.Option(help="Engine commit (or --image, or both).", rich_help_panel=SOURCE_PANEL),
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(help="Container image (or --commit, or both).", rich_help_panel=SOURCE_PANEL),
    ] = None,
    result_format: Annotated[
        str,
        typer.Option("--format", help="inferencex, benchmark-serving, vllm-bench or sglang-bench."),
    ] = "inferencex",
    config: Annotated[
        Path | None,
        typer.Option(
            help="JSON object of config fields, sent as the body's config (required for raw "
            f'formats; the fields: {FORMATS_DOCUMENT}, "The submission\'s config object").'
        ),
    ] = None,
    run_key: Annotated[
        str | None,
        typer.Option(help="Idempotency key of this run (default: the body's digest)."),
    ] = None,
    sweep_key: Annotated[
        str | None,
        typer.Option(
            help="Shared by the per-job posts of one CI run (e.g. github:REPO:RUN_ID:ATTEMPT): "
            "their rows of one config assemble into one sweep."
        ),
    ] = None,
    final: Annotated[
        bool,
        typer.Option(help="The run of --sweep-key is complete: process its sweeps now."),
    ] = False,
    run_url: Annotated[str | None, typer.Option(help="Link to the CI run.")] = None,
    repo: Annotated[str | None, typer.Option(help="Engine repository URL.")] = None,
    branch: Annotated[str | None, typer.Option(help="Engine branch.")] = None,
    engine_version: Annotated[str | None, typer.Option(help="Engine version.")] = None,
    component: Annotated[
        list[str] | None, typer.Option(help="NAME=VERSION of a component; repeatable.")
    ] = None,
    backfill: Annotated[
        bool,
        typer.Option(help="Part of a history posted at once: detection runs once at the end."),
    ] = False,
    bisect_id: Annotated[
        int | None,
        typer.Option(
            help="A run a bisection asked for (the workflow's bisect_id input): it is judged "
            "against the alert's change and never enters the history."
        ),
    ] = None,
    pull_request: Annotated[
        int | None,
        typer.Option(
            help="The pull request the run tested: a candidate, judged against the tracked "
            "branch and never part of the history.",
            rich_help_panel=GATE_PANEL,
        ),
    ] = None,
    base_commit: Annotated[
        str | None,
        typer.Option(
            help="The candidate's base commit on the tracked branch: judged against the level "
            "as of that commit (default: the current level).",
            rich_help_panel=GATE_PANEL,
        ),
    ] = None,
    gate: Annotated[
        bool,
        typer.Option(
            help="Wait for the candidate's verdict, print it as a table (regressions first) and "
            "exit 1 on a regression, 3 when inconclusive (run again), else 0.",
            rich_help_panel=GATE_PANEL,
        ),
    ] = False,
    fail_on: Annotated[
        str,
        typer.Option(
            help="With --gate: the verdicts that fail it, comma-separated (regression, "
            "inconclusive, no_baseline, unchanged, improvement).",
            rich_help_panel=GATE_PANEL,
        ),
    ] = "regression,inconclusive",
    wait: Annotated[
        bool, typer.Option(help="Wait until the submission is processed (at most 10 minutes).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Post result files to the tracker at TRACKER_URL with TRACKER_TOKEN.

    The body, the row formats and every config field are described in docs/formats.md of the
    source repository. An unreachable tracker, or one answering 502/503/504, is tried again with
    backoff for TRACKER_RETRY_SECONDS (60); the same body and run key answer with the first
    answer, so nothing is stored twice.

    Exit status: 0 stored (and, with --wait, processed); 1 refused by the tracker, or processing
    failed; 2 bad options or files, nothing sent; 3 the tracker could not be reached or was
    unavailable. With --gate: 0 unchanged, improvement or no baseline; 1 a regression; 3
    inconclusive (--fail-on chooses which verdicts fail).
    """
    with _explained_failures():
        fail_on_verdicts = _gate_options(gate, fail_on, pull_request, branch)
        body = _submission_body(
            files=files,
            engine=engine,
            timestamp=timestamp,
            commit=commit,
            image=image,
            result_format=result_format,
            config=config,
            run_key=run_key,
            sweep_key=sweep_key,
            final=final,
            run_url=run_url,
            repo=repo,
            branch=branch,
            engine_version=engine_version,
            components=component or [],
            backfill=backfill,
            bisect_id=bisect_id,
            pull_request=pull_request,
            base_commit=base_commit,
        )
        answer = _post(body.body, wait=wait or gate)
        verdict = _verdict(answer["id"]) if gate else None
    from collections import Counter

    from tracker.runtime.client import answer_lines

    answer["dropped"] = dict(body.dropped + Counter(answer.get("dropped", {})))
    if as_json:
        import json

        sys.stdout.write(json.dumps(answer if verdict is None else verdict) + "\n")
    else:
        for line in answer_lines(answer):
            err_console.print(line, markup=False, soft_wrap=True)
    if verdict is not None:
        from tracker.runtime.client import gate_exit_code

        if not as_json:
            _print_verdict(verdict)
        raise typer.Exit(gate_exit_code(verdict, fail_on_verdicts))


def _gate_options(
    gate: bool, fail_on: str, pull_request: int | None, branch: str | None
) -> tuple[str, ...]:
    """The verdicts that fail `--gate`, or every problem with the gate's options."""
    from tracker.runtime.client import parse_fail_on

    problems = []
    if gate and pull_request is None and branch is None:
        problems.append(
            "--gate judges a candidate: give --pull-request (or the --branch the run built, "
            "when it is not the engine's tracked branch)"
        )
    try:
        verdicts = parse_fail_on(fail_on)
    except ValueError as error:
        problems.append(str(error))
        verdicts = ()
    if problems:
        raise _usage(problems)
    return verdicts


def _verdict(submission_id: int) -> dict[str, Any]:
    from tracker.runtime.client import ClientSettings, get_verdict, tracker_client

    with tracker_client(ClientSettings()) as client:
        return get_verdict(client=client, submission_id=submission_id)


def _print_verdict(verdict: dict[str, Any]) -> None:
    from rich.table import Table

    from alerts.messages.verdict import COLUMNS, verdict_heading, verdict_rows

    table = Table(*COLUMNS, title=verdict_heading(verdict), title_justify="left")
    for row in verdict_rows(verdict["items"]):
        table.add_row(*(escape(cell) for cell in row.cells()))
    Console(highlight=False, width=200).print(table)


def _submission_body(
    *,
    files: list[Path],
    engine: str,
    timestamp: str,
    commit: str | None,
    image: str | None,
    result_format: str,
    config: Path | None,
    run_key: str | None,
    sweep_key: str | None,
    final: bool,
    run_url: str | None,
    repo: str | None,
    branch: str | None,
    engine_version: str | None,
    components: list[str],
    backfill: bool,
    bisect_id: int | None,
    pull_request: int | None = None,
    base_commit: str | None = None,
) -> BuiltSubmission:
    """The body, or every problem with the options at once (nothing is sent)."""
    import json
    from datetime import datetime

    from tracker.runtime.client import (
        ResultFileError,
        SourceOptions,
        build_submission,
        parse_components,
    )

    problems = []
    if not commit and not image:
        problems.append("give --commit or --image (or both): which build ran")
    if final and not sweep_key:
        problems.append("--final completes the run of a --sweep-key: give the run's --sweep-key")
    run_timestamp = None
    try:
        run_timestamp = datetime.fromisoformat(timestamp)
    except ValueError:
        problems.append(f"--timestamp {timestamp!r} is not ISO 8601, e.g. 2026-11-20T03:00:00Z")
    if run_timestamp is not None and run_timestamp.tzinfo is None:
        problems.append("--timestamp needs a time zone, e.g. 2026-11-20T03:00:00Z")
    parsed_components: dict[str, str] = {}
    try:
        parsed_components = parse_components(components)
    except ValueError as error:
        problems.append(str(error))
    config_fields = None
    if config is not None:
        try:
            config_fields = json.loads(config.read_text(encoding="utf-8"))
        except OSError as error:
            problems.append(f"--config {config}: cannot be read ({error.strerror})")
        except ValueError as error:
            problems.append(f"--config {config}: not valid JSON ({error})")
    problems.extend(f"{path}: no such file" for path in files if not path.exists())
    if problems or run_timestamp is None:
        raise _usage(problems)
    try:
        return build_submission(
            files=files,
            source=SourceOptions(
                engine=engine,
                timestamp=run_timestamp,
                commit=commit,
                image=image,
                engine_version=engine_version,
                repo=repo,
                branch=branch,
                run_key=run_key,
                run_url=run_url,
                components=parsed_components,
                sweep_key=sweep_key,
                pull_request=pull_request,
                base_commit=base_commit,
            ),
            result_format=result_format,
            config=config_fields,
            backfill=backfill,
            final=final,
            bisect_id=bisect_id,
        )
    except (ResultFileError, ValueError, OSError) as error:
        raise _usage([str(error)]) from error


def _usage(problems: list[str]) -> CommandFailure:
    listed = "".join(f"\n  {problem}" for problem in problems)
    return CommandFailure(
        problems[0]
        if len(problems) == 1
        else f"{len(problems)} problems, nothing was sent:{listed}",
        hint=f"`tracker submit --help` lists the options; the body and fields: {FORMATS_DOCUMENT}",
        code=ExitCode.USAGE,
    )


def _post(body: dict[str, Any], *, wait: bool) -> dict[str, Any]:
    import time

    from pydantic import ValidationError

    from tracker.runtime.client import (
        ClientSettings,
        get_status,
        post_submission,
        tracker_client,
    )

    try:
        settings = ClientSettings()
    except ValidationError as error:
        raise settings_failure(error) from error
    with tracker_client(settings) as client:
        answer = post_submission(client=client, body=body)
        if not wait:
            return answer
        status_url = answer["status_url"]
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while answer["status"] == "accepted" and time.monotonic() < deadline:
            time.sleep(1)
            answer = get_status(client=client, status_url=status_url)
    if answer["status"] == "failed":
        raise CommandFailure(
            f"submission {answer['id']} failed: {answer.get('error')}", code=ExitCode.REFUSED
        )
    if answer["status"] == "accepted":
        raise CommandFailure(
            f"submission {answer['id']} is still being processed after {WAIT_TIMEOUT_S:.0f} s",
            hint=f"its status: {settings.url.rstrip('/')}/api/v1/submissions/{answer['id']}",
            code=ExitCode.UNAVAILABLE,
        )
    return answer


@app.command()
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API after the summary.")
    ] = True,
    fresh: Annotated[
        bool,
        typer.Option(help="Delete the embedded database first (a rerun does not ingest again)."),
    ] = False,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the generated history.")] = 7,
) -> None:
    """Generate six months of nightly InferenceX-like history, ingest it, summarise, serve.

    On the embedded default it uses ./.tracker/tracker.db; a database that already holds
    submissions (an earlier demo) is summarised, not ingested into again: --fresh starts over.
    """
    from tracker.demo.run import DemoRefused, demo_settings, run_demo
    from tracker.runtime.failures import database_errors

    with _explained_failures():
        settings = demo_settings(_settings())
        try:
            with database_errors(settings.resolved_database_url):
                run_demo(settings, seed=seed, fresh=fresh)
        except DemoRefused as error:
            raise CommandFailure(str(error), code=ExitCode.USAGE) from error
    if serve_after:
        from tracker.runtime.server import serve_api

        _note(f"\nServing the API on http://{host}:{port} (docs at /docs); Ctrl-C stops.")
        serve_api(settings, host=host, port=port)
