"""The facilitator's console (`/seances/<id>/animer`) and the projection (`/seances/<id>/projection`).

Both need a signed-in facilitator who may see the session (`access.get_meeting`: 404 otherwise).
The console drives the session with plain form posts that redirect back (no JavaScript needed);
both screens follow the session through the `live` fragment polls (see `live_updates`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlmodel import col, select
from werkzeug.wrappers import Response as BaseResponse

from ..db import read_session, write_session
from ..facilitation import access, joining, live, notes
from ..facilitation.errors import DomainError, NotFound
from ..models import Meeting, Participant
from ..printing.qr import qr_svg
from . import live_updates as lu
from .context import account, clock, engine
from .ids import parse_id
from .labels import PERSON_ROLE_LABELS

bp = Blueprint("console", __name__)
#: A participant whose phone asked for anything within this long is shown as present.
PRESENT_FOR = timedelta(minutes=2)
EXTENSIONS = (1, 5, 10)


def _meeting(meeting_id: int) -> Meeting:
    with read_session(engine()) as db:
        try:
            meeting = access.get_meeting(db, account(), meeting_id)
        except NotFound:
            abort(404)
        db.expunge(meeting)
    return meeting


def _context(meeting_id: int, viewer: notes.Viewer, since: int | None = None,
             epoch: int | None = None) -> dict[str, Any]:
    with read_session(engine()) as db:
        try:
            meeting = access.get_meeting(db, account(), meeting_id)
        except NotFound:
            abort(404)
        agenda = live.steps(db, meeting_id)
        step = next((s for s in agenda if s.id == meeting.current_step_id), None)
        delta_ok = since is not None and epoch == meeting.wall_epoch and since <= meeting.version
        wall = notes.wall(db, meeting, viewer, since=since if delta_ok else None)
        delta = wall if delta_ok else None
        people = db.exec(select(Participant).where(Participant.meeting_id == meeting_id)
                         .order_by(col(Participant.joined_at))).all()
        deleted = notes.deleted_notes(db, meeting_id) if viewer.kind == "facilitator" else []
        db.expunge_all()
    now = clock().now()
    present = [p for p in people if now - p.last_seen_at <= PRESENT_FOR]
    grid = lu.dimensions()
    step_dims = [d for d in grid if step is not None and d.id in step.dimensions]
    step_postures = [item for item in (lu.kit_item(pid) for pid in (step.postures if step else [])) if item]
    join_url = f"{lu.base_url()}/rejoindre/{meeting.join_code}" if meeting.join_code else None
    return {
        "meeting": meeting, "agenda": agenda, "step": step, "wall": wall, "delta": delta, "seen": since,
        "grid": grid, "step_dims": step_dims, "step_postures": step_postures, "present": present,
        "people": people, "deleted": deleted, "role_labels": PERSON_ROLE_LABELS,
        "posture": lu.kit_item(meeting.shown_posture_id), "postures": lu.posture_ids(),
        "join_url": join_url, "code": joining.display_code(meeting.join_code) if meeting.join_code else None,
        "qr": qr_svg(join_url, _("Rejoindre la séance")) if join_url else None, "extensions": EXTENSIONS,
        "step_index": next((i for i, s in enumerate(agenda) if step and s.id == step.id), None),
        **lu.clock_context(meeting),
    }


def _conditional(meeting_id: int, tag: str) -> tuple[str, Response | None]:
    meeting = _meeting(meeting_id)
    etag = lu.etag_for(meeting.version, tag)
    return etag, lu.not_modified(etag)


# -- console ---------------------------------------------------------------------------------------------


@bp.get("/seances/<int:meeting_id>/animer")
@login_required
def console(meeting_id: int) -> Response:
    """The facilitator's console."""
    from .rendering import render

    return render("live/console.html", "live/_console.html", with_csrf=True,
                  **_context(meeting_id, notes.FACILITATOR))


@bp.get("/seances/<int:meeting_id>/animer/cloturer")
@login_required
def confirm_close(meeting_id: int) -> Response:
    """Ask before closing: a closed session cannot be reopened and its code stops working."""
    from .rendering import render

    meeting = _meeting(meeting_id)
    return render("live/close.html", "live/_close.html", with_csrf=True, meeting=meeting,
                  title=_("Clore la séance ?"))


