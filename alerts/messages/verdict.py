"""A candidate's verdict as a table (regressions first, as the verdict lists its items): one row
per item, in words, for `tracker submit --gate`; and the pull request's comment on GitHub
(Markdown, with a hidden marker it is found again by) and its commit status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerts.messages import dimensions, formatting
from alerts.messages.metrics import METRIC_LABEL
from tracker.vocabulary import CandidateVerdict, Metric

VERDICT_WORDS = {
    CandidateVerdict.REGRESSION: "▼ regression",
    CandidateVerdict.IMPROVEMENT: "▲ improvement",
    CandidateVerdict.UNCHANGED: "unchanged",
    CandidateVerdict.INCONCLUSIVE: "? inconclusive",
    CandidateVerdict.NO_BASELINE: "no baseline",
}
COLUMNS = ("series", "target", "baseline → candidate", "change", "interval", "verdict")


@dataclass(frozen=True)
class VerdictRow:
    series: str
    target: str
    values: str
    change: str
    interval: str
    verdict: str

    def cells(self) -> tuple[str, str, str, str, str, str]:
        return (self.series, self.target, self.values, self.change, self.interval, self.verdict)


def verdict_rows(items: Sequence[Mapping[str, Any]]) -> list[VerdictRow]:
    """The rows of the verdict's items (as `GET /api/v1/submissions/{id}/verdict` answers them),
    in their order."""
    return [_row(item) for item in items]


def _row(item: Mapping[str, Any]) -> VerdictRow:
    verdict = CandidateVerdict(item["verdict"])
    baseline = item["baseline"]["value"]
    candidate = formatting.throughput(item["candidate"])
    runs = item.get("candidate_runs", 1)
    if runs > 1:
        candidate = f"{candidate} (×{runs})"
    words = VERDICT_WORDS[verdict]
    if verdict is CandidateVerdict.INCONCLUSIVE:
        repeats = item.get("repeats_needed")
        words += f": {repeats} more runs" if repeats else ": more runs cannot settle it"
    interval = item.get("interval")
    return VerdictRow(
        series=dimensions.series_label(item["config"]),
        target=f"{METRIC_LABEL[Metric(item['metric'])]} @ {item['interactivity']} tok/s/user",
        values=candidate
        if baseline is None
        else f"{formatting.throughput(baseline)} → {candidate}",
        change=""
        if item.get("relative_change") is None
        else formatting.signed_percent(item["relative_change"]),
        interval=""
        if interval is None
        else f"{formatting.signed_percent(interval[0])} … {formatting.signed_percent(interval[1])}",
        verdict=words,
    )


def verdict_heading(verdict: Mapping[str, Any]) -> str:
    """The line above the table: the overall verdict, what it was compared with, and what to do
    when undecided."""
    baseline = verdict["baseline"]
    commit = f" @ {baseline['commit'][:10]}" if baseline.get("commit") else ""
    counts = ", ".join(f"{count} {word}" for word, count in verdict["counts"].items() if count)
    repeats = verdict.get("repeats") or [verdict["submission_id"]]
    combined = f", {len(repeats)} runs combined" if len(repeats) > 1 else ""
    line = (
        f"verdict: {verdict['verdict']} against {baseline['branch']}{commit} "
        f"({counts or 'no item'}{combined})"
    )
    if verdict["verdict"] == CandidateVerdict.INCONCLUSIVE and verdict.get("repeats_needed"):
        line += f"; {verdict['repeats_needed']} more runs of this commit would settle it"
    return line


COMMENT_MARKER = "<!-- frontier-tracker:pull-request-report -->"
"""Hidden in the comment's body: the comment is found again by it, never posted twice."""
COMMENT_ROWS = 60
"""Rows shown in the comment; the rest are counted (the link shows them all)."""
STATUS_CONTEXT = "frontier-tracker"


def comment_markdown(verdict: Mapping[str, Any], *, commit: str | None, link: str | None) -> str:
    """The pull request's comment: the heading, the table (regressions first) and the link."""
    rows = verdict_rows(verdict["items"])
    title = f"### Frontier Tracker: {VERDICT_WORDS[CandidateVerdict(verdict['verdict'])]}"
    lines = [COMMENT_MARKER, title, ""]
    tested = f"`{commit[:10]}`" if commit else "this run"
    lines.append(f"{tested}: {_escape(verdict_heading(verdict))}")
    lines.append("")
    if rows:
        lines.append("| " + " | ".join(COLUMNS) + " |")
        lines.append("|" + " --- |" * len(COLUMNS))
        lines += [
            "| " + " | ".join(_escape(cell) for cell in row.cells()) + " |"
            for row in rows[:COMMENT_ROWS]
        ]
        if len(rows) > COMMENT_ROWS:
            lines.append(f"\n… and {len(rows) - COMMENT_ROWS} more rows.")
    else:
        lines.append("The run has no frontier value to compare.")
    if link:
        lines += ["", f"[The verdict in full]({link})"]
    return "\n".join(lines) + "\n"


def failure_markdown(error: str | None, *, commit: str | None, link: str | None) -> str:
    """The pull request's comment when its candidate could not be processed."""
    tested = f"`{commit[:10]}`" if commit else "This run"
    lines = [
        COMMENT_MARKER,
        "### Frontier Tracker: processing failed",
        "",
        f"{tested} could not be judged: {_escape(error or 'processing failed')}",
    ]
    if link:
        lines += ["", f"[The submission]({link})"]
    return "\n".join(lines) + "\n"


def commit_status(verdict: Mapping[str, Any]) -> tuple[str, str]:
    """(state, description) of the commit status: failure on a regression or an inconclusive
    verdict (as `tracker submit --gate` fails by default), success otherwise."""
    overall = CandidateVerdict(verdict["verdict"])
    state = (
        "failure"
        if overall in (CandidateVerdict.REGRESSION, CandidateVerdict.INCONCLUSIVE)
        else "success"
    )
    counts = ", ".join(f"{count} {word}" for word, count in verdict["counts"].items() if count)
    return state, f"{overall.value}: {counts or 'no item'}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
