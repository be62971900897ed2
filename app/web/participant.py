"""Participants on their phones: join by code (typed or scanned), post notes, see the wall, vote.

No account: joining puts a participant token in the session cookie (`participant_session`). Every
page works without JavaScript (plain forms, 303 redirects); with htmx, forms swap their own region
and the wall follows through `live` polls. Failed join attempts are rate-limited per address and
per code; only failures count, so a room sharing one address is never locked out by its successes.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..db import is_sqlite, read_session, write_session
from ..facilitation import joining, notes, votes
from ..facilitation.enums import MeetingStatus, PersonRole
from ..facilitation.errors import DomainError, NotFound
from ..facilitation.phone_state import PhoneState, phone_state
from ..models import Community, Meeting, Participant
from . import live_updates as lu
from .context import clock, engine
from .ids import parse_id
from .labels import PERSON_ROLE_LABELS
from .limits import client_address, limiter
from .participant_session import current_participant, remember_participant
from .rendering import render, render_fragment, render_fragment_once, wants_partial

bp = Blueprint("participant", __name__)

bp.add_app_template_global(lu.note_html, "note_html")
bp.add_app_template_global(lu.notes_html, "notes_html")
bp.add_app_template_global(lu.by_dimension, "by_dimension")
#: Roles a participant may choose when joining.
JOIN_ROLES = [PersonRole.VISITOR, PersonRole.HOST, PersonRole.ELECTED, PersonRole.INHABITANT,
              PersonRole.FUNDER, PersonRole.RESEARCHER]


def _failed(response: Response) -> bool:
    """Only failed attempts count against the join limits."""
    return response.status_code in (404, 410, 422)


def _code_key() -> str:
    typed = request.form.get("code") or (request.view_args or {}).get("code") or ""
    return f"join-code:{joining.normalise_code(str(typed)) or 'invalid'}"


join_limits = [
    limiter.limit("60 per minute;600 per hour", key_func=client_address, deduct_when=_failed),
    limiter.limit("20 per minute", key_func=_code_key, deduct_when=_failed),
]


def _limited(view: Any) -> Any:
    for decorate in reversed(join_limits):
        view = decorate(view)
    return view


class CodeForm(FlaskForm):
    """The join code, as read on the big screen."""

    code = StringField(_l("Code de la séance"), validators=[DataRequired(message=_l("Indiquez le code.")),
                                                            Length(max=20)])


class JoinForm(FlaskForm):
    """Who joins: a name or pseudonym, a role, a community."""

    name = StringField(_l("Votre nom ou pseudonyme"), validators=[
        DataRequired(message=_l("Indiquez un nom ou un pseudonyme.")), Length(max=joining.NAME_MAX)])
    role = RadioField(_l("Votre rôle"), validators=[DataRequired(message=_l("Choisissez un rôle."))])
    community = RadioField(_l("Votre communauté"), default="")


class NoteForm(FlaskForm):
    """A note on the grid; `key` makes a retried post land once."""

    key = HiddenField()
    dimension = SelectField(_l("Dimension de la grille"))
    question = SelectField(_l("Question (facultatif)"), default="")
    text = TextAreaField(_l("Votre note"), validators=[DataRequired(message=_l("La note est vide.")),
                                                       Length(max=notes.NOTE_MAX)])


def _meeting_by_uuid(meeting_uuid: str) -> Meeting:
    with read_session(engine()) as db:
        from sqlmodel import select

        meeting = db.exec(select(Meeting).where(Meeting.uuid == meeting_uuid)).first()
        if meeting is None:
            abort(404)
        db.expunge(meeting)
    return meeting


def _phone_participant(meeting_uuid: str) -> tuple[Meeting, Participant]:
    meeting = _meeting_by_uuid(meeting_uuid)
    participant = current_participant(meeting)
    if participant is None:
        abort(404)  # another session's participant, or a stranger: nothing to see here
    return meeting, participant


# -- joining ---------------------------------------------------------------------------------------------


@bp.route("/rejoindre", methods=["GET", "POST"])
@_limited
def join_by_code() -> Response | BaseResponse:
    """Type the code shown on the big screen."""
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            with read_session(engine()) as db:
                meeting = joining.meeting_for_code(db, form.code.data or "")
            return redirect(url_for("participant.join", code=meeting.join_code), code=303)
        except DomainError as refused:
            error = lu.refusal(refused.code)
    status = 422 if request.method == "POST" else 200
    return render("live/join_code.html", "live/_join_code.html", status=status, form=form, error=error,
                  with_csrf=True)


def _communities(db: Any, meeting: Meeting) -> list[tuple[str, str]]:
    choices = []
    for community_id in joining.communities_of(db, meeting):
        community = db.get(Community, community_id)
        if community is not None:
            choices.append((str(community.id), community.name))
    return choices


@bp.route("/rejoindre/<code>", methods=["GET", "POST"])
@_limited
def join(code: str) -> Response | BaseResponse:
    """The page the QR code opens: say who you are; a phone that already joined goes straight in."""
    with read_session(engine()) as db:
        try:
            meeting = joining.meeting_for_code(db, code)
        except DomainError as refused:
            status = 410 if refused.code == "code-expired" else 404
            return render("live/join_code.html", "live/_join_code.html", status=status, form=CodeForm(),
                          error=lu.refusal(refused.code), with_csrf=True)
        db.expunge(meeting)
        communities = _communities(db, meeting)
    if current_participant(meeting, touch=False) is not None:
        return redirect(url_for("participant.phone", meeting_uuid=meeting.uuid), code=303)
    form = JoinForm()
    form.role.choices = [(role.value, str(PERSON_ROLE_LABELS[role])) for role in JOIN_ROLES]
    form.community.choices = [*communities, ("", str(_l("Autre / je préfère ne pas le dire")))]
    error = None
    if form.validate_on_submit():
        community = form.community.data or ""
        try:
            with write_session(engine()) as db:
                fresh = db.get(Meeting, meeting.id)
                assert fresh is not None
                _participant, token = joining.join(db, clock(), fresh, joining.JoinForm(
                    form.name.data or "", form.role.data or "", parse_id(community)))
            remember_participant(meeting, token)
            return redirect(url_for("participant.phone", meeting_uuid=meeting.uuid), code=303)
        except DomainError as refused:
            error = lu.refusal(refused.code, **refused.params)
    status = 422 if request.method == "POST" else 200
    return render("live/join.html", "live/_join.html", status=status, form=form, meeting=meeting,
                  code=joining.display_code(meeting.join_code or ""), error=error, with_csrf=True)


# -- the phone page ----------------------------------------------------------------------------------------


def _note_form(meeting: Meeting, current_dims: list[str], data: dict[str, str] | None = None) -> NoteForm:
    form = NoteForm(formdata=None, data=data) if data is not None else NoteForm()
    grid = lu.dimensions()
    ordered = [d for d in grid if d.id in current_dims] + [d for d in grid if d.id not in current_dims]
    form.dimension.choices = [(d.id, d.title) for d in ordered]
    form.question.choices = [("", str(_l("Aucune question précise")))] + [
        (qid, f"{d.title} — {text}") for d in ordered for qid, text in d.questions]
    if not form.key.data or data is not None and "key" not in data:
        form.key.data = str(uuid_module.uuid4())
    if not form.dimension.data and ordered:
        form.dimension.data = ordered[0].id
    return form


def _phone_context(meeting: Meeting, participant: Participant, since: int | None = None,
                   epoch: int | None = None, *, fresh_row: bool = False,
                   db: Session | None = None, state: PhoneState | None = None) -> dict[str, Any]:
    """What the phone page shows; with `since` (and the same wall epoch), only the wall's changes.

    `fresh_row`: `meeting` was just read (it is not read again). `db`: the session to read with
    (else a short one of its own). `state`: the poll's lookup, which already holds the current
    step and the participant's ballot (they are not read again).
    """
    from ..models import AgendaStep

    if db is None:
        with read_session(engine(), latest=True) as own:  # (the wall's copy is exact whatever the snapshot)
            return _phone_context(meeting, participant, since, epoch, fresh_row=fresh_row, db=own, state=state)
    fresh = meeting if fresh_row or state is not None else db.get(Meeting, meeting.id)
    assert fresh is not None
    delta_ok = since is not None and epoch == fresh.wall_epoch and since <= fresh.version
    mine: AbstractSet[int]
    if state is not None:
        mine, used, step = state.voted, state.standing_votes, state.step
    else:
        mine, used = votes.ballot(db, participant.id or 0)
        step = db.get(AgendaStep, fresh.current_step_id) if fresh.current_step_id is not None else None
    wall = notes.wall(db, fresh, notes.participant_viewer(participant), since=since if delta_ok else None,
                      mine=mine)
    db.expunge_all()
    return {"meeting": fresh, "participant": participant, "wall": wall, "delta": wall if delta_ok else None,
            "seen": since, "votes_left":
            max(0, fresh.votes_per_participant - used), "step": step, "grid": lu.dimensions(),
            "posture": lu.kit_item(fresh.shown_posture_id), **lu.clock_context(fresh)}


@bp.get("/p/<meeting_uuid>")
def phone(meeting_uuid: str) -> Response | BaseResponse:
    """A participant's page: the step and timer, the note form, the wall, votes left."""
    meeting = _meeting_by_uuid(meeting_uuid)
    participant = current_participant(meeting)
    if participant is None:
        if meeting.status is MeetingStatus.LIVE and meeting.join_code:
            return redirect(url_for("participant.join", code=meeting.join_code), code=303)
        abort(404)
    context = _phone_context(meeting, participant)
    step = context["step"]
    form = _note_form(meeting, list(getattr(step, "dimensions", []) or []))
    return render("live/phone.html", "live/_phone.html", form=form, message=request.args.get("ok"),
                  with_csrf=True, **context)


