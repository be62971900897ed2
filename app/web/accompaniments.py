"""Accompaniment pages: `/accompagnements` (list, create) and `/accompagnements/<id>` (communities,
stage and its transitions, sessions, people, facilitators).

Every object route goes through `app.facilitation.access` (an accompaniment the user may not see
answers 404, like one that does not exist). Forms post normally (303 back to the page) and through
htmx alike; a refused form answers 422 with the page re-rendered, what was typed kept, and the reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlmodel import select
from werkzeug.wrappers import Response as BaseResponse

from ..db import read_session, write_session
from ..facilitation import accompaniments, lifecycle, planning
from ..facilitation.access import get_accompaniment, is_coordinator, visible_accompaniments
from ..facilitation.enums import MeetingKind, PersonRole, Stage, UserRole
from ..facilitation.errors import DomainError, NotFound
from ..models import Community, Territory, User
from .context import account, clock, engine
from .domain_messages import accompaniment_message as message
from .errors import error_response
from .ids import parse_id
from .labels import session_kind_label
from .navigation import go
from .rendering import render, wants_partial

bp = Blueprint("accompaniments", __name__)

STAGE_LABELS = {
    Stage.CALL: _l("Appel à manifestation d'intérêt"),
    Stage.CHOSEN: _l("Territoire retenu"),
    Stage.PREPARATION: _l("Préparation"),
    Stage.VISIT: _l("Visite"),
    Stage.AFTER_VISIT: _l("Après la visite"),
    Stage.CAPITALISED: _l("Capitalisé"),
}
ROLE_LABELS = {
    PersonRole.VISITOR: _l("Visiteur·se"),
    PersonRole.HOST: _l("Accueil"),
    PersonRole.ELECTED: _l("Élu·e"),
    PersonRole.INHABITANT: _l("Habitant·e"),
    PersonRole.FUNDER: _l("Financeur"),
    PersonRole.RESEARCHER: _l("Chercheur·se"),
    PersonRole.FACILITATOR: _l("Animateur·ice"),
    PersonRole.COORDINATOR: _l("Coordinateur·ice"),
}
ACCOUNT_ROLE_LABELS = {UserRole.FACILITATOR: _l("Animateur·ice"), UserRole.COORDINATOR: _l("Coordinateur·ice")}





def stage_label(stage: Stage | str) -> str:
    """The translated name of a stage."""
    return str(STAGE_LABELS[Stage(stage)])


def role_label(role: PersonRole | str) -> str:
    """The translated name of a person's role."""
    return str(ROLE_LABELS[PersonRole(role)])


@bp.app_template_global()
def fac_labels() -> dict[str, Any]:
    """Label helpers for facilitation templates."""
    return {"stage": stage_label, "role": role_label, "kind": session_kind_label,
            "account_role": lambda r: str(ACCOUNT_ROLE_LABELS[UserRole(r)])}


def me() -> User:
    """The signed-in user (views are `login_required`)."""
    user = account()
    if user is None:
        abort(401)
    return user


def parse_date(value: str | None) -> date | None:
    """An ISO date from a form, None when empty (`DomainError('date-invalid')`)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise DomainError("date-invalid") from error


def parse_minutes(value: str | None) -> int:
    """Minutes from a form field."""
    try:
        return int((value or "").strip())
    except ValueError as error:
        raise DomainError("number-invalid") from error


def structures() -> list[Any]:
    """The kit's member structures (a community may be one of them)."""
    from .. import get_state

    return get_state().kit.by_type("structure")


def _community_from_form(db: Any, prefix: str, territory: Territory | None) -> Community | None:
    """A community from `<prefix>_structure` (a kit structure) or `<prefix>_name` (free); None if both empty."""
    structure_id = (request.form.get(f"{prefix}_structure") or "").strip()
    name = (request.form.get(f"{prefix}_name") or "").strip()
    if structure_id:
        structure = next((s for s in structures() if s.id == structure_id), None)
        if structure is None:
            raise DomainError("community-length")
        existing = db.exec(select(Community).where(Community.structure_id == structure_id,
                                                   Community.is_demo == False)).first()  # noqa: E712
        return existing or accompaniments.create_community(db, clock(), name or structure.title,
                                                           structure_id=structure_id)
    if name:
        return accompaniments.create_community(db, clock(), name, territory=territory)
    return None


# -- list and create --------------------------------------------------------------------------------


