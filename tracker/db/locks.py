"""Per-track locks, so that workers analysing the same track neither race nor deadlock
(docs/runtime.md).

Keys are always taken in ascending order. Postgres: transaction-scoped advisory locks, released
by the commit or rollback. Embedded SQLite: process-local locks, released when the session's
outermost transaction ends.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, event, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.orm import Session, SessionTransaction

from tracker.db.dialect import is_postgres

# The subquery sorts before the outer projection calls the function, so keys lock in order.
_ADVISORY_LOCK_IN_ORDER = text(
    "SELECT pg_advisory_xact_lock(key) FROM (SELECT unnest(:keys) AS key ORDER BY 1) AS ordered"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


class TrackLocks(Protocol):
    def lock(self, session: Session, track_ids: Sequence[int]) -> None:
        """Block until every track is ours; held until the session's transaction ends."""


class AdvisoryTrackLocks:
    def lock(self, session: Session, track_ids: Sequence[int]) -> None:
        if track_ids:
            session.execute(_ADVISORY_LOCK_IN_ORDER, {"keys": sorted(set(track_ids))})


class ProcessTrackLocks:
    """Locks shared by the threads of one process: the embedded default has only one."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}

    def _lock_for(self, track_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(track_id, threading.Lock())

    def lock(self, session: Session, track_ids: Sequence[int]) -> None:
        held = []
        for track_id in sorted(set(track_ids)):
            track_lock = self._lock_for(track_id)
            track_lock.acquire()
            held.append(track_lock)
        if not held:
            return
        root = session.get_transaction() or session.begin()

        released = False

        def release(_session: Any, transaction: SessionTransaction) -> None:
            # Stays registered (removing a listener during its dispatch is not allowed); the
            # session ends with its boundary, and the listener with it.
            nonlocal released
            if transaction is root and not released:
                released = True
                for track_lock in held:
                    track_lock.release()

        event.listen(session, "after_transaction_end", release)


_PROCESS_TRACK_LOCKS = ProcessTrackLocks()


def track_locks_for(session: Session) -> TrackLocks:
    if is_postgres(session):
        return AdvisoryTrackLocks()
    return _PROCESS_TRACK_LOCKS


# Named locks take the two-key form of Postgres' advisory locks, in a space of their own, so they
# never meet a track's lock (one key).
_NAMED_LOCK_SPACE = 0x54524B  # "TRK"
_ALERT_GROUPING = 1
_PLANNER_STATISTICS = 2

_ADVISORY_NAMED_LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")
_PROCESS_NAMED_LOCKS = ProcessTrackLocks()


def lock_alert_grouping(session: Session) -> None:
    """Block until this transaction is the only one grouping alerts: two workers grouping the
    same pending changes at once would each make an alert of them."""
    if is_postgres(session):
        session.execute(_ADVISORY_NAMED_LOCK, {"space": _NAMED_LOCK_SPACE, "key": _ALERT_GROUPING})
    else:
        _PROCESS_NAMED_LOCKS.lock(session, [_ALERT_GROUPING])


_ADVISORY_NAMED_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:space, :key)")


def try_lock_planner_statistics(session: Session) -> bool:
    """Whether this transaction is now the only one refreshing planner statistics (Postgres);
    False at once when another holds it, since one refresh at a time is all that is needed."""
    held = session.execute(
        _ADVISORY_NAMED_TRY_LOCK, {"space": _NAMED_LOCK_SPACE, "key": _PLANNER_STATISTICS}
    ).scalar_one()
    return bool(held)
