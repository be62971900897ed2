"""What every facilitation view needs: the database engine, the clock, the signed-in account.

Views open `write_session(engine())` once per request that writes (the unit of work) and hand the
session and `clock()` to domain functions in `app.facilitation`.
"""

from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy.engine import Engine

from ..clock import SYSTEM_CLOCK, Clock
from ..facilitation.errors import NotFound
from ..models import User


def engine() -> Engine:
    """The app's database engine."""
    from .. import get_state

    return get_state().engine


def clock() -> Clock:
    """The app's clock (`CLOCK` in the config lets tests freeze time)."""
    found: Clock = current_app.config.get("CLOCK") or SYSTEM_CLOCK
    return found


def account() -> User | None:
    """The signed-in user (a detached row), or None for a visitor."""
    if not current_user.is_authenticated:
        return None
    user: User = current_user.user
    return user


def require_account() -> User:
    """The signed-in user; 404 is never used for this: anonymous visitors go through `login_required`."""
    user = account()
    if user is None:
        abort(401)
    return user


def not_found(_error: NotFound | None = None) -> None:
    """Answer 404 for an object that does not exist or that the user may not see."""
    abort(404)
