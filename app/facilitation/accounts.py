"""Facilitator and coordinator accounts: users, sign-in tokens, invitation and password-reset links.

Passwords are hashed with Werkzeug's scrypt. A signed-in browser holds a random token; the database
keeps only its SHA-256, so a database leak gives no usable session, and signing out deletes the row.
Invitation and reset links are single use and expire; only their hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import Clock
from ..models import AccountLink, LoginSession, Membership, User
from .enums import LinkKind, UserRole
from .errors import DomainError

MIN_PASSWORD = 10
MAX_PASSWORD = 200
INVITATION_TTL = timedelta(days=7)
RESET_TTL = timedelta(days=2)
#: A sign-in lasts a workshop week without activity, then the browser must sign in again.
LOGIN_IDLE_TTL = timedelta(days=7)
#: Hash used for unknown e-mails, so that a failed sign-in costs the same time either way.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(8), method="scrypt")


def token_digest(token: str) -> str:
    """The stored form of a secret token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """E-mail addresses compare in NFC, trimmed and lower-cased."""
    return unicodedata.normalize("NFC", email).strip().lower()


def check_password(password: str) -> None:
    """Refuse passwords that are too short or too long (`DomainError` code `password-length`)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise DomainError("password-length", minimum=MIN_PASSWORD, maximum=MAX_PASSWORD)


def hash_password(password: str) -> str:
    """A scrypt hash of the password."""
    return generate_password_hash(password, method="scrypt")


def create_user(
    session: Session, clock: Clock, *, email: str, display_name: str, password: str,
    role: UserRole = UserRole.FACILITATOR,
) -> User:
    """Create an account; `DomainError('email-taken')` if the address already has one."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise DomainError("email-invalid")
    name = " ".join(unicodedata.normalize("NFC", display_name).split())
    if not 1 <= len(name) <= 120:
        raise DomainError("name-length", maximum=120)
    check_password(password)
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise DomainError("email-taken")
    user = User(email=email, display_name=name, password_hash=hash_password(password), role=role,
                created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same cost whether or not it exists)."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def start_login(session: Session, clock: Clock, user: User) -> str:
    """Open a sign-in for `user`; return the token the browser keeps (in its session cookie)."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(LoginSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
    return token


def user_for_login(session: Session, clock: Clock, token: str) -> User | None:
    """The active user signed in with this token, or None (unknown, signed out, idle too long)."""
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).first()
    if row is None or clock.now() - row.last_seen_at > LOGIN_IDLE_TTL:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def last_seen(session: Session, token: str) -> datetime | None:
    """When this sign-in was last used, or None if it does not exist."""
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).first()
    return row.last_seen_at if row is not None else None


def touch_login(session: Session, clock: Clock, token: str) -> None:
    """Note that the sign-in was used now (keeps it from idling out)."""
    session.execute(
        update(LoginSession).where(LoginSession.token_hash == token_digest(token))  # type: ignore[arg-type]
        .values(last_seen_at=clock.now())
    )


def end_login(session: Session, token: str) -> None:
    """Sign out: the token stops working everywhere at once."""
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_digest(token)))  # type: ignore[arg-type]


def end_all_logins(session: Session, user_id: int) -> None:
    """Sign a user out of every browser (after a password change)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))  # type: ignore[arg-type]


@dataclass(frozen=True)
class IssuedLink:
    """A freshly created link: the secret token is only known now (it is stored hashed)."""

    token: str
    link: AccountLink


def create_link(
    session: Session, clock: Clock, *, kind: LinkKind, created_by: User | None,
    role: UserRole = UserRole.FACILITATOR, email: str | None = None, user: User | None = None,
    accompaniment_id: int | None = None, ttl: timedelta | None = None,
) -> IssuedLink:
    """Create an invitation (sign-up) or password-reset link; coordinators only (checked by callers)."""
    if kind is LinkKind.PASSWORD_RESET and user is None:
        raise DomainError("reset-needs-user")
    token = secrets.token_urlsafe(24)
    now = clock.now()
    lifetime = ttl or (INVITATION_TTL if kind is LinkKind.INVITATION else RESET_TTL)
    link = AccountLink(
        token_hash=token_digest(token), kind=kind, role=role,
        email=normalise_email(email) if email else None,
        user_id=user.id if user else None, accompaniment_id=accompaniment_id,
        created_by_id=created_by.id if created_by else None, created_at=now, expires_at=now + lifetime,
    )
    session.add(link)
    session.flush()
    return IssuedLink(token=token, link=link)


def find_link(session: Session, clock: Clock, token: str, kind: LinkKind) -> AccountLink:
    """The usable link for this token; `DomainError` `link-invalid`, `link-used` or `link-expired`."""
    link = session.exec(
        select(AccountLink).where(AccountLink.token_hash == token_digest(token), AccountLink.kind == kind)
    ).first()
    if link is None:
        raise DomainError("link-invalid")
    if link.used_at is not None:
        raise DomainError("link-used")
    if clock.now() >= link.expires_at:
        raise DomainError("link-expired")
    return link


def _consume(session: Session, clock: Clock, link: AccountLink) -> None:
    # Conditional: of two simultaneous uses of one link, exactly one wins.
    result = session.execute(
        update(AccountLink).where(AccountLink.id == link.id, AccountLink.used_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(used_at=clock.now())
    )
    if getattr(result, "rowcount", 0) != 1:
        raise DomainError("link-used")


def accept_invitation(
    session: Session, clock: Clock, token: str, *, email: str, display_name: str, password: str
) -> User:
    """Sign up through an invitation link (single use); joins its accompaniment if it names one."""
    link = find_link(session, clock, token, LinkKind.INVITATION)
    if link.email and normalise_email(email) != link.email:
        raise DomainError("email-mismatch")
    _consume(session, clock, link)
    user = create_user(session, clock, email=email, display_name=display_name, password=password, role=link.role)
    if link.accompaniment_id is not None:
        assert user.id is not None
        session.add(Membership(accompaniment_id=link.accompaniment_id, user_id=user.id, added_at=clock.now()))
    return user


def reset_password(session: Session, clock: Clock, token: str, password: str) -> User:
    """Set a new password through a reset link (single use); signs the user out everywhere."""
    link = find_link(session, clock, token, LinkKind.PASSWORD_RESET)
    check_password(password)
    _consume(session, clock, link)
    user = session.get(User, link.user_id)
    if user is None:
        raise DomainError("link-invalid")
    user.password_hash = hash_password(password)
    session.add(user)
    assert user.id is not None
    end_all_logins(session, user.id)
    return user
