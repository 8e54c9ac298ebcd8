"""``/submissions/{id}``: a candidate's verdict as a table, and per series the candidate's front
over the front of the baseline's newest run."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from alerts.messages.dimensions import series_label
from alerts.messages.verdict import COLUMNS, VERDICT_WORDS, verdict_heading, verdict_rows
from tracker.api.dashboard.access import page_router
from tracker.api.dashboard.rendering import render
from tracker.api.dashboard.sweep import chart_sweep
from tracker.api.deps import RowId, SessionDep, SettingsDep
from tracker.errors import Conflict
from tracker.reads.sweeps import get_sweep
from tracker.reads.verdicts import VerdictOptions, candidate_sweeps, submission_verdict

router = page_router()


@router.get("/submissions/{submission_id}", name="submission")
def submission_page(
    submission_id: RowId, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    try:
        verdict = submission_verdict(
            session=session,
            submission_id=submission_id,
            options=VerdictOptions.from_settings(settings),
        )
    except Conflict as waiting:
        return render(
            request,
            "submission.html",
            {"active": "", "submission_id": submission_id, "waiting": str(waiting)},
        )
    answer = asdict(verdict)
    own_sweeps = candidate_sweeps(session=session, submission_id=submission_id)
    fronts: list[dict[str, Any]] = []
    for item in verdict.items:  # one front per series, in the verdict's order (worst first)
        if item.series_id in {front["id"] for front in fronts}:
            continue
        current = own_sweeps.get(item.series_id)
        if current is None:
            continue
        baseline = item.baseline.sweep_id
        fronts.append(
            {
                "id": item.series_id,
                "label": series_label(item.config),
                "current": chart_sweep(get_sweep(session=session, sweep_id=current)),
                "earlier": None
                if baseline is None
                else chart_sweep(get_sweep(session=session, sweep_id=baseline)),
            }
        )
    return render(
        request,
        "submission.html",
        {
            "active": "",
            "submission_id": submission_id,
            "waiting": None,
            "verdict": verdict,
            "heading": verdict_heading(answer),
            "title": VERDICT_WORDS[verdict.verdict],
            "columns": COLUMNS,
            "rows": list(zip(verdict_rows(answer["items"]), verdict.items, strict=True)),
            "fronts": fronts,
            "data": {"series": fronts},
        },
    )
