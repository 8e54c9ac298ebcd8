"""The part of a commit range that still holds the culprit, the commit to test next, and what
follows a judged run (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.vocabulary import BisectionState, Verdict


@dataclass(frozen=True)
class SearchRange:
    """The culprit is among commits (good, bad] of the range (indices into its commits, oldest
    first; good = -1 is the range's base, which is known to be before the change)."""

    good: int
    bad: int

    @property
    def remaining(self) -> int:
        """Commits that may still be the culprit."""
        return self.bad - self.good

    def next_commit(self) -> int | None:
        """The commit halving the range, or None when one commit remains."""
        if self.remaining <= 1:
            return None
        return (self.good + self.bad) // 2

    def judged(self, index: int, verdict: Verdict) -> SearchRange:
        """The range after commit ``index`` read as before or after the change."""
        if not self.good < index < self.bad:
            raise ValueError(f"commit {index} is outside ({self.good}, {self.bad}]")
        if verdict is Verdict.BEFORE:
            return SearchRange(good=index, bad=self.bad)
        if verdict is Verdict.AFTER:
            return SearchRange(good=self.good, bad=index)
        return self


@dataclass(frozen=True)
class Decision:
    """What follows a judged run: the search's range, then one more run (at `ask`, a rerun or
    not) or the end (`conclusion`, with its reason)."""

    search: SearchRange
    ask: int | None = None
    rerun: bool = False
    conclusion: BisectionState | None = None
    reason: str | None = None


BUDGET_SPENT = "the budget of runs is spent"


def decide(
    search: SearchRange,
    index: int,
    verdict: Verdict,
    *,
    was_rerun: bool,
    runs_used: int,
    max_runs: int,
) -> Decision:
    """The next step after the run at commit ``index`` read as ``verdict`` (for a rerun, both
    runs' evidence together). An unclear first run is run once more; an unclear rerun, or a
    spent budget, ends the search narrowed; one commit left is the culprit."""
    if verdict is Verdict.INCONCLUSIVE:
        if was_rerun:
            return Decision(
                search, conclusion=BisectionState.NARROWED, reason="two runs could not decide"
            )
        if runs_used < max_runs:
            return Decision(search, ask=index, rerun=True)
        return Decision(search, conclusion=BisectionState.NARROWED, reason=BUDGET_SPENT)
    search = search.judged(index, verdict)
    if search.remaining == 1:
        return Decision(search, conclusion=BisectionState.FOUND)
    if runs_used >= max_runs:
        return Decision(search, conclusion=BisectionState.NARROWED, reason=BUDGET_SPENT)
    return Decision(search, ask=search.next_commit())