@bp.get("/p/<meeting_uuid>/live")
def phone_live(meeting_uuid: str) -> Response:
    """What changed on the phone since the version it has (304 when nothing did)."""
    with read_session(engine(), latest=True) as db:  # one session (one pool checkout) for the poll
        state = phone_state(db, meeting_uuid, _phone_token(meeting_uuid))  # one statement
        if state is None:
            abort(404)
        meeting, participant = state.meeting, state.participant
        etag = lu.etag_for(meeting.version, f"p{participant.id}")
        unchanged = lu.not_modified(etag)
        if unchanged is not None:
            return unchanged
        if (clock().now() - participant.last_seen_at).total_seconds() >= joining.TOUCH_EVERY:
            with write_session(engine()) as writing:  # who is present, for the console
                joining.touch(writing, clock(), participant)
        seen, epoch = lu.client_state()
        context = _phone_context(meeting, participant, seen, epoch, db=db, state=state)
    fresh: Meeting = context["meeting"]
    return lu.live_response("live/_phone_live.html", lu.etag_for(fresh.version, f"p{participant.id}"),
                            **context)


def _phone_token(meeting_uuid: str) -> str | None:
    """The participant token this phone's cookie holds for the session, if any."""
    from flask import session as cookie

    tokens = cookie.get("participants")
    token = tokens.get(meeting_uuid) if isinstance(tokens, dict) else None
    return token if isinstance(token, str) else None


