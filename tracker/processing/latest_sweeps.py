"""Each config's pointer to its newest sweep with a frontier value, so that "latest values" reads
need no scan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import DateTime, and_, bindparam, exists, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, INTEGER
from sqlalchemy.orm import Session

from tracker import models
from tracker.db.dialect import is_postgres

# One statement per submission. The sub-select locks the rows that advance in id order (its
# sort runs before the locking), so that concurrent workers wait instead of deadlocking; with
# the lock an UPDATE takes anyway (NO KEY), which foreign keys to configs do not wait for.
_ADVANCE_ON_POSTGRES = text(
    """
    UPDATE configs SET latest_sweep_id = advancing.sweep, latest_at = advancing.at
    FROM (
        SELECT configs.id, offered.sweep, offered.at
        FROM configs
        JOIN unnest(:configs, :sweeps, :ats) AS offered(config, sweep, at)
            ON configs.id = offered.config
        WHERE configs.latest_at IS NULL
            OR configs.latest_at < offered.at
            OR (configs.latest_at = offered.at AND configs.latest_sweep_id < offered.sweep)
        ORDER BY configs.id
        FOR NO KEY UPDATE OF configs
    ) AS advancing
    WHERE configs.id = advancing.id
    """
).bindparams(
    bindparam("configs", type_=ARRAY(INTEGER)),
    bindparam("sweeps", type_=ARRAY(BIGINT)),
    bindparam("ats", type_=ARRAY(DateTime(timezone=True))),
)

_ADVANCE_ONE = (
    update(models.Config)
    .where(
        models.Config.id == bindparam("config"),
        or_(
            models.Config.latest_at.is_(None),
            models.Config.latest_at < bindparam("at"),
            and_(
                models.Config.latest_at == bindparam("at"),
                models.Config.latest_sweep_id < bindparam("sweep"),
            ),
        ),
    )
    .values(latest_sweep_id=bindparam("sweep"), latest_at=bindparam("at"))
)


def advance_latest_sweeps(*, session: Session, sweeps: Sequence[tuple[int, int, datetime]]) -> None:
    """Point each config at its newest sweep (by timestamp, then id) among ``sweeps`` —
    (config id, sweep id, timestamp), sweeps with a frontier value — and the one it points at:
    a sweep older than that (a backfill) leaves the pointer as it is. Rows are locked in config
    id order."""
    if not sweeps:
        return
    ordered = sorted(sweeps)
    connection = session.connection()
    if is_postgres(connection):
        connection.execute(
            _ADVANCE_ON_POSTGRES,
            {
                "configs": [config_id for config_id, _, _ in ordered],
                "sweeps": [sweep_id for _, sweep_id, _ in ordered],
                "ats": [timestamp for _, _, timestamp in ordered],
            },
        )
    else:
        connection.execute(
            _ADVANCE_ONE,
            [
                {"config": config_id, "sweep": sweep_id, "at": timestamp}
                for config_id, sweep_id, timestamp in ordered
            ],
        )


def retreat_latest_sweeps(*, session: Session, config_ids: Sequence[int]) -> None:
    """Point each config at its newest sweep with a frontier value, looked up afresh: after a
    sweep's values were rewritten (an assembly processed again), the one it pointed at may have
    none left. Rows are locked in config id order."""
    for config_id in sorted(set(config_ids)):
        newest = session.execute(
            select(models.Sweep.id, models.Sweep.timestamp)
            .where(
                models.Sweep.config_id == config_id,
                exists().where(models.FrontierValue.sweep_id == models.Sweep.id),
            )
            .order_by(models.Sweep.timestamp.desc(), models.Sweep.id.desc())
            .limit(1)
        ).first()
        session.execute(
            update(models.Config)
            .where(models.Config.id == config_id)
            .values(
                latest_sweep_id=None if newest is None else newest.id,
                latest_at=None if newest is None else newest.timestamp,
            )
        )
