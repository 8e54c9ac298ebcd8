"""The `tracker` command line (docs/api.md)."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from tracker.clock import utc_now
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker, transaction
from tracker.errors import Conflict
from tracker.runtime.client import (
    ClientSettings,
    ResultFileError,
    SourceOptions,
    answer_lines,
    build_submission,
    get_status,
    parse_components,
    post_submission,
)
from tracker.settings import get_settings
from tracker.tokens import create_token
from tracker.vocabulary import TokenScope

app = typer.Typer(
    help="Frontier Tracker: LLM-inference benchmark regressions.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")

err_console = Console(stderr=True)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DEFAULT_BEAT_SCHEDULE = Path(tempfile.gettempdir()) / "tracker-celerybeat-schedule"


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    url = get_settings().resolved_database_url
    migrations.upgrade(url)
    err_console.print(f"database at revision head ({_redacted(url)})")


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="Who the token is for; recorded as who triaged.")],
    scope: Annotated[TokenScope, typer.Option(help="What the token may do.")] = TokenScope.SUBMIT,
) -> None:
    """Create a token and print it, alone, on stdout (it is shown only this once)."""
    settings = get_settings()
    if settings.is_embedded:
        migrations.upgrade(settings.resolved_database_url)
    factory = make_sessionmaker(create_db_engine(settings.resolved_database_url))
    try:
        with transaction(factory) as session:
            raw_token = create_token(session=session, name=name, scope=scope, now=utc_now())
    except Conflict as error:
        raise _fail(str(error)) from error
    sys.stdout.write(raw_token + "\n")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes (Postgres only).")] = 1,
) -> None:
    """Serve the API (and, on the embedded default, run the periodic jobs in a thread)."""
    from tracker.runtime.server import ServeError, serve_api

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        serve_api(get_settings(), host=host, port=port, workers=workers)
    except ServeError as error:
        raise _fail(str(error), code=2) from error


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 2,
) -> None:
    """Run a Celery worker (needs TRACKER_BROKER_URL)."""
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
    celery_app = _celery_app()
    celery_app.start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])


def _celery_app() -> Any:
    if not get_settings().broker_url:
        raise _fail(
            "TRACKER_BROKER_URL is not set; without a broker, `tracker serve` processes "
            "submissions itself and no worker is needed"
        )
    from workers.celery_app import app as celery_app

    return celery_app


@app.command()
def submit(
    files: Annotated[list[Path], typer.Argument(help="Result files (JSON array/object, .jsonl).")],
    engine: Annotated[str, typer.Option(help="The engine whose CI ran (sglang, vllm, trt…).")],
    timestamp: Annotated[str, typer.Option(help="When it ran: ISO 8601 with a zone.")],
    commit: Annotated[str | None, typer.Option(help="Engine commit.")] = None,
    image: Annotated[str | None, typer.Option(help="Container image.")] = None,
    result_format: Annotated[
        str,
        typer.Option("--format", help="inferencex, benchmark-serving, vllm-bench or sglang-bench."),
    ] = "inferencex",
    config: Annotated[
        Path | None, typer.Option(help="JSON file with config fields (required for raw formats).")
    ] = None,
    run_key: Annotated[str | None, typer.Option(help="Idempotency key of this post.")] = None,
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
    wait: Annotated[bool, typer.Option(help="Wait until the submission is processed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Post result files to the tracker (TRACKER_URL, TRACKER_TOKEN)."""
    if not commit and not image:
        raise _fail("give --commit or --image (or both)", code=2)
    if final and not sweep_key:
        raise _fail(
            "--final completes the run of a --sweep-key: give the run's --sweep-key", code=2
        )
    try:
        run_timestamp = datetime.fromisoformat(timestamp)
    except ValueError as error:
        raise _fail(f"--timestamp {timestamp!r} is not ISO 8601", code=2) from error
    if run_timestamp.tzinfo is None:
        raise _fail("--timestamp needs a time zone, e.g. 2026-11-20T03:00:00Z", code=2)
    try:
        config_fields = json.loads(config.read_text()) if config else None
        body = build_submission(
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
                components=parse_components(component or []),
                sweep_key=sweep_key,
            ),
            result_format=result_format,
            config=config_fields,
            backfill=backfill,
            final=final,
        )
    except (ResultFileError, ValueError, OSError) as error:
        raise _fail(str(error), code=2) from error
    settings = ClientSettings()
    response = post_submission(settings=settings, body=body.body)
    answer = response.json()
    if response.status_code >= 400:
        _print_rejection(response.status_code, answer)
        raise typer.Exit(1)
    if wait:
        answer = _wait_until_processed(settings, answer["status_url"])
    answer["dropped"] = dict(body.dropped + Counter(answer.get("dropped", {})))
    if as_json:
        sys.stdout.write(json.dumps(answer) + "\n")
    else:
        for line in answer_lines(answer):
            err_console.print(line, markup=False)


def _print_rejection(status: int, answer: dict[str, Any]) -> None:
    detail = answer.get("detail")
    if isinstance(detail, list):
        err_console.print(f"[red]rejected ({status}):[/red]")
        for error in detail:
            location = ".".join(str(part) for part in error.get("loc", []))
            err_console.print(f"  {location}: {error.get('msg')}")
    else:
        err_console.print(f"[red]rejected ({status}):[/red] {detail}")


def _wait_until_processed(
    settings: ClientSettings, status_url: str, timeout_s: float = 600
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = get_status(settings=settings, status_url=status_url)
        if status["status"] != "accepted" or time.monotonic() > deadline:
            return status
        time.sleep(1)


@app.command()
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API after the summary.")
    ] = True,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the generated history.")] = 7,
) -> None:
    """Generate six months of nightly InferenceX-like history, ingest it, summarise, serve."""
    from tracker.demo.run import demo_settings, run_demo

    settings = demo_settings(get_settings())
    run_demo(settings, seed=seed)
    if serve_after:
        from tracker.runtime.server import serve_api

        err_console.print(
            f"\nServing the API on http://{host}:{port} (docs at /docs); Ctrl-C stops."
        )
        serve_api(settings, host=host, port=port)
