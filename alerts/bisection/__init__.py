"""Bisection: an alert's commit range searched for its culprit by benchmark runs at commits
inside it, asked of the engine's CI (docs/alerts.md#bisection). `search` (which commit next,
pure), `evidence` (how a run reads against the levels around the change, pure), `start` (a
bisection begun or stopped), `advance` (listing, dispatching, judging, concluding)."""
