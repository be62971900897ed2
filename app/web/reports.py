"""A session's report and exports: the report page, the PDF, the notes as CSV, the session as JSON.

The PDF is laid out by `app.printing.report` (kit look, tagged, deny-by-default fetcher). The
background job queue (app/jobs.py) is not on main yet: until it is, the PDF is rendered in the
request, one at a time per process and rate-limited per address (about a second of CPU for a
typical session; see bench/report.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, url_for
from flask_login import login_required
from sqlalchemy import update
from sqlmodel import Session, select
from werkzeug.wrappers import Response as BaseResponse

from .. import get_state
from ..db import insert_once, read_session, write_session
from ..facilitation import reporting
from ..jobs import get_queue
from ..models import JobStatus, Meeting, ReportPdf
from ..printing.report import REPORT_JOB, report_key
from .after_common import meeting_for
from .context import clock, engine
from .limits import limiter
from .rendering import render

bp = Blueprint("reports", __name__)
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _slug(text: str) -> str:
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "seance"


def _download(body: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _job(db: Session, meeting: Meeting, data: reporting.ReportData) -> ReportPdf | None:
    return db.exec(select(ReportPdf).where(ReportPdf.key == report_key(data, get_state().kit),
                                           ReportPdf.meeting_id == meeting.id)).first()


@bp.get("/seances/<int:meeting_id>/rapport")
@login_required
def report_page(meeting_id: int) -> Response:
    """What the report holds, its PDF (rendered by the job worker), the exports."""
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        data = reporting.gather(db, meeting)
        job = _job(db, meeting, data)
        return render("after/report.html", "after/_report.html", meeting=meeting, accompaniment=accompaniment,
                      data=data, job=job, active=job is not None and job.status in ACTIVE, with_csrf=True)


@bp.post("/seances/<int:meeting_id>/rapport/pdf")
@login_required
@limiter.limit("10 per minute")
def request_pdf(meeting_id: int) -> BaseResponse:
    """Ask the job worker for the report PDF of the session as it is now (once per content)."""
    with read_session(engine()) as db:
        meeting, _acc = meeting_for(db, meeting_id)
        data = reporting.gather(db, meeting)
    key = report_key(data, get_state().kit)
    now = clock().now()
    with write_session(engine()) as db:
        inserted = insert_once(db, ReportPdf, {"meeting_id": meeting_id, "key": key, "status": JobStatus.QUEUED,
                                               "message_params": {}, "created_at": now}, conflict=["key"])
        row = db.exec(select(ReportPdf).where(ReportPdf.key == key)).one()
        again = False
        if not inserted and row.status in (JobStatus.FAILED, JobStatus.EXPIRED):
            table: Any = ReportPdf
            result = db.execute(update(table).where(table.id == row.id, table.status == row.status)
                                .values(status=JobStatus.QUEUED, error="", attempts=0, progress=0, created_at=now))
            again = getattr(result, "rowcount", 0) == 1
        row_id = row.id or 0
    if inserted or again:
        get_queue(current_app).enqueue(REPORT_JOB, row_id)
    return redirect(url_for("reports.report_page", meeting_id=meeting_id), code=303)


@bp.get("/seances/<int:meeting_id>/rapport/<int:job_id>.pdf")
@login_required
def report_pdf(meeting_id: int, job_id: int) -> Response:
    """A rendered report PDF of this session."""
    with read_session(engine()) as db:
        meeting, _acc = meeting_for(db, meeting_id)
        row = db.get(ReportPdf, job_id)
        if row is None or row.meeting_id != meeting.id or row.status != JobStatus.DONE or not row.file:
            abort(404)
        title, file = meeting.title, row.file
    path = Path(current_app.config["BUILD_DIR"]) / "reports" / file
    if not path.is_file():
        abort(404)
    return _download(path.read_bytes(), "application/pdf", f"rapport-{_slug(title)}.pdf")


@bp.get("/seances/<int:meeting_id>/notes.csv")
@login_required
def notes_csv(meeting_id: int) -> Response:
    """The session's notes as CSV."""
    with read_session(engine()) as db:
        meeting, _acc = meeting_for(db, meeting_id)
        data = reporting.gather(db, meeting)
    return _download("\ufeff" + reporting.notes_csv(data), "text/csv", f"notes-{_slug(meeting.title)}.csv")


@bp.get("/seances/<int:meeting_id>/seance.json")
@login_required
def session_json(meeting_id: int) -> Response:
    """The session as JSON (agenda as run, participation, notes, clusters, shared impressions, synthesis)."""
    with read_session(engine()) as db:
        meeting, _acc = meeting_for(db, meeting_id)
        data = reporting.gather(db, meeting)
    return _download(reporting.as_json(data), "application/json", f"seance-{_slug(meeting.title)}.json")
