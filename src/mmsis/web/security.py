"""Passwords (argon2), login sessions, CSRF tokens and login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mmsis.web.models import LoginAttempt, LoginSession, User, utcnow

_hasher = PasswordHasher()
SESSION_COOKIE = "mmsis_session"
LOGIN_CSRF_COOKIE = "mmsis_login_csrf"
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
RATE_LIMIT_WINDOW = timedelta(minutes=15)
RATE_LIMIT_MAX_FAILURES = 5
RATE_LIMIT_MAX_FAILURES_PER_CLIENT = 20


def hash_password(password: str) -> str:
    """Hash a password with argon2id (the OWASP-recommended password hash)."""
    return _hasher.hash(password)


_HASH_SLOTS = threading.BoundedSemaphore(2)
"""At most two argon2 computations at once (64 MiB each): a login burst cannot starve the
server of CPU and memory, nor keep other requests from the GIL while they hold a DB lock."""


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored argon2 hash."""
    try:
        with _HASH_SLOTS:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    from mmsis.errors import InputError

    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )


def _as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: read them as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def authenticate(db: Session, email: str, password: str) -> User | None:
    """Return the user whose e-mail and password match, spending equal time when none does."""
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def login_blocked(db: Session, email: str, client: str) -> bool:
    """True when recent failures for this e-mail or this client exceed the limit."""
    since = utcnow() - RATE_LIMIT_WINDOW
    by_email = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == email.strip().lower(), LoginAttempt.at >= since)
    )
    by_client = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.client == client, LoginAttempt.at >= since)
    )
    return (by_email or 0) >= RATE_LIMIT_MAX_FAILURES or (
        by_client or 0
    ) >= RATE_LIMIT_MAX_FAILURES_PER_CLIENT


def record_failure(db: Session, email: str, client: str) -> None:
    """Remember a failed login for rate limiting."""
    db.add(LoginAttempt(email=email.strip().lower()[:254], client=client[:100], at=utcnow()))


def clear_failures(db: Session, email: str) -> None:
    """Forget failures for an e-mail after a successful login."""
    db.execute(delete(LoginAttempt).where(LoginAttempt.email == email.strip().lower()))


def start_session(db: Session, user: User) -> LoginSession:
    """Create a server-side session with its own CSRF token."""
    now = utcnow()
    session = LoginSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    db.add(session)
    return session


@dataclass(frozen=True)
class LiveSession:
    """A login session as requests use it (a plain copy: shared safely between requests)."""

    id: str
    user_id: int
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class UserView:
    """The logged-in user as requests and templates use it (a plain copy, safe after rollback)."""

    id: int
    email: str
    name: str
    is_admin: bool


def load_session(db: Session, session_id: str) -> tuple[LiveSession, UserView] | None:
    """The live session and its user (one query), or None when unknown or expired."""
    row = db.execute(
        select(LoginSession.id, LoginSession.user_id, LoginSession.csrf_token,
               LoginSession.expires_at, User.email, User.name, User.is_admin)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == session_id)
    ).first()
    if row is None or _as_utc(row.expires_at) <= utcnow():
        return None
    session = LiveSession(row.id, row.user_id, row.csrf_token, _as_utc(row.expires_at))
    return session, UserView(row.user_id, row.email, row.name, bool(row.is_admin))


class SessionCache:
    """Recently checked sessions, for ``ttl`` seconds: most requests then skip the database.

    Logout drops its entry at once (``drop``); a session deleted or shortened in the database
    by another process is honoured within ``ttl`` seconds. Expiry is checked on every hit.
    """

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._items: dict[str, tuple[float, LiveSession, UserView]] = {}

    def get(self, session_id: str) -> tuple[LiveSession, UserView] | None:
        """The cached session and user, if checked less than ``ttl`` seconds ago and live."""
        hit = self._items.get(session_id)
        if hit is None:
            return None
        at, session, user = hit
        if time.monotonic() - at > self.ttl or session.expires_at <= utcnow():
            self._items.pop(session_id, None)
            return None
        return session, user

    def put(self, session: LiveSession, user: UserView) -> None:
        """Remember a session just read from the database."""
        if len(self._items) >= self.max_entries:
            self._items.clear()  # rare and safe: entries are only a shortcut
        self._items[session.id] = (time.monotonic(), session, user)

    def drop(self, session_id: str) -> None:
        """Forget a session (logout)."""
        self._items.pop(session_id, None)


def end_session(db: Session, session_id: str) -> None:
    """Delete a session (logout)."""
    from mmsis.web.db import begin_write

    begin_write(db)
    db.execute(delete(LoginSession).where(LoginSession.id == session_id))


class Signer:
    """Signs cookie values so a client cannot forge a session id or a login CSRF token."""

    def __init__(self, secret_key: str) -> None:
        self._s = URLSafeTimedSerializer(secret_key, salt="mmsis-web")

    def sign(self, value: str) -> str:
        """Signed, timestamped form of a value."""
        return self._s.dumps(value)

    def unsign(self, signed: str | None, max_age: int) -> str | None:
        """The original value, or None if the signature is wrong or too old."""
        if not signed:
            return None
        try:
            value = self._s.loads(signed, max_age=max_age)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None


def tokens_equal(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def new_token() -> str:
    """A fresh random token."""
    return secrets.token_urlsafe(32)
