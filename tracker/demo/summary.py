"""The demo's summary: latest throughput, engines side by side, the newest change points and
alerts, and one alert as Slack shows it, read through the same reads as the API."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.messages.alert import parent_message
from alerts.reads import list_alerts
from alerts.summaries import alert_summary
from tracker import models
from tracker.reads.changes import list_changes
from tracker.reads.compare import compare
from tracker.reads.series import SeriesItem, list_series
from tracker.vocabulary import AlertState, ChangeDirection, ChangeState, Metric, SubmissionStatus

SUMMARY_TARGETS = ("35", "125")
COMPARE_INTERACTIVITY = 35.0
RECENT_CHANGES = 12
RECENT_ALERTS = 10


@dataclass(frozen=True)
class IngestFigures:
    submissions: int
    rows: int
    seconds: float


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
    table = Table(title="Latest throughput per GPU (tok/s/GPU), best config per engine × GPU")
    for column in ("engine", "GPU", "model", "prec", "ISL/OSL", "topology", "@35", "@125"):
        table.add_column(column, justify="right" if column.startswith("@") else "left")
    for (engine, hardware), (_, item, values) in sorted(best.items()):
        config = item.config
        topology = (
            f"disagg {config['num_prefill_gpu']}P+{config['num_decode_gpu']}D"
            if config["disagg"]
            else f"tp{config['tp']}"
            + (f" ep{config['ep']}" if config["ep"] not in (None, 1) else "")
        )
        if config["wide_ep"]:
            topology += " wide-EP"
        if config["spec_method"] != "none":
            topology += f" {config['spec_method']}"
        table.add_row(
            engine,
            hardware,
            str(config["model_prefix"] or config["model"]),
            str(config["precision"]),
            f"{config['isl']}/{config['osl']}",
            topology,
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
    table = Table(
        title=f"Engines on {hardware.upper()}: {model} {precision} {isl}/{osl} "
        f"at {COMPARE_INTERACTIVITY:g} tok/s/user"
    )
    for column in ("engine", "topology", "tok/s/GPU", "$/Mtok hyperscaler", "$/Mtok neocloud"):
        table.add_column(column, justify="left" if column in {"engine", "topology"} else "right")
    ranked = sorted(page.items, key=lambda compared: -(compared.tput_per_gpu or 0))
    for compared in ranked:
        config = compared.config
        topology = "disagg" if config["disagg"] else f"tp{config['tp']}"
        if config["spec_method"] != "none":
            topology += f" {config['spec_method']}"
        costs = compared.cost_per_mtok
        table.add_row(
            str(config["framework"]),
            topology,
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
    table = Table(title=f"Newest change points (tput/GPU at {COMPARE_INTERACTIVITY:g} tok/s/user)")
    for column in ("night", "engine", "GPU", "series", "change", "before → after", "commits"):
        table.add_column(column, justify="right" if column == "change" else "left")
    for change in page.items:
        config = change.config
        commits = change.commit_range
        table.add_row(
            change.run_timestamp.strftime("%Y-%m-%d"),
            str(config["framework"]),
            str(config["hardware"]),
            f"{config['model_prefix'] or config['model']} {config['precision']} "
            f"{config['isl']}/{config['osl']}",
            f"{change.relative_change:+.1%}",
            f"{change.before:,.0f} → {change.after:,.0f}",
            f"{(commits.from_ or '?')[:7]}…{(commits.to or '?')[:7]}",
        )
    return table


def _alerts_table(session: Session) -> Table:
    page = list_alerts(session=session, state=None, engine=None, limit=RECENT_ALERTS, cursor=None)
    table = Table(title="Newest alerts (one per engine commit range)")
    for column in ("alert", "engine", "state", "changes", "slice that moved"):
        table.add_column(column, justify="right" if column in {"alert", "changes"} else "left")
    for alert in page.items:
        table.add_row(
            f"#{alert.id}",
            alert.engine,
            alert.state,
            f"{alert.regressions}↓ {alert.gains}↑",
            alert.summary,
        )
    return table


def _newest_regression_as_slack_shows_it(session: Session) -> str | None:
    alert = session.execute(
        select(models.Alert)
        .where(models.Alert.state == AlertState.UNTRIAGED)
        .order_by(models.Alert.created_at.desc(), models.Alert.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if alert is None:
        return None
    return parent_message(alert_summary(session=session, alert=alert, public_url=None))["text"]


def print_summary(*, session: Session, figures: IngestFigures, console: Console) -> None:
    series = _all_series(session)
    sweeps = session.scalar(select(func.count()).select_from(models.Sweep)) or 0
    processed = session.scalar(
        select(func.count())
        .select_from(models.Submission)
        .where(models.Submission.status == SubmissionStatus.PROCESSED)
    )
    console.print(
        f"\n[bold]{len(series)} series[/bold], {sweeps:,} sweeps; this run ingested "
        f"{figures.submissions:,} submissions ({figures.rows:,} rows) in {figures.seconds:.1f} s "
        f"({figures.rows / max(figures.seconds, 1e-9):,.0f} rows/s); {processed:,} processed.\n"
    )
    detected = dict(
        session.execute(
            select(models.ChangePoint.direction, func.count())
            .where(models.ChangePoint.state == ChangeState.CONFIRMED)
            .group_by(models.ChangePoint.direction)
        ).all()
    )
    console.print(
        f"Change points confirmed: {detected.get(ChangeDirection.REGRESSION, 0)} "
        f"regressions, {detected.get(ChangeDirection.GAIN, 0)} gains "
        "(every metric and target interactivity).\n"
    )
    console.print(_latest_table(series))
    compare_table = _compare_table(session, series)
    if compare_table is not None:
        console.print(compare_table)
    console.print(_changes_table(session))
    console.print(_alerts_table(session))
    slack_text = _newest_regression_as_slack_shows_it(session)
    if slack_text is not None:
        console.print("\n[bold]The newest regression alert, as Slack shows it:[/bold]")
        console.print(slack_text, markup=False, highlight=False)
