"""A candidate's verdict as a table (regressions first, as the verdict lists its items): one row
per item, in words, for `tracker submit --gate` and the pull request's comment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerts.messages import dimensions, formatting
from alerts.messages.alert import METRIC_LABEL
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
