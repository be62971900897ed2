"""After a session, participant side (no account): the impression note and the debrief result.

The phone is recognised by h6's participant cookie (`participant_session.current_participant`),
by the session's uuid in the address, so these pages keep working after the session closed (the
join code is dead by then). A phone that is not a participant of the session gets 404.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import col, select
from werkzeug.wrappers import Response as BaseResponse

from .. import get_state
from ..db import read_session, write_session
from ..facilitation import debrief, impressions
from ..facilitation.enums import MeetingStatus
from ..facilitation.errors import DomainError
from ..models import Meeting, Note, Participant
from . import htmx
from .after_common import message
from .context import clock, engine
from .ids import parse_id
from .limits import limiter
from .participant_session import current_participant
from .rendering import render

bp = Blueprint("participant_after", __name__)


def _load(meeting_uuid: str) -> tuple[Meeting, Participant]:
    with read_session(engine()) as db:
        meeting = db.exec(select(Meeting).where(Meeting.uuid == meeting_uuid)).first()
        if meeting is None:
            abort(404)
        db.expunge(meeting)
    participant = current_participant(meeting)
    if participant is None:
        abort(404)
    return meeting, participant


def _page(meeting: Meeting, participant: Participant, *, status: int = 200, error: str | None = None,
          typed: str | None = None, consent: bool | None = None, saved: bool = False) -> Response:
    with read_session(engine()) as db:
        note = impressions.get(db, meeting.id or 0, participant.id or 0)
    return render("after/impression.html", "after/_impression_status.html", status=status, meeting=meeting,
                  participant=participant, note=note, error=error, saved=saved,
                  text=typed if typed is not None else (note.text if note else ""),
                  consent=consent if consent is not None else bool(note and note.consent_report),
                  limit=impressions.TEXT_LIMIT, editor=request.form.get("editor") or secrets.token_urlsafe(12),
                  with_csrf=True)


@bp.get("/p/<meeting_uuid>/impression")
def impression(meeting_uuid: str) -> Response:
    """The participant's impression note (draft or sent)."""
    meeting, participant = _load(meeting_uuid)
    return _page(meeting, participant, saved=request.args.get("saved") == "1")


@bp.post("/p/<meeting_uuid>/impression")
@limiter.limit("60 per minute")
def save_impression(meeting_uuid: str) -> Response | BaseResponse:
    """Save the draft (autosave or button) or send it (`action=send`)."""
    meeting, participant = _load(meeting_uuid)
    text = request.form.get("text", "")
    consent = request.form.get("consent") == "on"
    send = request.form.get("action") == "send"
    version = parse_id(request.form.get("version", "0"))
    base = -1 if version is None else version
    try:
        with write_session(engine()) as db:
            impressions.save(db, clock(), meeting, participant, text=text, consent=consent,
                             base_version=base, send=send, editor=request.form.get("editor", ""))
    except DomainError as error:
        status = 409 if error.code == "impression-conflict" else 422
        return _page(meeting, participant, status=status, error=message(error), typed=text, consent=consent)
    if htmx:
        return _page(meeting, participant, saved=True)
    return redirect(url_for("participant_after.impression", meeting_uuid=meeting_uuid, saved=1), code=303)


@bp.get("/p/<meeting_uuid>/bilan")
def board(meeting_uuid: str) -> Response:
    """The debrief result as the participants see it on their phones (read-only)."""
    meeting, participant = _load(meeting_uuid)
    with read_session(engine()) as db:
        result = debrief.board(db, meeting.id or 0, shown_to=participant)
    return render("after/participant_board.html", "after/_participant_board.html", meeting=meeting,
                  participant=participant, board=result, title=_("Bilan de la séance"))


# -- a printed card scanned during a live session (its QR code opens /r/<id>) -------------------------


def _live_participation() -> tuple[Meeting, Participant] | None:
    """The running session this phone takes part in (the most recently joined one), if any."""
    from flask import session as cookie

    from .participant_session import COOKIE_KEY

    tokens = cookie.get(COOKIE_KEY)
    if not isinstance(tokens, dict) or not tokens:
        return None
    uuids = [key for key in tokens if isinstance(key, str)][-20:]
    with read_session(engine()) as db:
        live = {m.uuid: m for m in db.exec(select(Meeting).where(col(Meeting.uuid).in_(uuids),
                                                                 Meeting.status == MeetingStatus.LIVE)).all()}
        for meeting in live.values():
            db.expunge(meeting)
    for meeting_uuid in reversed(uuids):
        running = live.get(meeting_uuid)
        if running is not None:
            participant = current_participant(running, touch=False)
            if participant is not None:
                return running, participant
    return None


def _card_dimension(item_id: str) -> tuple[str, list[tuple[str, str]]]:
    from . import live_updates as lu

    kit = get_state().kit
    item = kit.get(item_id)
    choices = [(d, (kit.get(d).title if kit.get(d) else d)) for d in lu.dimension_ids()]  # type: ignore[union-attr]
    own = [d for d in (item.dimensions if item else []) if d in dict(choices)]
    return (own[0] if own else (choices[0][0] if choices else "")), choices


@bp.get("/r/<item_id>/seance")
def card_offer(item_id: str) -> Response:
    """Loaded by the resource page: for a phone in a running session, a form to add a note about
    this card to that session (linked to the card and its grid dimension); empty otherwise."""
    found = _live_participation()
    item = get_state().kit.get(item_id)
    if found is None or item is None:
        response = Response("", status=200)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    meeting, participant = found
    dimension, choices = _card_dimension(item_id)
    response = render("after/card_offer.html", "after/_card_offer.html", meeting=meeting, item=item,
                      dimension=dimension, choices=choices, key=secrets.token_hex(16), error=None, done=False,
                      with_csrf=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/p/<meeting_uuid>/carte/<item_id>")
@limiter.limit("30 per minute")
def card_note(meeting_uuid: str, item_id: str) -> Response | BaseResponse:
    """Add a note about a kit card to the running session, linked to the card."""
    from ..facilitation import notes
    from . import live_updates as lu

    meeting, participant = _load(meeting_uuid)
    item = get_state().kit.get(item_id)
    if item is None:
        abort(404)
    dimension = request.form.get("dimension", "")
    text = request.form.get("text", "")
    key = request.form.get("key", "")
    try:
        with write_session(engine()) as db:
            fresh = db.get(Meeting, meeting.id)
            assert fresh is not None
            note, _created = notes.post(db, clock(), fresh, client_key=key, dimension_id=dimension, text=text,
                                        dimensions=lu.dimension_ids(), participant=participant,
                                        step_id=fresh.current_step_id)
            db.execute(update(Note).where(col(Note.id) == note.id).values(card_id=item.id))
    except DomainError as refused:
        _dim, choices = _card_dimension(item_id)
        return render("after/card_offer.html", "after/_card_offer.html", status=422, meeting=meeting, item=item,
                      dimension=dimension, choices=choices, key=key, error=lu.refusal(refused.code, **refused.params),
                      done=False, typed=text, with_csrf=True)
    if htmx:
        _dim, choices = _card_dimension(item_id)
        return render("after/card_offer.html", "after/_card_offer.html", meeting=meeting, item=item,
                      dimension=dimension, choices=choices, key=secrets.token_hex(16), error=None, done=True,
                      with_csrf=True)
    return redirect(url_for("participant.phone", meeting_uuid=meeting_uuid, ok="1"), code=303)