def _list_page(status: int = 200, error: str | None = None, form: dict[str, str] | None = None) -> Response:
    user = me()
    with read_session(engine()) as db:
        rows = db.exec(visible_accompaniments(user)).all()
        territories = {t.id: t for t in db.exec(select(Territory)).all()}
        communities = {c.id: c for c in db.exec(select(Community)).all()}
    return render("accompaniments/list.html", "accompaniments/_list.html", status=status, rows=rows,
                  territories=territories, communities=communities, error=error, form=form or {},
                  structures=structures(), with_csrf=True)


@bp.route("/accompagnements", methods=["GET", "POST"])
@login_required
def index() -> Response | BaseResponse:
    """The accompaniments the user may see, and the form creating one."""
    if request.method == "GET":
        return _list_page()
    user = me()
    try:
        with write_session(engine()) as db:
            territory = accompaniments.find_or_create_territory(db, clock(), request.form.get("territory", ""),
                                                                request.form.get("region", ""))
            asking = _community_from_form(db, "asking", territory)
            if asking is None:
                raise DomainError("community-length")
            offering = _community_from_form(db, "offering", None)
            created = accompaniments.create_accompaniment(
                db, clock(), by=user, title=request.form.get("title") or territory.name, territory=territory,
                asking=asking, offering=offering, summary=request.form.get("summary", ""))
            new_id = created.id
    except DomainError as error:
        return _list_page(422, message(error), dict(request.form))
    flash(_("Accompagnement créé."), "success")
    return go(url_for("accompaniments.show", accompaniment_id=new_id))


# -- one accompaniment -------------------------------------------------------------------------------


def _page(accompaniment_id: int, status: int = 200, error: str | None = None,
          form: dict[str, str] | None = None, done: str | None = None, error_at: str | None = None) -> Response:
    """The accompaniment's page; an `error` shows in the form it is about (`error_at`, the endpoint
    that refused: its box open, as typed) when that form has a place for it, else at the top."""
    from .. import get_state

    user = me()
    with read_session(engine()) as db:
        accompaniment = get_accompaniment(db, user, accompaniment_id)
        view = accompaniments.overview(db, accompaniment)
        facilitators = (db.exec(select(User).where(User.active == True).order_by(User.display_name)).all()  # noqa: E712
                        if is_coordinator(user) else [])
    kit = get_state().kit
    return render(
        "accompaniments/show.html", "accompaniments/_show.html", status=status, view=view,
        next_stages=lifecycle.next_stages(view.accompaniment), order=lifecycle.ORDER,
        roles=list(PersonRole), kinds=list(MeetingKind), protocols=planning.protocols(kit),
        activities=planning.activities(kit), structures=structures(), facilitators=facilitators,
        coordinator=is_coordinator(user), error=error, form=form or {}, done=done, error_at=error_at,
        with_csrf=True,
    )


@bp.route("/accompagnements/<int:accompaniment_id>")
@login_required
def show(accompaniment_id: int) -> Response:
    """An accompaniment's page."""
    return _page(accompaniment_id)


def _act(accompaniment_id: int, action: Any, done: str) -> Response | BaseResponse:
    """Run `action(db, accompaniment, user)` in one unit of work; 303 back, or 422 with the reason."""
    user = me()
    try:
        with write_session(engine()) as db:
            accompaniment = get_accompaniment(db, user, accompaniment_id)
            target = action(db, accompaniment, user)
    except NotFound:
        raise
    except DomainError as error:
        return _page(accompaniment_id, 422, message(error), dict(request.form), error_at=request.endpoint)
    if target is None and wants_partial():  # the same page, swapped in place: the message comes with it
        return _page(accompaniment_id, done=done)
    flash(done, "success")
    return go(target or url_for("accompaniments.show", accompaniment_id=accompaniment_id))


def _version() -> int:
    version = parse_id(request.form.get("version"))
    return -1 if version is None else version


@bp.route("/accompagnements/<int:accompaniment_id>/etape", methods=["POST"])
@login_required
def change_stage(accompaniment_id: int) -> Response | BaseResponse:
    """Move the accompaniment to another stage (conditional on the version the page showed)."""
    def act(db: Any, accompaniment: Any, user: User) -> None:
        try:
            target = Stage(request.form.get("stage", ""))
        except ValueError as error:
            raise DomainError("stage-refused") from error
        lifecycle.transition(db, clock(), accompaniment, target, by=user, version=_version(),
                             comment=request.form.get("comment", ""))

    return _act(accompaniment_id, act, _("Étape mise à jour."))


