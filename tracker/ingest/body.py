"""The body of ``POST /api/v1/submissions`` as validated on arrival
(docs/api.md#post-apiv1submissions).

The same pydantic models document the body in the OpenAPI document (`tracker.api.schemas`).
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, model_validator

from tracker.db.types import BIG_INTEGER_MAX
from tracker.vocabulary import SubmissionPurpose


class SourceIn(BaseModel):
    """Where the rows came from (docs/README.md, docs/api.md)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)

    engine: str = Field(min_length=1, examples=["sglang"])
    engine_version: str | None = Field(default=None, examples=["0.5.4"])
    image: str | None = Field(default=None, examples=["lmsysorg/sglang:v0.5.4"])
    commit: str | None = Field(default=None, examples=["4f2c1e9b7d"])
    repo: str | None = Field(default=None, examples=["https://github.com/sgl-project/sglang"])
    branch: str | None = Field(
        default=None,
        description="The branch the run built; absent: the engine's tracked branch "
        "(TRACKER_TRACKED_BRANCHES). Another branch makes the run a candidate.",
        examples=["main"],
    )
    pull_request: StrictInt | None = Field(
        default=None,
        ge=1,
        description="The pull request the run tested: the run is a candidate, judged against "
        "the tracked branch (`GET /api/v1/submissions/{id}/verdict`), never part of the history.",
        examples=[12345],
    )
    base_commit: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{7,40}$",
        description="A candidate's base on the tracked branch (a hexadecimal SHA, 7 to 40 "
        "digits): its verdict compares with the tracked level as of that commit; absent: the "
        "current level.",
        examples=["9e1d2c3b4a"],
    )
    run_key: str | None = Field(
        default=None,
        max_length=500,
        description="Idempotency key; absent: a hash of the body.",
        examples=["github:sgl-project/sglang:123456789:1"],
    )
    run_url: str | None = None
    sweep_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Shared by the posts of one CI run made per job (one concurrency each): "
        "their rows of one config assemble into one sweep, processed once the run is complete "
        "(`final`, or after TRACKER_SWEEP_ASSEMBLY_SECONDS without a post).",
        examples=["github:sgl-project/sglang:123456789:1"],
    )
    timestamp: AwareDatetime = Field(description="ISO 8601 with a zone; naive is rejected.")
    components: dict[str, str] = Field(
        default_factory=dict, examples=[{"rocm": "7.0.2", "driver": "580.82"}]
    )

    @model_validator(mode="after")
    def _commit_or_image(self) -> SourceIn:
        if not self.commit and not self.image:
            raise ValueError("source needs a commit or an image (or both)")
        return self


class SubmissionIn(BaseModel):
    """The body of ``POST /api/v1/submissions``."""

    model_config = ConfigDict(extra="forbid")

    source: SourceIn
    format: str = Field(default="inferencex", examples=["inferencex"])
    config: dict[str, Any] | None = Field(
        default=None, description="Fields the rows lack (required for raw formats)."
    )
    results: list[Any] = Field(
        min_length=1,
        description="Result rows in the given format: JSON objects whose fields the format "
        "defines (docs/formats.md).",
        json_schema_extra={"items": {"type": "object"}},
    )
    backfill: bool = Field(
        default=False,
        description="Part of a history posted at once: detection waits for one retrospective "
        "pass per touched track instead of running per submission.",
    )
    final: bool = Field(
        default=False,
        description="The run of `source.sweep_key` is complete: its sweeps are processed now.",
    )
    purpose: SubmissionPurpose = Field(
        default=SubmissionPurpose.HISTORY,
        description="`history`: a run of the tracked history; `bisect`: a run a bisection asked "
        "for at one commit (`bisect_id`), which never enters tracks, change points or alerts. "
        "`candidate` is not posted: a run is one when `source.pull_request` is set or "
        "`source.branch` is not the engine's tracked branch.",
    )
    bisect_id: int | None = Field(
        default=None,
        ge=1,
        le=BIG_INTEGER_MAX,
        description="The bisection that asked for this run (purpose bisect).",
    )

    @model_validator(mode="after")
    def _bisection_runs_name_their_bisection(self) -> SubmissionIn:
        if self.purpose is SubmissionPurpose.BISECT:
            if self.bisect_id is None:
                raise ValueError("a run with purpose 'bisect' names its bisection in bisect_id")
            if not self.source.commit:
                raise ValueError("a run with purpose 'bisect' gives the commit it ran in source")
            if self.backfill:
                raise ValueError("a run with purpose 'bisect' is not part of a backfill")
            if self.source.sweep_key is not None:
                raise ValueError("a run with purpose 'bisect' is posted whole, without sweep_key")
            if self.source.pull_request is not None:
                raise ValueError("a run with purpose 'bisect' is not a pull request's run")
        elif self.bisect_id is not None:
            raise ValueError("bisect_id is only for runs with purpose 'bisect'")
        if self.purpose is SubmissionPurpose.CANDIDATE:
            raise ValueError(
                "purpose 'candidate' is not posted: a run is a candidate when source.pull_request "
                "is set, or source.branch is not the engine's tracked branch"
            )
        return self