@bp.get("/seances/<int:meeting_id>/animer/live")
@login_required
def console_live(meeting_id: int) -> Response:
    """What changed on the console since the version it has (304 when nothing did)."""
    user = account()
    etag, unchanged = _conditional(meeting_id, f"f{user.id if user else 0}")
    if unchanged is not None:
        return unchanged
    seen, epoch = lu.client_state()
    context = _context(meeting_id, notes.FACILITATOR, seen, epoch)
    return lu.live_response("live/_console_live.html", lu.etag_for(context["meeting"].version,
                                                                   f"f{user.id if user else 0}"), **context)


def _int(name: str, default: int | None = None) -> int | None:
    raw = request.form.get(name, "")
    number = parse_id(raw.removeprefix("-"))
    if number is None:
        return default
    return -number if raw.startswith("-") else number


@bp.post("/seances/<int:meeting_id>/animer/<action>")
@login_required
def act(meeting_id: int, action: str) -> BaseResponse:
    """Every console button: start, steps, timer, reveal, posture, settings, moderation, close."""
    _meeting(meeting_id)  # 404 unless the user may see it
    form = request.form
    anchor = ""
    done: str | None = None
    try:
        with write_session(engine()) as db:
            if action == "demarrer":
                live.start(db, clock(), meeting_id)
            elif action == "etape":
                seen = _int("seen")
                target = _int("step")
                live.go_to(db, clock(), meeting_id, seen_step_id=seen, direction=_int("direction", 0) or 0,
                           step_id=target)
            elif action == "minuteur":
                live.timer_action(db, clock(), meeting_id, form.get("do", ""), _int("minutes", 0) or 0)
            elif action == "reveler":
                live.reveal(db, clock(), meeting_id, form.get("dimension", ""), form.get("shown", "1") == "1",
                            dimensions=lu.dimension_ids())
                anchor = "#mur"
            elif action == "posture":
                chosen = form.get("posture")
                step_postures = [p for p in form.getlist("candidates") if p in lu.posture_ids()]
                live.show_posture(db, clock(), meeting_id, candidates=step_postures or lu.posture_ids(),
                                  chosen=chosen if chosen is not None else None)
            elif action == "reglages":
                votes = _int("votes")
                if votes is None:  # emptied, or not a number: say so rather than keep the old limit
                    raise DomainError("bad-vote-limit", max=50)
                live.settings(db, clock(), meeting_id, votes_per_participant=votes,
                              votes_revealed=form.get("votes_revealed") == "1",
                              notes_hidden=form.get("notes_hidden") == "1")
                done = _("Réglages appliqués.")
            elif action == "moderer":
                fresh = db.get(Meeting, meeting_id)
                assert fresh is not None
                anchor = "#mur"
                try:
                    for verb in notes.MODERATION:
                        value = form.get(verb, "")
                        note_id = parse_id(value)
                        if verb != "merge" and note_id is not None:
                            notes.moderate(db, clock(), fresh, note_id, verb)
                            break
                    else:
                        source, target = _int("source"), _int("into")
                        if source is None or target is None:
                            raise DomainError("bad-merge")
                        notes.moderate(db, clock(), fresh, source, "merge", into_id=target)
                except NotFound as missing:  # a mistyped number: say so on the console, mid-session
                    raise DomainError("note-number-unknown") from missing
            elif action == "cloturer":
                if form.get("confirm") != "1":  # only from the confirmation page
                    return redirect(url_for("console.confirm_close", meeting_id=meeting_id), code=303)
                live.close(db, clock(), meeting_id)
            else:
                abort(404)
    except NotFound:
        abort(404)
    except DomainError as refused:
        flash(lu.refusal(refused.code, **refused.params), "error")
    else:
        if done is not None:
            flash(done, "success")
    return redirect(url_for("console.console", meeting_id=meeting_id) + anchor, code=303)


# -- projection ------------------------------------------------------------------------------------------


@bp.get("/seances/<int:meeting_id>/projection")
@login_required
def projection(meeting_id: int) -> Response:
    """The big screen: step, timer, join QR code and code, the wall of revealed notes."""
    from .rendering import render

    return render("live/projection.html", "live/_projection.html", **_context(meeting_id, notes.PROJECTION))


@bp.get("/seances/<int:meeting_id>/projection/live")
@login_required
def projection_live(meeting_id: int) -> Response:
    """What changed on the big screen since the version it has (304 when nothing did)."""
    etag, unchanged = _conditional(meeting_id, "proj")
    if unchanged is not None:
        return unchanged
    seen, epoch = lu.client_state()
    context = _context(meeting_id, notes.PROJECTION, seen, epoch)
    return lu.live_response("live/_projection_live.html", lu.etag_for(context["meeting"].version, "proj"),
                            **context)
