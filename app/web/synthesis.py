"""The synthesis note's pages: the editor (facilitators), its versions and diffs, the validation links,
and the validation page each party opens from its link (no account).

A save that conflicts with a newer version answers 409 with the editor's text kept in the form,
the latest version beside it and the line differences between the two.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from ..db import read_session, write_session
from ..facilitation import synthesis
from ..facilitation.enums import Regard, ValidationDecision, ValidationParty
from ..facilitation.errors import DomainError, NotFound
from ..models import Meeting, Synthesis
from .after_common import meeting_for, message
from .context import account, clock, engine
from .ids import parse_id
from .limits import limiter
from .rendering import render

bp = Blueprint("synthesis", __name__)


def _texts() -> dict[Regard, str]:
    return {regard: request.form.get(regard.value, "") for regard in Regard}


def _editor(meeting_id: int, *, status: int = 200, error: str | None = None,
            typed: dict[Regard, str] | None = None, base: int | None = None,
            links: dict[ValidationParty, str] | None = None, in_person: dict[str, str] | None = None,
            in_person_error: str | None = None) -> Response:
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        found = synthesis.find(db, meeting_id)
        state = synthesis.status(db, found) if found is not None else None
        conflict = None
        if typed is not None and state is not None:
            conflict = {regard: synthesis.diff_texts(synthesis.regard_of(state.latest, regard), typed[regard])
                        for regard in Regard}
        invited = synthesis.invited_parties(db, found.id or 0) if found is not None else set()
        history = synthesis.history(db, found.id or 0) if found is not None else []
        texts = typed if typed is not None else (
            {regard: synthesis.regard_of(state.latest, regard) for regard in Regard} if state else {})
        return render("after/synthesis.html", "after/_synthesis.html", status=status, meeting=meeting,
                      accompaniment=accompaniment, state=state, texts=texts, error=error, conflict=conflict,
                      base=base if base is not None else (state.latest.number if state else 0),
                      invited=invited, links=links or {}, history=history, regards=list(Regard),
                      parties=list(ValidationParty), limit=synthesis.REGARD_LIMIT, with_csrf=True,
                      in_person=in_person or {"given_on": clock().now().date().isoformat()},
                      in_person_error=in_person_error)


@bp.get("/seances/<int:meeting_id>/synthese")
@login_required
def editor(meeting_id: int) -> Response:
    """The synthesis note of a session: its four regards, its status, its validation links."""
    return _editor(meeting_id)


@bp.post("/seances/<int:meeting_id>/synthese/commencer")
@login_required
def start(meeting_id: int) -> BaseResponse:
    """Start the note, pre-filled from the debrief (idempotent)."""
    with write_session(engine()) as db:
        meeting, _acc = meeting_for(db, meeting_id)
        synthesis.start(db, clock(), meeting, account())
    return redirect(url_for("synthesis.editor", meeting_id=meeting_id), code=303)


@bp.post("/seances/<int:meeting_id>/synthese")
@login_required
def save(meeting_id: int) -> Response | BaseResponse:
    """Save the four regards as a new version (conditional on the version the editor started from)."""
    typed = _texts()
    base = parse_id(request.form.get("base_version"))
    if base is None:
        abort(400)
    user = account()
    assert user is not None
    try:
        with write_session(engine()) as db:
            _meeting, _acc = meeting_for(db, meeting_id)
            found = synthesis.find(db, meeting_id)
            if found is None:
                abort(404)
            saved = synthesis.save(db, clock(), found, base_version=base, texts=typed, user=user)
            number = saved.number
    except DomainError as error:
        status = 409 if error.code == "synthesis-conflict" else 422
        keep_base = base if error.code != "synthesis-conflict" else int(error.params.get("current", base))
        return _editor(meeting_id, status=status, error=message(error), typed=typed, base=keep_base)
    flash(_("Version %(number)s enregistrée.", number=number), "success")
    return redirect(url_for("synthesis.editor", meeting_id=meeting_id), code=303)


@bp.get("/seances/<int:meeting_id>/synthese/versions")
@login_required
def versions(meeting_id: int) -> Response:
    """Every version: who saved it, when, whether it was validated."""
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        found = synthesis.find(db, meeting_id)
        if found is None:
            abort(404)
        return render("after/versions.html", "after/_versions.html", meeting=meeting,
                      accompaniment=accompaniment, versions=synthesis.versions(db, found.id or 0))


@bp.get("/seances/<int:meeting_id>/synthese/versions/<int:number>")
@login_required
def version(meeting_id: int, number: int) -> Response:
    """One version and what changed since the one before (unified diff per regard)."""
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        found = synthesis.find(db, meeting_id)
        if found is None:
            abort(404)
        try:
            shown = synthesis.get_version(db, found.id or 0, number)
            before = synthesis.get_version(db, found.id or 0, number - 1) if number > 1 else None
        except NotFound:
            abort(404)
        return render("after/version.html", "after/_version.html", meeting=meeting, accompaniment=accompaniment,
                      shown=shown, diff=synthesis.diff(before, shown), regards=list(Regard),
                      answers=synthesis.answers(db, shown.id or 0))


@bp.post("/seances/<int:meeting_id>/synthese/liens/<party>")
@login_required
def make_link(meeting_id: int, party: str) -> Response:
    """A new validation link for one party, shown once (a previous link for that party stops working)."""
    if party not in {p.value for p in ValidationParty}:
        abort(404)
    with write_session(engine()) as db:
        _meeting, _acc = meeting_for(db, meeting_id)
        found = synthesis.find(db, meeting_id)
        if found is None:
            abort(404)
        token = synthesis.invite(db, clock(), found, ValidationParty(party))
        # The links the page showed still show (each appears once, and the facilitator may be
        # making all three in a row); only links that still work for this synthesis are kept.
        links: dict[ValidationParty, str] = {}
        for shown in request.form.getlist("shown")[: len(ValidationParty)]:
            shown_token = shown.rstrip("/").rsplit("/", 1)[-1]
            try:
                invitation = synthesis.invite_for(db, shown_token)
            except NotFound:
                continue
            if invitation.synthesis_id == found.id and invitation.party != ValidationParty(party):
                links[invitation.party] = url_for("synthesis.validate", token=shown_token, _external=True)
    links[ValidationParty(party)] = url_for("synthesis.validate", token=token, _external=True)
    return _editor(meeting_id, links=links)


@bp.post("/seances/<int:meeting_id>/synthese/en-personne")
@login_required
def record_in_person(meeting_id: int) -> Response | BaseResponse:
    """Record an approval a party gave in person (meeting, paper), on its behalf, on the latest version."""
    typed = {name: request.form.get(name, "") for name in ("party", "approver_name", "given_on", "note")}
    number = parse_id(request.form.get("version"))
    if number is None:
        abort(400)
    user = account()
    assert user is not None
    try:
        if typed["party"] not in {p.value for p in ValidationParty}:
            raise DomainError("party-missing")
        try:
            given_on = date.fromisoformat(typed["given_on"].strip())
        except ValueError:
            raise DomainError("given-on-missing") from None
        with write_session(engine()) as db:
            _meeting, _acc = meeting_for(db, meeting_id)
            found = synthesis.find(db, meeting_id)
            if found is None:
                abort(404)
            synthesis.record_in_person(db, clock(), found, user=user, version_number=number,
                                       party=ValidationParty(typed["party"]), approver_name=typed["approver_name"],
                                       given_on=given_on, note=typed["note"])
    except NotFound:
        abort(404)
    except DomainError as error:
        return _editor(meeting_id, status=409 if error.code == "synthesis-changed" else 422, in_person=typed,
                       in_person_error=message(error))
    flash(_("Validation en personne enregistrée."), "success")
    # to the parties' table, where the approval now shows (the form may be gone: no party left waiting)
    return redirect(url_for("synthesis.editor", meeting_id=meeting_id) + "#titre-statut", code=303)


# -- the approvers' page ---------------------------------------------------------------------------


def _validation_page(token: str, *, status: int = 200, error: str | None = None, done: bool = False,
                     typed_name: str = "", typed_comment: str = "", typed_decision: str = "") -> Response:
    with read_session(engine()) as db:
        try:
            invitation = synthesis.invite_for(db, token)
        except NotFound:
            abort(404)
        found = db.get(Synthesis, invitation.synthesis_id)
        if found is None:
            abort(404)
        meeting = db.get(Meeting, found.meeting_id)
        state = synthesis.status(db, found)
        return render("after/validate.html", "after/_validate.html", status=status, token=token,
                      invitation=invitation, meeting=meeting, state=state, regards=list(Regard), error=error,
                      done=done, typed_name=typed_name, typed_comment=typed_comment, typed_decision=typed_decision,
                      mine=state.answers.get(invitation.party), with_csrf=True)


@bp.get("/validation/<token>")
@limiter.limit("60 per minute")
def validate(token: str) -> Response:
    """A party reads the latest version and approves it or asks for changes."""
    return _validation_page(token, done=request.args.get("ok") == "1")


@bp.post("/validation/<token>")
@limiter.limit("20 per minute")
def answer(token: str) -> Response | BaseResponse:
    """Record the party's answer on the version it read."""
    name = request.form.get("name", "")
    comment = request.form.get("comment", "")
    choice = request.form.get("decision", "")
    if choice not in {d.value for d in ValidationDecision}:
        return _validation_page(token, status=422, error=_("Choisissez : approuver, ou demander des modifications."),
                                typed_name=name, typed_comment=comment)
    number = parse_id(request.form.get("version"))
    if number is None:
        abort(400)
    try:
        with write_session(engine()) as db:
            invitation = synthesis.invite_for(db, token)
            synthesis.answer(db, clock(), invitation, version_number=number, decision=ValidationDecision(choice),
                             approver_name=name, comment=comment)
    except NotFound:
        abort(404)
    except DomainError as error:
        return _validation_page(token, status=422 if error.code != "synthesis-changed" else 409,
                                error=message(error), typed_name=name, typed_comment=comment, typed_decision=choice)
    return redirect(url_for("synthesis.validate", token=token, ok=1), code=303)