@bp.route("/accompagnements/<int:accompaniment_id>/binome", methods=["POST"])
@login_required
def pair(accompaniment_id: int) -> Response | BaseResponse:
    """Choose the offering community (a kit structure, or a community by name)."""
    def act(db: Any, accompaniment: Any, user: User) -> None:
        offering = _community_from_form(db, "offering", None)
        if offering is None:
            raise DomainError("community-length")
        accompaniments.pair(db, clock(), accompaniment, offering, version=_version())

    return _act(accompaniment_id, act, _("Communauté accompagnatrice enregistrée."))


@bp.route("/accompagnements/<int:accompaniment_id>/personnes", methods=["POST"])
@login_required
def add_person(accompaniment_id: int) -> Response | BaseResponse:
    """Add someone taking part, by role and name or pseudonym."""
    def act(db: Any, accompaniment: Any, user: User) -> None:
        try:
            role = PersonRole(request.form.get("role", ""))
        except ValueError as error:
            raise DomainError("role-invalid") from error
        community = request.form.get("community_id") or ""
        accompaniments.add_person(db, clock(), accompaniment, name=request.form.get("name", ""), role=role,
                                  community_id=parse_id(community))

    return _act(accompaniment_id, act, _("Personne ajoutée."))


@bp.route("/accompagnements/<int:accompaniment_id>/personnes/<int:person_id>/retirer", methods=["POST"])
@login_required
def remove_person(accompaniment_id: int, person_id: int) -> Response | BaseResponse:
    """Remove someone from the accompaniment's people."""
    def act(db: Any, accompaniment: Any, user: User) -> None:
        try:
            accompaniments.remove_person(db, accompaniment_id, person_id)
        except DomainError as error:
            raise NotFound("person") from error

    return _act(accompaniment_id, act, _("Personne retirée."))


def _coordinator_only(user: User) -> None:
    if not is_coordinator(user):
        abort(403)


@bp.route("/accompagnements/<int:accompaniment_id>/animateurs", methods=["POST"])
@login_required
def add_facilitator(accompaniment_id: int) -> Response | BaseResponse:
    """A coordinator gives a facilitator access to the accompaniment."""
    def act(db: Any, accompaniment: Any, user: User) -> None:
        _coordinator_only(user)
        raw = request.form.get("user_id", "")
        user_id = parse_id(raw)
        member = db.get(User, user_id) if user_id is not None else None
        if member is None:
            raise DomainError("user-unknown")
        accompaniments.add_member(db, clock(), accompaniment_id, member)

    return _act(accompaniment_id, act, _("Animateur·ice ajouté·e."))


@bp.route("/accompagnements/<int:accompaniment_id>/animateurs/<int:user_id>/retirer", methods=["POST"])
@login_required
def remove_facilitator(accompaniment_id: int, user_id: int) -> Response | BaseResponse:
    """A coordinator takes a facilitator's access away."""
    def act(db: Any, accompaniment: Any, user: User) -> None:
        _coordinator_only(user)
        accompaniments.remove_member(db, accompaniment_id, user_id)

    return _act(accompaniment_id, act, _("Animateur·ice retiré·e."))


@bp.route("/accompagnements/<int:accompaniment_id>/seances", methods=["POST"])
@login_required
def create_meeting(accompaniment_id: int) -> Response | BaseResponse:
    """Create a session, planned from a protocol, from an activity sheet, or empty; go to its planning."""
    from .. import get_state

    def act(db: Any, accompaniment: Any, user: User) -> str:
        kit = get_state().kit
        source = request.form.get("template", "")
        template = None
        if source.startswith("protocole:"):
            template = planning.template_from_protocol(kit, source.split(":", 1)[1])
        elif source.startswith("activite:"):
            template = planning.template_from_activity(kit, source.split(":", 1)[1])
        # The kind chosen, else the protocol's, else the visit phase 2 is about.
        raw_kind = request.form.get("kind") or (template.kind.value if template and template.kind
                                                else MeetingKind.ACCOMPANIMENT_VISIT.value)
        try:
            kind = MeetingKind(raw_kind)
        except ValueError as error:
            raise DomainError("kind-invalid") from error
        title = request.form.get("title") or (template.title if template else "")
        meeting = planning.create_meeting(
            db, clock(), accompaniment, kind=kind, title=title, place=request.form.get("place", ""),
            starts_on=parse_date(request.form.get("starts_on")), ends_on=parse_date(request.form.get("ends_on")),
            template=template)
        return url_for("planning.prepare", meeting_id=meeting.id)

    return _act(accompaniment_id, act, _("Séance créée : préparez son déroulé."))


def _not_found(_error: NotFound) -> Response:
    return error_response(404)


bp.register_error_handler(NotFound, _not_found)
