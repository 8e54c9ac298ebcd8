"""Expected failures of a `tracker` command, said in a line or two with what to do, and the exit
codes they end with (docs/api.md#exit-codes). A traceback is left for bugs.

Third-party errors are translated where they arise (`database_errors`, and the HTTP side in
`tracker.runtime.client`); the libraries are imported only when an error is looked at, so that
`tracker --help` loads none of them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager


class ExitCode(enum.IntEnum):
    """How a `tracker` command ends."""

    OK = 0
    REFUSED = 1
    """The tracker, or the database, answered no: an invalid submission, an unknown token, a
    token name that exists, a submission whose processing failed."""
    USAGE = 2
    """Bad options, settings (`TRACKER_*`) or files; nothing was sent."""
    UNAVAILABLE = 3
    """The tracker or the database could not be reached or used, even after retrying; trying
    again later may work."""


class CommandFailure(Exception):
    """An expected failure: what went wrong, what to do about it, and the exit code."""

    def __init__(self, message: str, *, hint: str | None = None, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Database errors a person can act on, as `CommandFailure`: the database cannot be
    reached or opened, or the URL is not one."""
    try:
        yield
    except Exception as error:
        failure = _database_failure(error, url)
        if failure is None:
            raise
        raise failure from error


def _database_failure(error: Exception, url: str) -> CommandFailure | None:
    # Loaded already by the command that failed.
    from sqlalchemy import exc  # noqa: PLC0415

    from tracker.db.engine import database_label  # noqa: PLC0415

    if isinstance(error, exc.ArgumentError | exc.NoSuchModuleError):
        return CommandFailure(
            f"TRACKER_DATABASE_URL is not a database URL: {error}",
            hint="e.g. postgresql+psycopg://user@host:5432/tracker; unset it for the embedded "
            "SQLite file",
            code=ExitCode.USAGE,
        )
    if not isinstance(error, exc.OperationalError | exc.InterfaceError):
        return None
    reason = str(error.orig or error).strip().splitlines()[0]
    hint = "check TRACKER_DATABASE_URL, and that the database server is running"
    if "does not exist" in reason:
        hint = (
            "create it (e.g. `createdb` on the server) or point TRACKER_DATABASE_URL at one that "
            "exists; then `tracker db upgrade`"
        )
    elif "unable to open database file" in reason:
        hint = "the directory must be writable; run the command where the tracker's files live"
    return CommandFailure(
        f"cannot use the database {database_label(url)}: {reason}",
        hint=hint,
        code=ExitCode.UNAVAILABLE,
    )


def settings_failure(error: Exception) -> CommandFailure:
    """A `TRACKER_*` variable that does not parse (a pydantic `ValidationError`), field by field."""
    from pydantic import ValidationError  # noqa: PLC0415

    if not isinstance(error, ValidationError):
        raise TypeError(f"not a settings error: {error!r}")
    problems = "; ".join(
        f"TRACKER_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
        for item in error.errors()
    )
    return CommandFailure(f"bad setting: {problems}", code=ExitCode.USAGE)
