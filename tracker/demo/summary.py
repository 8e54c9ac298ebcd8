"""The demo's summary: latest throughput, engines side by side, the newest change points and
alerts, read through the same reads as the API, and one alert and one digest as the log holds
them. Tables fit 80 columns: nothing is cut (long cells wrap), and configs are labelled as the
dashboard and Slack label them (`alerts.messages.dimensions`), topology included."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.messages import dimensions
from alerts.reads import list_alerts
from tracker import models
from tracker.demo.delivery_log import DeliveryLog, LoggedMessage
from tracker.reads.changes import list_changes
from tracker.reads.compare import compare
from tracker.reads.series import SeriesItem, list_series
from tracker.vocabulary import (
    AlertKind,
    AlertState,
    ChangeDirection,
    ChangeState,
    Metric,
    SubmissionStatus,
)

SUMMARY_TARGETS = ("35", "125")
COMPARE_INTERACTIVITY = 35.0
RECENT_CHANGES = 12
RECENT_ALERTS = 10
LOGGED_LINES = 14
"""Lines shown of each logged message (a digest or a long thread runs to dozens)."""


@dataclass(frozen=True)
class IngestFigures:
    submissions: int
    rows: int
    seconds: float


def _table(title: str) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )


def _config(config: Mapping[str, Any]) -> str:
    """ "dsr1 FP8 8k/1k"."""
    return (
        f"{dimensions.model(config)} {dimensions.precision(config)} "
        f"{dimensions.sequence_lengths(config)}"
    )


def _topology(config: Mapping[str, Any]) -> str:
    """ "disagg 8P+16D wide-EP MTP", "TP8 EP8 DPA"."""
    spec = dimensions.spec_method(config)
    parallelism = dimensions.parallelism(config)
    return parallelism if spec == "none" else f"{parallelism} {spec}"


def _all_series(session: Session) -> list[SeriesItem]:
    items, cursor = [], None
    while True:
        page = list_series(session=session, filters={}, limit=1000, cursor=cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def _latest_table(series: list[SeriesItem]) -> Table:
    """The best config per engine and GPU: latest tput/GPU at 35 and 125 tok/s/user."""
    best: dict[tuple[str, str], tuple[float, SeriesItem, dict[str, float]]] = {}
    for item in series:
        values = item.latest.values["tput_per_gpu"] if item.latest is not None else {}
        at_35 = values.get("35")
        key = (str(item.config["framework"]), str(item.config["hardware"]))
        if at_35 is not None and (key not in best or at_35 > best[key][0]):
            best[key] = (at_35, item, values)
    table = _table("Latest tok/s/GPU, the best config of each engine × GPU")
    table.add_column("engine", no_wrap=True)
    table.add_column("GPU", no_wrap=True)
    table.add_column("config", overflow="fold")
    table.add_column("topology", overflow="fold")
    for target in SUMMARY_TARGETS:
        table.add_column(f"@{target}", justify="right", no_wrap=True)
    for (engine, _), (_, item, values) in sorted(best.items()):
        table.add_row(
            engine,
            dimensions.hardware(item.config),
            _config(item.config),
            _topology(item.config),
            *(f"{values[t]:,.0f}" if t in values else "—" for t in SUMMARY_TARGETS),
        )
    return table


def _compare_table(session: Session, series: list[SeriesItem]) -> Table | None:
    """Engines side by side on the GPU × model × precision × ISL/OSL that most engines share."""
    engines_by_slice: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for item in series:
        config = item.config
        key = (
            config["hardware"],
            config["model"],
            config["precision"],
            config["isl"],
            config["osl"],
        )
        engines_by_slice[key].add(str(config["framework"]))
    if not engines_by_slice:
        return None
    hardware, model, precision, isl, osl = max(
        engines_by_slice, key=lambda key: (len(engines_by_slice[key]), key)
    )
    filters = {"hardware": hardware, "model": model, "precision": precision, "isl": isl, "osl": osl}
    page = compare(
        session=session,
        filters=filters,
        interactivity=COMPARE_INTERACTIVITY,
        limit=1000,
        cursor=None,
    )
    if not page.items:
        return None
    shared = page.items[0].config
    table = _table(
        f"Engines on {dimensions.hardware(shared)}, {_config(shared)}, "
        f"at {COMPARE_INTERACTIVITY:g} tok/s/user"
    )
    table.add_column("engine", no_wrap=True)
    table.add_column("topology", overflow="fold")
    table.add_column("tok/s/GPU", justify="right", no_wrap=True)
    table.add_column("$/Mtok\nhyperscaler", justify="right", no_wrap=True)
    table.add_column("$/Mtok\nneocloud", justify="right", no_wrap=True)
    ranked = sorted(page.items, key=lambda compared: -(compared.tput_per_gpu or 0))
    for compared in ranked:
        costs = compared.cost_per_mtok
        table.add_row(
            str(compared.config["framework"]),
            _topology(compared.config),
            f"{compared.tput_per_gpu:,.0f}" if compared.tput_per_gpu else "out of range",
            f"{costs['hyperscaler']:.3f}" if costs["hyperscaler"] else "—",
            f"{costs['neocloud']:.3f}" if costs["neocloud"] else "—",
        )
    return table


def _changes_table(session: Session) -> Table:
    """The newest change points at 35 tok/s/user, as detection found them."""
    page = list_changes(
        session=session,
        filters={},
        state=ChangeState.CONFIRMED,
        direction=None,
        metric=Metric.TPUT_PER_GPU,
        interactivity=COMPARE_INTERACTIVITY,
        since=None,
        until=None,
        limit=RECENT_CHANGES,
        cursor=None,
    )
    table = _table(f"Newest change points, tok/s/GPU at {COMPARE_INTERACTIVITY:g} tok/s/user")
    table.add_column("night", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("series", overflow="fold")
    table.add_column("change", justify="right", no_wrap=True)
    table.add_column("commits", no_wrap=True)
    for change in page.items:
        config = change.config
        commits = change.commit_range
        table.add_row(
            change.run_timestamp.strftime("%b %d"),
            str(config["framework"]),
            f"{dimensions.hardware(config)} {_config(config)} {_topology(config)}",
            f"{change.relative_change:+.1%}",
            f"{(commits.from_ or '?')[:7]}…{(commits.to or '?')[:7]}",
        )
    return table


def _alerts_table(session: Session) -> Table:
    page = list_alerts(session=session, state=None, engine=None, limit=RECENT_ALERTS, cursor=None)
    table = _table("Newest alerts, one per engine commit range")
    table.add_column("alert", justify="right", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("changes", justify="right", no_wrap=True)
    table.add_column("slice that moved", overflow="fold")
    for alert in page.items:
        table.add_row(
            f"#{alert.id}",
            alert.engine,
            alert.state,
            f"{alert.regressions}↓ {alert.gains}↑" if alert.kind is AlertKind.STEP else alert.kind,
            alert.summary.split(": ", 1)[-1],  # the engine and commits are in the row already
        )
    return table


def _newest_regression_alert(session: Session) -> int | None:
    return session.execute(
        select(models.Alert.id)
        .where(models.Alert.state == AlertState.UNTRIAGED, models.Alert.kind == AlertKind.STEP)
        .order_by(models.Alert.created_at.desc(), models.Alert.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _print_logged(messages: list[LoggedMessage], console: Console) -> None:
    for message in messages:
        shown = message.lines[:LOGGED_LINES]
        console.print("\n".join(shown), markup=False, highlight=False, soft_wrap=True)
        if len(message.lines) > len(shown):
            console.print(f"  … {len(message.lines) - len(shown)} more lines", style="dim")


def _print_delivery_log(session: Session, delivery_log: DeliveryLog, console: Console) -> None:
    """One alert and the digest as the log holds them: the words Slack would have shown."""
    console.print(
        f"\n[bold]Alerts and digests went to the log[/bold] ({len(delivery_log.messages):,} "
        "messages; TRACKER_SLACK_TOKEN sends them to Slack)."
    )
    alert_id = _newest_regression_alert(session)
    logged_alert = delivery_log.alert(alert_id) if alert_id is not None else []
    if logged_alert:
        console.print(f"\n[bold]The newest regression, alert #{alert_id}, in the log:[/bold]")
        _print_logged(logged_alert, console)
    logged_digest = delivery_log.digest()
    if logged_digest:
        console.print("\n[bold]The digest, in the log:[/bold]")
        _print_logged(logged_digest, console)


def print_summary(
    *,
    session: Session,
    figures: IngestFigures | None,
    delivery_log: DeliveryLog | None,
    console: Console,
) -> None:
    """The summary; ``figures`` and ``delivery_log`` are those of this run, when it ingested."""
    series = _all_series(session)
    sweeps = session.scalar(select(func.count()).select_from(models.Sweep)) or 0
    processed = session.scalar(
        select(func.count())
        .select_from(models.Submission)
        .where(models.Submission.status == SubmissionStatus.PROCESSED)
    )
    ingested = (
        f"this run ingested {figures.submissions:,} submissions ({figures.rows:,} rows) in "
        f"{figures.seconds:.1f} s ({figures.rows / max(figures.seconds, 1e-9):,.0f} rows/s); "
        if figures is not None
        else ""
    )
    console.print(
        f"\n[bold]{len(series)} series[/bold], {sweeps:,} sweeps; {ingested}"
        f"{processed:,} submissions processed.\n"
    )
    detected = dict(
        session.execute(
            select(models.ChangePoint.direction, func.count())
            .where(models.ChangePoint.state == ChangeState.CONFIRMED)
            .group_by(models.ChangePoint.direction)
        ).all()
    )
    alerts = session.scalar(select(func.count()).select_from(models.Alert)) or 0
    console.print(
        f"Change points confirmed: {detected.get(ChangeDirection.REGRESSION, 0)} "
        f"regressions, {detected.get(ChangeDirection.GAIN, 0)} gains (every metric and target "
        f"interactivity), in {alerts} alerts.\n"
    )
    console.print(_latest_table(series))
    compare_table = _compare_table(session, series)
    if compare_table is not None:
        console.print(compare_table)
    console.print(_changes_table(session))
    console.print(_alerts_table(session))
    if delivery_log is not None:
        _print_delivery_log(session, delivery_log, console)
