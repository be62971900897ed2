"""Signing in and out (Flask-Login): `/connexion`, `/deconnexion`.

The session cookie carries a random sign-in token (`LoginSession`); signing out deletes it on the
server, so the cookie is dead even if it was copied. Signing in clears the old session first (no
fixation). Sign-in attempts are rate-limited per address and per e-mail.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Flask, Response, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..db import read_session, write_session
from ..facilitation import accounts
from ..models import User
from . import safe_next
from .context import clock, engine
from .limits import limiter
from .navigation import go
from .rendering import render

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
#: Sign-in tokens are touched at most this often (seconds): not a write on every request.
TOUCH_EVERY = 300


class SignedIn(UserMixin):
    """The Flask-Login user: a detached `User` row plus the sign-in token the cookie holds."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        """What Flask-Login stores in the session cookie: the sign-in token."""
        return self.token

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in."""
        return bool(self.user.active)


def _load(token: str) -> SignedIn | None:
    moment = clock().now()
    with read_session(engine()) as db:
        user = accounts.user_for_login(db, clock(), token)
        if user is None:
            return None
        db.expunge(user)
        row_seen = accounts.last_seen(db, token)
    if row_seen is not None and (moment - row_seen).total_seconds() > TOUCH_EVERY:
        with write_session(engine()) as db:
            accounts.touch_login(db, clock(), token)
    return SignedIn(user, token)


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(message=_l("Indiquez votre adresse e-mail.")),
                                                         Length(max=254)])
    password = PasswordField(_l("Mot de passe"),
                             validators=[DataRequired(message=_l("Indiquez votre mot de passe.")), Length(max=200)])


def _login_key() -> str:
    email = accounts.normalise_email(request.form.get("email", ""))[:254]
    return f"login:{email}"


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=_login_key)
def login() -> Response | BaseResponse:
    """The sign-in form; on success, go where the visitor was heading."""
    form = LoginForm()
    target = safe_next(request.values.get("next") or url_for("kit.home"))
    error = None
    if form.validate_on_submit():
        with write_session(engine()) as db:
            user = accounts.authenticate(db, form.email.data or "", form.password.data or "")
            token = accounts.start_login(db, clock(), user) if user is not None else None
            if user is not None:
                db.expunge(user)
        if user is not None and token is not None:
            session.clear()  # a fresh session: nothing from before the sign-in survives
            login_user(SignedIn(user, token))
            flash(_("Vous êtes connecté·e."), "success")
            return go(target)  # htmx navigates rather than swapping the next page into the form
        error = _("Adresse e-mail ou mot de passe incorrect.")
    status = 422 if request.method == "POST" else 200
    return render("accounts/login.html", "accounts/_login.html", status=status, form=form, error=error,
                  next=target, with_csrf=True)


@bp.route("/deconnexion", methods=["GET", "POST"])
def logout() -> Response | BaseResponse:
    """GET shows a confirmation button; POST signs out everywhere this cookie was (token deleted)."""
    from flask_login import current_user

    if request.method == "GET":
        return render("accounts/logout.html", "accounts/_logout.html", with_csrf=True)
    if current_user.is_authenticated:
        with write_session(engine()) as db:
            accounts.end_login(db, current_user.token)
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("kit.home"), code=303)


def init_auth(app: Flask) -> None:
    """Register Flask-Login and the sign-in pages."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side token already ends stolen sessions
    login_manager.user_loader(_load)
    app.register_blueprint(bp)

    @app.context_processor
    def _account_globals() -> dict[str, Any]:
        user = signed_in_user()
        return {"signed_in": user is not None, "signed_in_user": user}


def signed_in_user() -> User | None:
    """The signed-in account of this request, or None.

    Flask-Login keeps the account's id in the session (Mallette issues no remember-me cookie), so a
    request without it is anonymous without running the user loader: participants' phones and
    visitors, the busiest requests, never pay for it.
    """
    from flask_login import current_user

    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    return cast(User, current_user.user)


__all__ = ["bp", "init_auth", "login_manager", "login_required"]
