"""The part of a commit range that still holds the culprit, and the commit to test next."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.vocabulary import Verdict


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
