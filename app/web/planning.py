"""A session's planning page, `/seances/<id>/preparer`, and its agenda PDFs.

Every edit is a small form (move up or down, retime, edit, remove, add): without JavaScript it
posts and comes back to the page (303, at the step's anchor); with htmx it swaps the agenda
fragment (`planning/_agenda.html`). A refused edit answers 422 with the reason next to the agenda.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask_login import login_required
from sqlalchemy import delete
from sqlmodel import select
from werkzeug.wrappers import Response as BaseResponse

from ..db import insert_once, read_session, update_if_version, write_session
from ..facilitation import planning
from ..facilitation.access import get_accompaniment, get_meeting
from ..facilitation.errors import DomainError, NotFound
from ..models import AgendaPdf, AgendaStep, JobStatus, Meeting
from .accompaniments import me, message, parse_minutes
from .context import clock, engine
from .errors import error_response
from .ids import parse_id
from .navigation import go
from .rendering import render, wants_partial

bp = Blueprint("planning", __name__)


def _kit() -> Any:
    from .. import get_state

    return get_state().kit


def kit_steps(kit: Any) -> list[tuple[Any, list[tuple[str, Any]]]]:
    """Each activity sheet with its addressable steps, for the "add a step from the kit" list."""
    rows = []
    for activity in planning.activities(kit):
        steps = [(address, step) for n, step in enumerate(activity.get("etapes", []) or [], start=1)
                 if (address := planning.activity_step_address(activity, step, n))]
        if steps:
            rows.append((activity, steps))
    return rows


def _context(meeting_id: int) -> dict[str, Any]:
    user = me()
    kit = _kit()
    with read_session(engine()) as db:
        meeting = get_meeting(db, user, meeting_id)
        accompaniment = get_accompaniment(db, user, meeting.accompaniment_id)
        plans = planning.agenda(db, meeting_id)
        for row in (meeting, accompaniment, *[s for p in plans for s in p.steps],
                    *[p.half_day for p in plans if p.half_day]):
            db.expunge(row)
    return {
        "meeting": meeting, "accompaniment": accompaniment, "plans": plans,
        "dimensions": kit.by_type("dimension"), "postures": kit.by_type("posture"), "kit_steps": kit_steps(kit),
        "overrun": any(p.overrun for p in plans),
    }


def _page(meeting_id: int, status: int = 200, error: str | None = None, form: dict[str, str] | None = None,
          focus: int | None = None, error_at: str | None = None) -> Response:
    """The planning page; an `error` shows in the form it is about (`error_at`, the endpoint that
    refused) when that form has a place for it, else above the agenda."""
    context = _context(meeting_id)
    return render("planning/prepare.html", "planning/_agenda.html", status=status, error=error,
                  form=form or {}, focus=focus, error_at=error_at, with_csrf=True, **context)


@bp.route("/seances/<int:meeting_id>/preparer")
@login_required
def prepare(meeting_id: int) -> Response:
    """The planning page of a session."""
    return _page(meeting_id)


def _edit(meeting_id: int, action: Any) -> Response | BaseResponse:
    """Run `action(db, meeting)` as one unit of work; the agenda again, or the reason it was refused."""
    user = me()
    try:
        with write_session(engine()) as db:
            meeting = get_meeting(db, user, meeting_id)
            focus = action(db, meeting)
    except NotFound:
        raise
    except DomainError as error:
        if error.code == "not-found":
            raise NotFound(str(error.params.get("what", "object"))) from error
        return _page(meeting_id, 422, message(error), dict(request.form), error_at=request.endpoint)
    if wants_partial():
        return _page(meeting_id, focus=focus)
    anchor = f"#etape-{focus}" if focus else "#agenda"
    return redirect(url_for("planning.prepare", meeting_id=meeting_id) + anchor, code=303)


def _step(db: Any, meeting: Meeting, step_id: int) -> AgendaStep:
    return planning.get_step(db, meeting, step_id)


@bp.route("/seances/<int:meeting_id>/etapes/<int:step_id>/deplacer", methods=["POST"])
@login_required
def move(meeting_id: int, step_id: int) -> Response | BaseResponse:
    """Move a step up or down (across half-days at their edges)."""
    def act(db: Any, meeting: Meeting) -> int:
        planning.move_step(db, meeting, _step(db, meeting, step_id), request.form.get("direction", ""))
        return step_id

    return _edit(meeting_id, act)


@bp.route("/seances/<int:meeting_id>/etapes/<int:step_id>/duree", methods=["POST"])
@login_required
def retime(meeting_id: int, step_id: int) -> Response | BaseResponse:
    """Change a step's planned duration."""
    def act(db: Any, meeting: Meeting) -> int:
        planning.retime_step(db, meeting, _step(db, meeting, step_id), parse_minutes(request.form.get("minutes")))
        return step_id

    return _edit(meeting_id, act)


