"""API tokens: created once, stored as a hash with a scope, checked on every write."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import Conflict
from tracker.models import ApiToken
from tracker.vocabulary import TokenScope

TOKEN_PREFIX = "ft_"  # noqa: S105 (a public prefix that makes tokens recognisable)


def token_sha256(raw_token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; no salt or stretching is needed.
    return hashlib.sha256(raw_token.encode()).hexdigest()


def create_token(*, session: Session, name: str, scope: TokenScope, now: datetime) -> str:
    """Store a new token's hash and return the token itself (the only time it is seen)."""
    if session.execute(select(ApiToken.id).where(ApiToken.name == name)).first():
        raise Conflict(f"a token named {name!r} exists already")
    raw_token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(name=name, scope=scope, token_sha256=token_sha256(raw_token), created_at=now)
    )
    session.flush()
    return raw_token


def authenticate(*, session: Session, raw_token: str) -> ApiToken | None:
    """The token with this value, or None when it is unknown."""
    return session.execute(
        select(ApiToken).where(ApiToken.token_sha256 == token_sha256(raw_token))
    ).scalar_one_or_none()


def scope_allows(granted: TokenScope, needed: TokenScope) -> bool:
    """``admin`` includes every scope; the others only themselves."""
    return granted is TokenScope.ADMIN or granted is needed