def _phone_for_post(meeting_uuid: str, db: Session | None = None) -> tuple[Meeting, Participant]:
    """The session and this phone's participant in one query (the hot paths of a busy room); else 404.

    `db`: the session to read with (else a short one of its own)."""
    token = _phone_token(meeting_uuid)
    if token is None:
        abort(404)
    if db is None:
        with read_session(engine(), latest=True) as own:
            return _phone_for_post(meeting_uuid, own)
    found = joining.session_and_participant(db, meeting_uuid, token)
    if found is None:
        abort(404)
    return found


@contextmanager
def _posting(meeting_uuid: str) -> Iterator[tuple[Session, Meeting, Participant]]:
    """The session a phone's note post writes with, and the session and participant it is for.

    On SQLite: the lookup, then a write transaction (writers take turns). On PostgreSQL, where the
    post is one statement committed by itself (`notes.post(alone=True)`): both on one autocommit
    connection, so the post costs one pool checkout instead of two.
    """
    if is_sqlite(engine()):
        meeting, participant = _phone_for_post(meeting_uuid)
        with write_session(engine()) as db:
            yield db, meeting, participant
        return
    with read_session(engine(), latest=True) as db:
        meeting, participant = _phone_for_post(meeting_uuid, db)
        yield db, meeting, participant


@bp.post("/p/<meeting_uuid>/notes")
def post_note(meeting_uuid: str) -> Response | BaseResponse:
    """Post a note (idempotent on the form's key).

    Without JavaScript: a redirect to the phone page. With htmx: only the form's key (a fresh one),
    its emptied text box and a status line come back (the chosen dimension stays selected).
    """
    form = request.form
    fields = {"key": form.get("key", ""), "dimension": form.get("dimension", ""),
              "question": form.get("question", ""), "text": form.get("text", "")}
    error = None
    try:
        with _posting(meeting_uuid) as (db, meeting, participant):
            note, _created = notes.post(
                db, clock(), meeting, client_key=fields["key"], dimension_id=fields["dimension"], text=fields["text"],
                dimensions=lu.dimension_ids(), question_id=fields["question"] or None, questions=lu.question_ids(),
                participant=participant, step_id=meeting.current_step_id, alone=True)
            note_uuid = note.uuid
    except DomainError as refused:
        error = lu.refusal(refused.code, **refused.params)
    if error is None:
        if not wants_partial():
            return redirect(url_for("participant.phone", meeting_uuid=meeting_uuid, ok="1") + f"#n-{note_uuid}",
                            code=303)
        return render_fragment_once("live/_note_sent.html", slots={"new_key": str(uuid_module.uuid4())}, error=None)
    if wants_partial():
        return render_fragment("live/_note_sent.html", status=422, new_key=None, error=error)
    note_form = _note_form(meeting, [fields["dimension"]], data=fields)
    return render("live/phone.html", "live/_phone.html", status=422, form=note_form, error=error,
                  with_csrf=True, **_phone_context(meeting, participant))


