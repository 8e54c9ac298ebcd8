"""What ingest writes in bulk, for a whole post and for a job joining its sweep key: result
rows, and the components a sweep records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from tracker import models
from tracker.db.bulk import bulk_insert
from tracker.ingest.formats import ResultRow


def sweep_components(base: Mapping[str, str], rows: Iterable[ResultRow]) -> dict[str, str]:
    """Component versions of one sweep: `base` (the source's, or the sweep's so far) overridden
    by what its rows record; values that differ between rows are kept sorted, joined by ", "."""
    values_by_name: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for name, value in row.components.items():
            values_by_name[name].add(value)
    components = dict(base)
    components.update({name: ", ".join(sorted(values)) for name, values in values_by_name.items()})
    return components


SWEEP_COLUMNS = ("config_id", "source_run_id", "assembly_id", "timestamp", "components")


RESULT_ROW_COLUMNS = (
    "sweep_id",
    "conc",
    "median_intvty",
    "tput_per_gpu",
    "output_tput_per_gpu",
    "input_tput_per_gpu",
    "median_ttft_s",
    "p99_ttft_s",
    "median_tpot_s",
    "median_e2el_s",
    "joules_per_output_token",
    "completed",
    "requested",
    "failed",
    "extra",
)


def result_row_values(sweep_id: int, row: ResultRow) -> tuple[Any, ...]:
    """A row's values in ``RESULT_ROW_COLUMNS`` order."""
    return (
        sweep_id,
        row.conc,
        row.median_intvty,
        row.tput_per_gpu,
        row.output_tput_per_gpu,
        row.input_tput_per_gpu,
        row.median_ttft_s,
        row.p99_ttft_s,
        row.median_tpot_s,
        row.median_e2el_s,
        row.joules_per_output_token,
        row.completed,
        row.requested,
        row.failed,
        row.extra,
    )


def insert_result_rows(*, session: Session, rows: Iterable[tuple[int, ResultRow]]) -> None:
    """Store (sweep id, row) pairs in bulk."""
    bulk_insert(
        session,
        models.ResultRow.__table__,  # type: ignore[arg-type]
        RESULT_ROW_COLUMNS,
        (result_row_values(sweep_id, row) for sweep_id, row in rows),
    )
