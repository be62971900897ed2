"""Accounts administration (coordinators): users, invitation links, password-reset links; the
applications to the call; and the two pages a link opens: `/inscription/<token>`, `/mot-de-passe/<token>`.

Links are shown once, to copy (no e-mail server): only their hash is stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user
from sqlmodel import select
from werkzeug.wrappers import Response as BaseResponse

from ..db import read_session, write_session
from ..facilitation import accounts, applications
from ..facilitation.access import is_coordinator
from ..facilitation.enums import LinkKind, UserRole
from ..facilitation.errors import DomainError
from ..models import Accompaniment, User
from .accompaniments import me
from .auth import SignedIn
from .context import clock, engine
from .domain_messages import ACCOUNT_MESSAGES, account_message
from .ids import parse_id
from .limits import limiter
from .rendering import render

bp = Blueprint("admin", __name__)





def coordinator() -> User:
    """The signed-in coordinator; 403 for anyone else."""
    user = me()
    if not is_coordinator(user):
        abort(403)
    return user


def _base_url() -> str:
    return request.host_url.rstrip("/")


# -- users and links ---------------------------------------------------------------------------------


def _users_page(status: int = 200, error: str | None = None, issued: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> Response:
    coordinator()
    with read_session(engine()) as db:
        users = db.exec(select(User).order_by(User.display_name)).all()
        all_accompaniments = db.exec(select(Accompaniment).order_by(Accompaniment.title)).all()
    return render("admin/users.html", "admin/_users.html", status=status, users=users,
                  accompaniments=all_accompaniments, error=error, issued=issued, form=form or {},
                  roles=list(UserRole), chosen_accompaniment=request.args.get("accompaniment", ""),
                  with_csrf=True)


@bp.route("/admin/comptes")
@login_required
def users() -> Response:
    """The accounts, and the forms issuing invitation and reset links."""
    return _users_page()


@bp.route("/admin/invitations", methods=["POST"])
@login_required
def invite() -> Response:
    """Create an invitation link (expiring, single use), shown once to copy."""
    user = coordinator()
    try:
        role = UserRole(request.form.get("role", "facilitator"))
    except ValueError:
        role = UserRole.FACILITATOR
    raw = request.form.get("accompaniment_id", "")
    email = (request.form.get("email") or "").strip()
    if email and "@" not in email:
        return _users_page(422, str(ACCOUNT_MESSAGES["email-invalid"]), form=dict(request.form))
    with write_session(engine()) as db:
        wanted_id = parse_id(raw)
        found = db.get(Accompaniment, wanted_id) if wanted_id is not None else None
        accompaniment_id = found.id if found is not None else None
        issued = accounts.create_link(db, clock(), kind=LinkKind.INVITATION, created_by=user, role=role,
                                      email=email or None, accompaniment_id=accompaniment_id)
        expires = issued.link.expires_at
    link = _base_url() + url_for("admin.sign_up", token=issued.token)
    return _users_page(issued={"kind": "invitation", "url": link, "expires": expires.strftime("%Y-%m-%d %H:%M")})


@bp.route("/admin/comptes/<int:user_id>/reinitialiser", methods=["POST"])
@login_required
def reset_link(user_id: int) -> Response:
    """Create a password-reset link for an account, shown once to copy."""
    user = coordinator()
    with write_session(engine()) as db:
        target = db.get(User, user_id)
        if target is None:
            abort(404)
        issued = accounts.create_link(db, clock(), kind=LinkKind.PASSWORD_RESET, created_by=user, user=target)
        expires = issued.link.expires_at
        name = target.display_name
    link = _base_url() + url_for("admin.reset_password", token=issued.token)
    return _users_page(issued={"kind": "reset", "url": link, "name": name,
                               "expires": expires.strftime("%Y-%m-%d %H:%M")})


def _sign_in(user: User) -> None:
    with write_session(engine()) as db:
        token = accounts.start_login(db, clock(), user)
    session.clear()
    login_user(SignedIn(user, token))


@bp.route("/inscription/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def sign_up(token: str) -> Response | BaseResponse:
    """Sign up through an invitation link; signed in at once."""
    error = None
    form = dict(request.form) if request.method == "POST" else {}
    try:
        with read_session(engine()) as db:
            link = accounts.find_link(db, clock(), token, LinkKind.INVITATION)
            invited_email = link.email
    except DomainError as refused:
        return render("admin/link_error.html", "admin/_link_error.html", status=404,
                      error=account_message(refused))
    if request.method == "POST":
        try:
            if form.get("password", "") != form.get("password2", ""):
                raise DomainError("password-mismatch")
            with write_session(engine()) as db:
                user = accounts.accept_invitation(db, clock(), token, email=form.get("email", ""),
                                                  display_name=form.get("display_name", ""),
                                                  password=form.get("password", ""))
                db.flush()
                db.expunge(user)
        except DomainError as refused:
            error = account_message(refused)
        else:
            _sign_in(user)
            flash(_("Bienvenue ! Votre compte est créé."), "success")
            return redirect(url_for("accompaniments.index"), code=303)
    form.pop("password", None)
    form.pop("password2", None)
    if invited_email and not form.get("email"):
        form["email"] = invited_email
    return render("admin/sign_up.html", "admin/_sign_up.html", status=422 if error else 200, error=error,
                  form=form, token=token, with_csrf=True)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token: str) -> Response | BaseResponse:
    """Choose a new password through a reset link (signs out every other browser)."""
    try:
        with read_session(engine()) as db:
            accounts.find_link(db, clock(), token, LinkKind.PASSWORD_RESET)
    except DomainError as refused:
        return render("admin/link_error.html", "admin/_link_error.html", status=404,
                      error=account_message(refused))
    error = None
    if request.method == "POST":
        try:
            if request.form.get("password", "") != request.form.get("password2", ""):
                raise DomainError("password-mismatch")
            with write_session(engine()) as db:
                user = accounts.reset_password(db, clock(), token, request.form.get("password", ""))
                db.flush()
                db.expunge(user)
        except DomainError as refused:
            error = account_message(refused)
        else:
            _sign_in(user)
            flash(_("Mot de passe changé."), "success")
            return redirect(url_for("accompaniments.index"), code=303)
    return render("admin/reset.html", "admin/_reset.html", status=422 if error else 200, error=error,
                  token=token, with_csrf=True)


# -- applications to the call ----------------------------------------------------------------------------


@bp.route("/admin/candidatures")
@login_required
def applications_list() -> Response:
    """Every application, side by side (the chosen columns, or all new ones)."""
    coordinator()
    wanted = {n for n in map(parse_id, request.args.getlist("comparer")) if n is not None}
    with read_session(engine()) as db:
        rows = applications.listing(db)
    compared = [a for a in rows if a.id in wanted] if wanted else [a for a in rows if a.status == "new"]
    from .call import LEVELS, QUESTIONS

    return render("admin/applications.html", "admin/_applications.html", rows=rows, compared=compared,
                  diagnosis=applications.DIAGNOSIS, questions=QUESTIONS, levels=LEVELS, with_csrf=True)


def _decide(application_id: int, action: Any) -> Response | BaseResponse:
    user = coordinator()
    try:
        with write_session(engine()) as db:
            application = db.get(applications.CallApplication, application_id)
            if application is None:
                abort(404)
            target = action(db, application, user)
    except DomainError as refused:
        flash(account_message(refused), "error")
        return redirect(url_for("admin.applications_list"), code=303)
    return redirect(target, code=303)


@bp.route("/admin/candidatures/<int:application_id>/retenir", methods=["POST"])
@login_required
def choose(application_id: int) -> Response | BaseResponse:
    """Turn an application into an accompaniment (chosen stage) and open it."""
    def act(db: Any, application: Any, user: User) -> str:
        accompaniment = applications.choose(db, clock(), application, user)
        return url_for("accompaniments.show", accompaniment_id=accompaniment.id)

    return _decide(application_id, act)


@bp.route("/admin/candidatures/<int:application_id>/ecarter", methods=["POST"])
@login_required
def decline(application_id: int) -> Response | BaseResponse:
    """Set an application aside."""
    def act(db: Any, application: Any, user: User) -> str:
        applications.decline(db, clock(), application, user)
        return url_for("admin.applications_list")

    return _decide(application_id, act)