class EditForm(FlaskForm):
    """A new text for one's own note."""

    text = TextAreaField(_l("Votre note"), validators=[DataRequired(message=_l("La note est vide.")),
                                                       Length(max=notes.NOTE_MAX)])


@bp.route("/p/<meeting_uuid>/notes/<int:note_id>", methods=["GET", "POST"])
def edit_note(meeting_uuid: str, note_id: int) -> Response | BaseResponse:
    """Edit or delete one's own note (anybody else's note answers 404)."""
    meeting, participant = _phone_participant(meeting_uuid)
    from ..models import Note

    with read_session(engine()) as db:
        note = db.get(Note, note_id)
        if (note is None or note.meeting_id != meeting.id or note.participant_id != participant.id
                or note.deleted_at is not None):
            abort(404)
        db.expunge(note)
    form = EditForm(data={"text": note.text} if request.method == "GET" else None)
    error = None
    if request.method == "POST" and request.form.get("delete") and form.is_submitted():
        if form.validate_on_submit() or not form.errors.get("csrf_token"):
            with write_session(engine()) as db:
                fresh = db.get(Meeting, meeting.id)
                assert fresh is not None
                try:
                    notes.delete_own(db, clock(), fresh, participant, note_id)
                except NotFound:
                    abort(404)
                except DomainError as refused:
                    error = lu.refusal(refused.code)
            if error is None:
                return redirect(url_for("participant.phone", meeting_uuid=meeting_uuid), code=303)
    elif form.validate_on_submit():
        try:
            with write_session(engine()) as db:
                fresh = db.get(Meeting, meeting.id)
                assert fresh is not None
                notes.edit(db, clock(), fresh, participant, note_id, form.text.data or "")
            return redirect(url_for("participant.phone", meeting_uuid=meeting_uuid) + f"#n-{note.uuid}", code=303)
        except NotFound:
            abort(404)
        except DomainError as refused:
            error = lu.refusal(refused.code, **refused.params)
    status = 422 if request.method == "POST" else 200
    return render("live/edit_note.html", "live/_edit_note.html", status=status, form=form, note=note,
                  meeting=meeting, error=error, with_csrf=True)


@bp.post("/p/<meeting_uuid>/votes")
def vote(meeting_uuid: str) -> Response | BaseResponse:
    """Give (`note`) or take back (`retirer`) a vote; the limit is checked on the server."""
    meeting, participant = _phone_participant(meeting_uuid)
    give, take = request.form.get("note", ""), request.form.get("retirer", "")
    note_id = parse_id(give or take)
    if note_id is None:
        abort(400)
    error = None
    with write_session(engine()) as db:
        fresh = db.get(Meeting, meeting.id)
        assert fresh is not None
        try:
            if give:
                votes.vote(db, clock(), fresh, participant, note_id)
            else:
                votes.unvote(db, clock(), fresh, participant, note_id)
        except NotFound:
            abort(404)
        except DomainError as refused:
            error = lu.refusal(refused.code, **refused.params)
    if not wants_partial():
        if error is not None:
            context = _phone_context(meeting, participant)
            return render("live/phone.html", "live/_phone.html", status=422, vote_error=error,
                          form=_note_form(meeting, []), with_csrf=True, **context)
        return redirect(url_for("participant.phone", meeting_uuid=meeting_uuid) + "#mur", code=303)
    context = _phone_context(meeting, participant)
    wall: notes.Wall = context["wall"]
    changed = [n for n in wall.notes if n.id == note_id]
    return render("live/phone.html", "live/_vote_result.html", status=422 if error else 200,
                  vote_error=error, changed=changed, with_csrf=True, **context)


@bp.get("/horloge")
def server_clock() -> Response:
    """The server's time, for the countdown script's clock-offset measurement."""
    return lu.server_time()
