"""Accounts: creation, authentication, sign-in tokens, single-use expiring links."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.clock import FrozenClock
from app.db import read_session, write_session
from app.facilitation import accounts
from app.facilitation.enums import LinkKind, UserRole
from app.facilitation.errors import DomainError
from app.models import Accompaniment, Membership, User

PASSWORD = "correct horse battery"


def _user(engine: Engine, clock: FrozenClock, email: str = "anim@example.org",
          role: UserRole = UserRole.FACILITATOR) -> User:
    with write_session(engine) as db:
        user = accounts.create_user(db, clock, email=email, display_name="Camille", password=PASSWORD, role=role)
        db.expunge(user)
    return user


def test_create_and_authenticate(engine: Engine) -> None:
    clock = FrozenClock()
    _user(engine, clock, email="  Anim@Example.ORG ")
    with read_session(engine) as db:
        stored = db.exec(select(User)).one()
        assert stored.email == "anim@example.org"
        assert PASSWORD not in stored.password_hash and stored.password_hash.startswith("scrypt:")
        assert accounts.authenticate(db, "ANIM@example.org", PASSWORD) is not None
        assert accounts.authenticate(db, "anim@example.org", "wrong password!") is None
        assert accounts.authenticate(db, "nobody@example.org", PASSWORD) is None


@pytest.mark.parametrize(("email", "name", "password", "code"), [
    ("no-at-sign", "Camille", PASSWORD, "email-invalid"),
    ("a@example.org", "   ", PASSWORD, "name-length"),
    ("a@example.org", "Camille", "short", "password-length"),
])
def test_create_user_refuses_bad_input(engine: Engine, email: str, name: str, password: str, code: str) -> None:
    with pytest.raises(DomainError) as caught, write_session(engine) as db:
        accounts.create_user(db, FrozenClock(), email=email, display_name=name, password=password)
    assert caught.value.code == code


def test_an_address_has_one_account(engine: Engine) -> None:
    clock = FrozenClock()
    _user(engine, clock)
    with pytest.raises(DomainError, match="email-taken"), write_session(engine) as db:
        accounts.create_user(db, clock, email="ANIM@example.org", display_name="X", password=PASSWORD)


def test_sign_out_kills_the_token_and_idle_tokens_expire(engine: Engine) -> None:
    clock = FrozenClock()
    user = _user(engine, clock)
    with write_session(engine) as db:
        token = accounts.start_login(db, clock, user)
        other = accounts.start_login(db, clock, user)
    with read_session(engine) as db:
        assert accounts.user_for_login(db, clock, token) is not None
    with write_session(engine) as db:
        accounts.end_login(db, token)
    clock.advance(days=6)
    with read_session(engine) as db:
        assert accounts.user_for_login(db, clock, token) is None
        assert accounts.user_for_login(db, clock, other) is not None
    clock.advance(days=2)
    with read_session(engine) as db:
        assert accounts.user_for_login(db, clock, other) is None


def test_invitation_is_single_use_expires_and_joins_its_accompaniment(engine: Engine) -> None:
    clock = FrozenClock()
    coordinator = _user(engine, clock, email="coord@example.org", role=UserRole.COORDINATOR)
    with write_session(engine) as db:
        accompaniment = Accompaniment(title="Couserans")
        db.add(accompaniment)
        db.flush()
        issued = accounts.create_link(db, clock, kind=LinkKind.INVITATION, created_by=coordinator,
                                      accompaniment_id=accompaniment.id)
        late = accounts.create_link(db, clock, kind=LinkKind.INVITATION, created_by=coordinator)
        accompaniment_id = accompaniment.id
    with write_session(engine) as db:
        user = accounts.accept_invitation(db, clock, issued.token, email="new@example.org",
                                          display_name="Dominique", password=PASSWORD)
        assert user.role == UserRole.FACILITATOR
    with read_session(engine) as db:
        assert db.exec(select(Membership)).one().accompaniment_id == accompaniment_id
    with pytest.raises(DomainError, match="link-used"), write_session(engine) as db:
        accounts.accept_invitation(db, clock, issued.token, email="again@example.org",
                                   display_name="Again", password=PASSWORD)
    clock.advance(days=8)
    with pytest.raises(DomainError, match="link-expired"), write_session(engine) as db:
        accounts.accept_invitation(db, clock, late.token, email="late@example.org",
                                   display_name="Late", password=PASSWORD)
    with pytest.raises(DomainError, match="link-invalid"), write_session(engine) as db:
        accounts.accept_invitation(db, clock, "forged-token", email="x@example.org",
                                   display_name="X", password=PASSWORD)


def test_password_reset_changes_the_password_and_signs_out_everywhere(engine: Engine) -> None:
    clock = FrozenClock()
    user = _user(engine, clock)
    with write_session(engine) as db:
        token = accounts.start_login(db, clock, user)
        issued = accounts.create_link(db, clock, kind=LinkKind.PASSWORD_RESET, created_by=None, user=user)
    with write_session(engine) as db:
        accounts.reset_password(db, clock, issued.token, "a brand new passphrase")
    with read_session(engine) as db:
        assert accounts.user_for_login(db, clock, token) is None
        assert accounts.authenticate(db, "anim@example.org", "a brand new passphrase") is not None
        assert accounts.authenticate(db, "anim@example.org", PASSWORD) is None
