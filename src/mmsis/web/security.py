"""Passwords (argon2, NIST-style policy), login sessions, CSRF tokens and login throttling."""

from __future__ import annotations

import hmac
import math
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select, text
from sqlalchemy.orm import Session

from mmsis.web.models import LoginAttempt, LoginSession, User, utcnow

_hasher = PasswordHasher()
SESSION_COOKIE = "mmsis_session"
LOGIN_CSRF_COOKIE = "mmsis_login_csrf"
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
"""NIST SP 800-63B: at least 8 (we ask 12), at least 64 allowed; longer than this is refused
(and never hashed at login) so a megabyte 'password' costs nothing."""
MIN_PASSWORD_SCORE = 2
"""zxcvbn score (0-4): below 2 the password falls to under ~10^6 guesses (common passwords,
repeats like 'aaaaaaaaaaaa', keyboard runs, a name plus digits)."""
RATED_PREFIX = 72
"""zxcvbn rates the first 72 characters (its own limit; its matching is quadratic)."""
RATE_LIMIT_WINDOW = timedelta(hours=1)
"""Failed or pending attempts older than this no longer count."""


@dataclass(frozen=True)
class Throttle:
    """Growing delays for one key: after `free` counted attempts, the next one waits
    base * 2**(n - free) seconds (at most `cap`) after the latest counted attempt."""

    name: str
    free: int
    base: float
    cap: float

    def wait(self, ats: list[datetime], now: datetime) -> float:
        """Seconds still to wait before another attempt for this key may be checked."""
        if len(ats) < self.free:
            return 0.0
        delay = min(self.cap, self.base * 2.0 ** min(len(ats) - self.free, 30))
        return max(0.0, (max(ats) + timedelta(seconds=delay) - now).total_seconds())


PAIR_THROTTLE = Throttle("this e-mail from this address", free=5, base=30.0, cap=900.0)
CLIENT_THROTTLE = Throttle("this address", free=20, base=30.0, cap=900.0)
ACCOUNT_THROTTLE = Throttle("this e-mail", free=10, base=5.0, cap=60.0)
"""The account-wide delay stays short and spares an address's first attempt on the account,
so guessing from many addresses slows down without anyone locking the real user out."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id (the OWASP-recommended password hash)."""
    return _hasher.hash(password)


_HASH_SLOTS = threading.BoundedSemaphore(2)
"""At most two argon2 computations at once (64 MiB each): a login burst cannot starve the
server of CPU and memory, nor keep other requests from the GIL while they hold a DB lock."""


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored argon2 hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        with _HASH_SLOTS:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse passwords NIST SP 800-63B says to refuse: short, over-long, common, repetitive,
    or made of the account's own e-mail or name (rated by zxcvbn's guess estimate)."""
    from zxcvbn import zxcvbn

    from mmsis.errors import InputError

    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(
            f"the password must have at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )
    hints = [w for w in (email, email.split("@")[0], name, "mmsis") if w]
    rated = zxcvbn(password[:RATED_PREFIX], user_inputs=hints)
    if rated["score"] < MIN_PASSWORD_SCORE:
        why = rated["feedback"].get("warning") or "it is among the easiest to guess"
        raise InputError(
            f"this password is too easy to guess ({why.rstrip('.')}); "
            "a few unrelated words make a strong one",
            field="password",
        )


def _as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: read them as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def authenticate(db: Session, email: str, password: str) -> User | None:
    """Return the active user whose e-mail and password match, spending equal time otherwise."""
    user = db.scalar(select(User).where(User.email == email.strip().lower()[:254]))
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


@dataclass(frozen=True)
class Admission:
    """A login attempt as recorded: its row (to settle later), or the seconds to wait."""

    attempt_id: int | None
    retry_after: int


def admit_login(db: Session, email: str, client: str) -> Admission:
    """Record a login attempt before its password is checked, atomically with the count of
    earlier ones (SQLite: BEGIN IMMEDIATE; PostgreSQL: a table lock), and say whether it may
    be checked: parallel attempts each see every earlier one, pending ones included."""
    from mmsis.web.db import begin_write

    email, client = email.strip().lower()[:254], client[:100]
    begin_write(db)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE"))
    now = utcnow()
    since = now - RATE_LIMIT_WINDOW
    for key in (LoginAttempt.email == email, LoginAttempt.client == client):  # forget old
        db.execute(delete(LoginAttempt).where(key, LoginAttempt.at < since))
    rows = db.execute(
        select(LoginAttempt.email, LoginAttempt.client, LoginAttempt.at, LoginAttempt.outcome)
        .where(
            or_(LoginAttempt.email == email, LoginAttempt.client == client),
            LoginAttempt.at >= since,
            LoginAttempt.outcome.in_(("pending", "failed")),
        )
    ).all()
    pair = [_as_utc(r.at) for r in rows if r.email == email and r.client == client]
    # an address counts settled failures only: colleagues behind one office address logging
    # in at nine are not held up by each other's attempts still being checked
    by_client = [_as_utc(r.at) for r in rows if r.client == client and r.outcome == "failed"]
    by_email = [_as_utc(r.at) for r in rows if r.email == email]
    waits = [PAIR_THROTTLE.wait(pair, now), CLIENT_THROTTLE.wait(by_client, now)]
    if pair:  # an address's first try at an account is never held up by others' failures
        waits.append(ACCOUNT_THROTTLE.wait(by_email, now))
    wait = max(waits)
    if wait > 0:
        db.commit()
        return Admission(None, max(1, math.ceil(wait)))
    attempt = LoginAttempt(email=email, client=client, at=now, outcome="pending")
    db.add(attempt)
    db.flush()
    attempt_id = attempt.id
    db.commit()
    return Admission(attempt_id, 0)


def settle_login(db: Session, attempt_id: int, ok: bool) -> None:
    """After the check: a failure keeps counting; a success forgets this address's failures
    for the account (others' failures still count against their own addresses)."""
    from mmsis.web.db import begin_write

    begin_write(db)
    attempt = db.get(LoginAttempt, attempt_id)
    if attempt is None:
        return
    if ok:
        db.execute(
            delete(LoginAttempt).where(
                LoginAttempt.email == attempt.email, LoginAttempt.client == attempt.client
            )
        )
    else:
        attempt.outcome = "failed"


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
    """The live session and its active user (one query, on every request), or None.

    Not cached in the process: a deactivated user, a password reset or an ended session is
    refused on the next request in every worker, at the cost of one primary-key lookup.
    """
    row = db.execute(
        select(LoginSession.id, LoginSession.user_id, LoginSession.csrf_token,
               LoginSession.expires_at, User.email, User.name, User.is_admin)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == session_id, User.is_active.is_(True))
    ).first()
    if row is None or _as_utc(row.expires_at) <= utcnow():
        return None
    session = LiveSession(row.id, row.user_id, row.csrf_token, _as_utc(row.expires_at))
    return session, UserView(row.user_id, row.email, row.name, bool(row.is_admin))


def end_session(db: Session, session_id: str) -> None:
    """Delete a session (logout)."""
    from mmsis.web.db import begin_write

    begin_write(db)
    db.execute(delete(LoginSession).where(LoginSession.id == session_id))


def end_user_sessions(db: Session, user_id: int, keep: str | None = None) -> int:
    """Delete a user's sessions (all, or all but `keep`); returns how many ended."""
    from mmsis.web.db import begin_write

    begin_write(db)
    q = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep is not None:
        q = q.where(LoginSession.id != keep)
    return int(db.execute(q).rowcount or 0)  # type: ignore[attr-defined]


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
