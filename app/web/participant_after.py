"""After a session, participant side (no account): the impression note and the debrief result.

The phone is recognised by h6's participant cookie (`participant_session.current_participant`),
by the session's uuid in the address, so these pages keep working after the session closed (the
join code is dead by then). A phone that is not a participant of the session gets 404.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from sqlmodel import select
from werkzeug.wrappers import Response as BaseResponse

from ..db import read_session, write_session
from ..facilitation import debrief, impressions
from ..facilitation.errors import DomainError
from ..models import Meeting, Participant
from .after_common import message
from .context import clock, engine
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
    try:
        base = int(request.form.get("version", "0"))
    except ValueError:
        base = -1
    try:
        with write_session(engine()) as db:
            impressions.save(db, clock(), meeting, participant, text=text, consent=consent,
                             base_version=base, send=send, editor=request.form.get("editor", ""))
    except DomainError as error:
        status = 409 if error.code == "impression-conflict" else 422
        return _page(meeting, participant, status=status, error=message(error), typed=text, consent=consent)
    if request.headers.get("HX-Request") == "true":
        return _page(meeting, participant, saved=True)
    return redirect(url_for("participant_after.impression", meeting_uuid=meeting_uuid, saved=1), code=303)


@bp.get("/p/<meeting_uuid>/bilan")
def board(meeting_uuid: str) -> Response:
    """The debrief result as the participants see it on their phones (read-only)."""
    meeting, participant = _load(meeting_uuid)
    with read_session(engine()) as db:
        result = debrief.board(db, meeting.id or 0)
    return render("after/participant_board.html", "after/_participant_board.html", meeting=meeting,
                  participant=participant, board=result, title=_("Bilan de la séance"))
