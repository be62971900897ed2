"""After a session, facilitator side: the debrief board (clusters), the impression-note follow-up.

Every route loads the session through `after_common.meeting_for` (404 for a session the account
may not see). The board works without JavaScript (select notes, choose a cluster, move); with
JavaScript, notes can also be dragged onto a cluster (`static/debrief.js` submits the same form).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse

from ..db import read_session, write_session
from ..facilitation import debrief, impressions
from ..facilitation.enums import Regard
from ..facilitation.errors import DomainError, NotFound
from . import htmx
from .after_common import meeting_for, message
from .context import clock, engine
from .ids import parse_id
from .rendering import render

bp = Blueprint("debrief", __name__)


def _board_page(meeting_id: int, *, status: int = 200, error: str | None = None,
                typed_name: str = "") -> Response:
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        board = debrief.board(db, meeting_id)
        return render("after/debrief.html", "after/_board.html", status=status, meeting=meeting,
                      accompaniment=accompaniment, board=board, error=error, typed_name=typed_name,
                      regards=list(Regard), with_csrf=True)


@bp.get("/seances/<int:meeting_id>/bilan")
@login_required
def board(meeting_id: int) -> Response:
    """The debrief board: clusters with their notes and votes, the loose notes by grid dimension."""
    return _board_page(meeting_id)


def _after_change(meeting_id: int) -> Response | BaseResponse:
    if htmx:
        return _board_page(meeting_id)
    return redirect(url_for("debrief.board", meeting_id=meeting_id), code=303)


@bp.post("/seances/<int:meeting_id>/bilan/groupes")
@login_required
def create_cluster(meeting_id: int) -> Response | BaseResponse:
    """Add a named cluster."""
    name = request.form.get("name", "")
    try:
        with write_session(engine()) as db:
            meeting, _acc = meeting_for(db, meeting_id)
            debrief.create_cluster(db, clock(), meeting, name, _regard(request.form.get("regard")))
    except DomainError as error:
        return _board_page(meeting_id, status=422, error=message(error), typed_name=name)
    return _after_change(meeting_id)


def _regard(value: str | None) -> Regard | None:
    return Regard(value) if value in {r.value for r in Regard} else None


@bp.post("/seances/<int:meeting_id>/bilan/groupes/<int:cluster_id>")
@login_required
def update_cluster(meeting_id: int, cluster_id: int) -> Response | BaseResponse:
    """Rename a cluster, choose its regard, or remove it (`action=delete`)."""
    try:
        with write_session(engine()) as db:
            meeting, _acc = meeting_for(db, meeting_id)
            if request.form.get("action") == "delete":
                debrief.delete_cluster(db, meeting, cluster_id)
            else:
                debrief.update_cluster(db, meeting, cluster_id, name=request.form.get("name", ""),
                                       regard=_regard(request.form.get("regard")))
    except NotFound:
        return _board_page(meeting_id, status=404, error=_("Ce groupe n'existe plus."))
    except DomainError as error:
        return _board_page(meeting_id, status=422, error=message(error))
    return _after_change(meeting_id)


@bp.post("/seances/<int:meeting_id>/bilan/deplacer")
@login_required
def move(meeting_id: int) -> Response | BaseResponse:
    """Move the selected notes into a cluster (or out of any, with an empty choice)."""
    chosen = [parse_id(part) for value in request.form.getlist("note_ids") for part in value.split(",") if part]
    target = request.form.get("cluster_id", "")
    cluster_id = parse_id(target) if target else None
    if None in chosen or (target and cluster_id is None):
        return _board_page(meeting_id, status=422, error=_("Choix de notes non valide."))
    note_ids = [n for n in chosen if n is not None]
    if not note_ids:
        return _board_page(meeting_id, status=422, error=_("Cochez d'abord les notes à déplacer."))
    try:
        with write_session(engine()) as db:
            meeting, _acc = meeting_for(db, meeting_id)
            debrief.move_notes(db, clock(), meeting, note_ids, cluster_id)
    except NotFound:
        return _board_page(meeting_id, status=404, error=_("Une de ces notes ou ce groupe n'existe plus."))
    return _after_change(meeting_id)


@bp.get("/seances/<int:meeting_id>/impressions")
@login_required
def follow_up(meeting_id: int) -> Response:
    """Who has sent their impression note, per community, and the reminder to copy."""
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        groups = impressions.follow_up(db, meeting_id)
        link = url_for("participant_after.impression", meeting_uuid=meeting.uuid, _external=True)
        return render("after/impressions.html", "after/_impressions.html", meeting=meeting,
                      accompaniment=accompaniment, groups=groups, link=link)