@bp.route("/seances/<int:meeting_id>/etapes/<int:step_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int, step_id: int) -> Response | BaseResponse:
    """A step's own page: its title, duration, instructions, and the dimensions and postures it feeds."""
    kit = _kit()
    user = me()
    error = None
    if request.method == "POST":
        try:
            with write_session(engine()) as db:
                meeting = get_meeting(db, user, meeting_id)
                planning.edit_step(
                    db, meeting, _step(db, meeting, step_id), title=request.form.get("title", ""),
                    minutes=parse_minutes(request.form.get("minutes")),
                    instructions=request.form.get("instructions", ""),
                    dimensions=request.form.getlist("dimensions"), postures=request.form.getlist("postures"),
                    known_dimensions=[d.id for d in kit.by_type("dimension")],
                    known_postures=[p.id for p in kit.by_type("posture")])
        except DomainError as refused:
            if refused.code == "not-found":
                raise NotFound("step") from refused
            error = message(refused)
        else:
            return go(url_for("planning.prepare", meeting_id=meeting_id) + f"#etape-{step_id}")
    with read_session(engine()) as db:
        meeting = get_meeting(db, user, meeting_id)
        try:
            step = planning.get_step(db, meeting, step_id)
        except DomainError as missing:
            raise NotFound("step") from missing
        db.expunge(step)
        db.expunge(meeting)
    form = request.form if request.method == "POST" else None
    values = {
        "title": form.get("title", "") if form else step.title,
        "minutes": form.get("minutes", "") if form else str(step.planned_minutes),
        "instructions": form.get("instructions", "") if form else step.instructions,
        "dimensions": form.getlist("dimensions") if form else step.dimensions,
        "postures": form.getlist("postures") if form else step.postures,
    }
    return render("planning/step.html", "planning/_step.html", status=422 if error else 200, meeting=meeting,
                  step=step, values=values, error=error, dimensions=kit.by_type("dimension"),
                  postures=kit.by_type("posture"), with_csrf=True)


@bp.route("/seances/<int:meeting_id>/etapes/<int:step_id>/supprimer", methods=["POST"])
@login_required
def remove(meeting_id: int, step_id: int) -> Response | BaseResponse:
    """Remove a step."""
    def act(db: Any, meeting: Meeting) -> None:
        planning.remove_step(db, meeting, _step(db, meeting, step_id))

    return _edit(meeting_id, act)


@bp.route("/seances/<int:meeting_id>/etapes", methods=["POST"])
@login_required
def add(meeting_id: int) -> Response | BaseResponse:
    """Add a step at the end of a half-day: one from the kit (by address), or a free one."""
    kit = _kit()

    def act(db: Any, meeting: Meeting) -> int | None:
        raw = request.form.get("half_day_id", "")
        half_day = planning.get_half_day(db, meeting, parse_id(raw) or 0)
        address = (request.form.get("address") or "").strip()
        minutes_raw = (request.form.get("minutes") or "").strip()
        if address:
            activity, step = planning.resolve_step(kit, address)
            template_step = planning.TemplateStep(
                title=step.titre, minutes=int(step.minutes), instructions=step.consigne or "",
                activity_id=activity.id, address=address, dimensions=tuple(activity.dimensions))
            added = planning.add_step(db, meeting, half_day, title=step.titre,
                                      minutes=parse_minutes(minutes_raw) if minutes_raw else 0,
                                      template_step=template_step)
        else:
            added = planning.add_step(db, meeting, half_day, title=request.form.get("title", ""),
                                      minutes=parse_minutes(minutes_raw),
                                      instructions=request.form.get("instructions", ""))
        return added.id

    return _edit(meeting_id, act)


@bp.route("/seances/<int:meeting_id>/demi-journees/<int:half_day_id>/duree", methods=["POST"])
@login_required
def half_day_time(meeting_id: int, half_day_id: int) -> Response | BaseResponse:
    """Change the time a half-day has."""
    def act(db: Any, meeting: Meeting) -> None:
        planning.set_available(db, meeting, planning.get_half_day(db, meeting, half_day_id),
                               parse_minutes(request.form.get("minutes")))

    return _edit(meeting_id, act)


@bp.route("/seances/<int:meeting_id>/demi-journees", methods=["POST"])
@login_required
def add_half_day(meeting_id: int) -> Response | BaseResponse:
    """Add a half-day at the end of the session."""
    def act(db: Any, meeting: Meeting) -> None:
        planning.add_half_day(db, meeting, title=request.form.get("title", ""),
                              minutes=parse_minutes(request.form.get("minutes")))

    return _edit(meeting_id, act)


# -- PDFs (rendered by the job worker) ---------------------------------------------------------------


def _pdf_row(db: Any, meeting: Meeting, pdf_id: int) -> AgendaPdf:
    row = db.get(AgendaPdf, pdf_id)
    if row is None or row.meeting_id != meeting.id:
        raise NotFound("pdf")
    return row


@bp.route("/seances/<int:meeting_id>/pdf", methods=["POST"])
@login_required
def request_pdf(meeting_id: int) -> Response | BaseResponse:
    """Ask for the agenda PDF (or a half-day's roadmap, `half_day_id`); the same row for an unchanged session."""
    from ..jobs import get_queue

    user = me()
    raw = request.form.get("half_day_id", "")
    with write_session(engine()) as db:
        meeting = get_meeting(db, user, meeting_id)
        half_day = None
        if raw:
            try:
                half_day = planning.get_half_day(db, meeting, parse_id(raw) or 0)
            except DomainError as missing:
                raise NotFound("half-day") from missing
        half_day_id = half_day.id if half_day else None
        key = hashlib.sha256(f"{meeting.uuid}:{meeting.version}:{half_day_id or ''}".encode()).hexdigest()
        name = (f"feuille-de-route-{meeting_id}-{half_day.position + 1}.pdf" if half_day
                else f"ordre-du-jour-{meeting_id}.pdf")
        inserted = insert_once(db, AgendaPdf, {
            "key": key, "meeting_id": meeting.id, "half_day_id": half_day_id, "meeting_version": meeting.version,
            "filename": name, "status": JobStatus.QUEUED, "message_params": {}, "created_at": clock().now(),
        }, conflict=["key"])
        row = db.exec(select(AgendaPdf).where(AgendaPdf.key == key)).one()
        # Older renderings of the same document go (only the latest version is worth keeping).
        same_document = (AgendaPdf.half_day_id == half_day_id) if half_day_id else AgendaPdf.half_day_id.is_(None)  # type: ignore[union-attr]
        db.execute(delete(AgendaPdf).where(AgendaPdf.meeting_id == meeting.id, same_document,  # type: ignore[arg-type]
                                           AgendaPdf.key != key,  # type: ignore[arg-type]
                                           AgendaPdf.status.in_(  # type: ignore[attr-defined]
                                               [JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED])))
        again = row.status in (JobStatus.FAILED, JobStatus.EXPIRED)
        if again:
            update_if_version(db, AgendaPdf, row.id, row.version, status=JobStatus.QUEUED, error="", attempts=0)
        pdf_id = row.id
    if inserted or again:
        assert pdf_id is not None
        get_queue(current_app).enqueue("agenda-pdf", pdf_id)
    return go(url_for("planning.pdf_status", meeting_id=meeting_id, pdf_id=pdf_id))


@bp.route("/seances/<int:meeting_id>/pdf/<int:pdf_id>")
@login_required
def pdf_status(meeting_id: int, pdf_id: int) -> Response:
    """Where the PDF stands; the page refreshes itself (htmx, or a meta refresh without JavaScript)."""
    user = me()
    with read_session(engine()) as db:
        meeting = get_meeting(db, user, meeting_id)
        row = _pdf_row(db, meeting, pdf_id)
        db.expunge(meeting)
        row_view = {"id": row.id, "status": row.status, "filename": row.filename,
                    "roadmap": row.half_day_id is not None, "stale": row.meeting_version != meeting.version}
    return render("planning/pdf.html", "planning/_pdf.html", meeting=meeting, pdf=row_view)


@bp.route("/seances/<int:meeting_id>/pdf/<int:pdf_id>/fichier")
@login_required
def pdf_file(meeting_id: int, pdf_id: int) -> Response | BaseResponse:
    """The PDF itself once rendered (before that, its status page)."""
    user = me()
    with read_session(engine()) as db:
        meeting = get_meeting(db, user, meeting_id)
        row = _pdf_row(db, meeting, pdf_id)
        data, name, done = row.data, row.filename, row.status == JobStatus.DONE
    if not done or data is None:
        return redirect(url_for("planning.pdf_status", meeting_id=meeting_id, pdf_id=pdf_id), code=303)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _not_found(_error: NotFound) -> Response:
    return error_response(404)


bp.register_error_handler(NotFound, _not_found)
