"""The agenda of a session and the one-page roadmap ("feuille de route") of a half-day, as PDF.

Rendered through the print pipeline: the print folder's Jinja templates and CSS, the shared fonts,
and the deny-by-default URL fetcher, so text typed by facilitators cannot make WeasyPrint fetch
anything. Printed documents are in French, like the printed kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from weasyprint import CSS

from ..config import PROJECT_ROOT
from .render import Resources, pdf_bytes, render_html, resources

PRINT_DIR = PROJECT_ROOT / "print"
STYLESHEET = "agenda.css"
KIND_LABELS = {
    "visite-apprenante": "Visite apprenante",
    "visite-accompagnement": "Visite d'accompagnement communautaire",
    "seminaire-reflexif": "Séminaire réflexif",
    "comite-pilotage": "Comité de pilotage",
    "journee-acteurs-chercheurs": "Journée acteurs–chercheurs",
}


@dataclass(frozen=True)
class AgendaDocument:
    """What an agenda PDF shows: the session, its accompaniment, its half-days (one for a roadmap)."""

    meeting: Any
    accompaniment_title: str
    communities: list[str]
    plans: list[Any]  # app.facilitation.planning.HalfDayPlan
    kit: Any
    roadmap: bool = False


def _resources(print_dir: Path) -> Resources:
    res = resources(print_dir)
    if STYLESHEET not in res.stylesheets:
        res.stylesheets[STYLESHEET] = CSS(url=(print_dir / "css" / STYLESHEET).as_uri(), url_fetcher=res.fetcher,
                                          font_config=res.font_config)
    return res


def _clock(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d}"


def context(document: AgendaDocument) -> dict[str, Any]:
    """The template context (plain data only)."""
    kit = document.kit

    def title_of(item_id: str) -> str:
        item = kit.get(item_id)
        return item.title if item is not None else item_id

    meeting = document.meeting
    half_days = []
    for plan in document.plans:
        steps = [{
            "start": _clock(start), "end": _clock(end), "minutes": step.planned_minutes, "title": step.title,
            "instructions": step.instructions, "activity": title_of(step.activity_id) if step.activity_id else "",
            "dimensions": [title_of(d) for d in step.dimensions], "postures": [title_of(p) for p in step.postures],
        } for step, start, end in plan.offsets()]
        half_days.append({
            "title": plan.half_day.title if plan.half_day else "Hors demi-journée",
            "day": plan.half_day.day.isoformat() if plan.half_day and plan.half_day.day else "",
            "available": plan.available, "total": plan.total, "overrun": plan.overrun, "steps": steps,
        })
    kind = KIND_LABELS.get(str(getattr(meeting.kind, "value", meeting.kind)), "")
    title = ("Feuille de route · " + half_days[0]["title"]) if document.roadmap and half_days else (
        "Ordre du jour · " + meeting.title)
    return {
        "meta": {"title": title, "author": "Mouvement pour l'Économie Solidaire", "description": meeting.title,
                 "keywords": kind, "generator": "Mallette pédagogique du MES",
                 "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "title": title, "meeting_title": meeting.title, "kind": kind, "place": meeting.place,
        "starts_on": meeting.starts_on.isoformat() if meeting.starts_on else "",
        "ends_on": meeting.ends_on.isoformat() if meeting.ends_on else "",
        "accompaniment": document.accompaniment_title, "communities": document.communities,
        "half_days": half_days, "roadmap": document.roadmap,
    }


def render_agenda_pdf(document: AgendaDocument, print_dir: Path = PRINT_DIR) -> bytes:
    """The PDF (tagged) of the agenda, or of a half-day's roadmap when `document.roadmap`."""
    res = _resources(print_dir)
    data = context(document)
    rendered = render_html(res, "agenda.html", data, STYLESHEET)
    key = f"agenda:{document.meeting.uuid}:{document.meeting.version}:{document.roadmap}:{len(document.plans)}"
    return pdf_bytes(rendered, key)


# -- the background job (`mallette worker`) ------------------------------------------------------------


def run_agenda_pdf(app: Any, row: Any, report: Any) -> dict[str, Any]:
    """Job `agenda-pdf`: render the row's session (or half-day) as it is now; the PDF bytes to store."""
    from .. import get_state
    from ..db import read_session
    from ..facilitation import planning
    from ..facilitation.accompaniments import communities
    from ..models import Accompaniment, Meeting

    state = get_state(app)
    report(10, "agenda-reading", {})
    with read_session(state.engine) as db:
        meeting = db.get(Meeting, row.meeting_id)
        accompaniment = db.get(Accompaniment, meeting.accompaniment_id) if meeting else None
        if meeting is None or accompaniment is None:
            from ..jobs import JobError

            raise JobError("agenda-gone")
        plans = planning.agenda(db, meeting.id or 0)
        if row.half_day_id is not None:
            plans = [p for p in plans if p.half_day is not None and p.half_day.id == row.half_day_id]
        pair = [c.name for c in communities(db, accompaniment)]
        for item in (meeting, accompaniment, *[s for p in plans for s in p.steps],
                     *[p.half_day for p in plans if p.half_day]):
            db.expunge(item)
    report(40, "agenda-rendering", {})
    document = AgendaDocument(meeting=meeting, accompaniment_title=accompaniment.title, communities=pair,
                              plans=plans, kit=state.kit, roadmap=row.half_day_id is not None)
    return {"data": render_agenda_pdf(document, Path(app.config.get("PRINT_DIR") or PRINT_DIR))}
