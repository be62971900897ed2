"""A session's report and exports: the report page, the PDF, the notes as CSV, the session as JSON.

The PDF is laid out by `app.printing.report` (kit look, tagged, deny-by-default fetcher). The
background job queue (app/jobs.py) is not on main yet: until it is, the PDF is rendered in the
request, one at a time per process and rate-limited per address (about a second of CPU for a
typical session; see bench/report.py).
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Blueprint, Response, current_app
from flask_login import login_required

from .. import get_state
from ..db import read_session
from ..facilitation import reporting
from ..printing.report import render_session_report
from .after_common import meeting_for
from .context import engine
from .limits import limiter
from .rendering import render

bp = Blueprint("reports", __name__)
_one_at_a_time = threading.Lock()


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


@bp.get("/seances/<int:meeting_id>/rapport")
@login_required
def report_page(meeting_id: int) -> Response:
    """What the report holds, and the links to download it and the exports."""
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        data = reporting.gather(db, meeting)
        return render("after/report.html", "after/_report.html", meeting=meeting, accompaniment=accompaniment,
                      data=data)


@bp.get("/seances/<int:meeting_id>/rapport.pdf")
@login_required
@limiter.limit("6 per minute")
def report_pdf(meeting_id: int) -> Response:
    """The session report as PDF."""
    with read_session(engine()) as db:
        meeting, _acc = meeting_for(db, meeting_id)
        data = reporting.gather(db, meeting)
    with _one_at_a_time:
        pdf, _pages = render_session_report(data, get_state().kit, Path(current_app.config["PRINT_DIR"]))
    return _download(pdf, "application/pdf", f"rapport-{_slug(data.meeting.title)}.pdf")


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
