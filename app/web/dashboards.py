"""Dashboards: one accompaniment's sessions and what waits on whom; for coordinators, the phase-2
territories side by side, and the cross-accompaniment report PDF of validated syntheses by regard."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Blueprint, Response, abort, current_app
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlmodel import col, select

from ..db import read_session
from ..facilitation import access, reporting, synthesis
from ..facilitation.enums import Regard, Stage
from ..facilitation.errors import NotFound
from ..kit.markdown import render_markdown
from ..models import Accompaniment, Meeting, Synthesis, SynthesisVersion, Territory
from ..printing.report import CrossEntry, render_cross_report
from .context import account, engine
from .limits import limiter
from .rendering import render

bp = Blueprint("dashboards", __name__)
_one_at_a_time = threading.Lock()

WAIT_LABELS = {
    "facilitator-debrief": _l("l'animation : faire le bilan collectif"),
    "facilitator-synthesis": _l("l'animation : écrire la note de synthèse"),
    "facilitator-changes": _l("l'animation : reprendre la note (modifications demandées)"),
    "participants-impressions": _l("des participant·es : notes d'impression"),
    "party:demandeuse": _l("la communauté demandeuse : valider la note"),
    "party:accompagnatrice": _l("la communauté accompagnatrice : valider la note"),
    "party:groupe-visite": _l("le groupe de visite : valider la note"),
}
STAGE_LABELS = {
    Stage.CALL: _l("Appel à manifestation d'intérêt"), Stage.CHOSEN: _l("Territoire choisi"),
    Stage.PREPARATION: _l("Préparation"), Stage.VISIT: _l("Visite"), Stage.AFTER_VISIT: _l("Après la visite"),
    Stage.CAPITALISED: _l("Capitalisé"),
}


@bp.get("/suivi/accompagnements/<int:accompaniment_id>")
@login_required
def accompaniment(accompaniment_id: int) -> Response:
    """One accompaniment: stage, sessions with notes, syntheses, validations, what waits on whom."""
    with read_session(engine()) as db:
        try:
            found = access.get_accompaniment(db, account(), accompaniment_id)
        except NotFound:
            abort(404)
        summaries = reporting.meeting_summaries(db, found)
        return render("after/dashboard.html", "after/_dashboard.html", accompaniment=found, summaries=summaries,
                      wait_labels=WAIT_LABELS, stage_labels=STAGE_LABELS)


def _coordinator() -> None:
    if not access.is_coordinator(account()):
        abort(404)


@bp.get("/suivi/territoires")
@login_required
def territories() -> Response:
    """Coordinators: the accompaniments side by side (stage, dates, participation, waits)."""
    _coordinator()
    with read_session(engine()) as db:
        rows = []
        for acc in db.exec(select(Accompaniment).where(col(Accompaniment.is_demo).is_(False))
                           .order_by(col(Accompaniment.created_at))).all():
            territory = db.get(Territory, acc.territory_id) if acc.territory_id else None
            rows.append((acc, territory, reporting.meeting_summaries(db, acc)))
        return render("after/territories.html", "after/_territories.html", rows=rows, wait_labels=WAIT_LABELS,
                      stage_labels=STAGE_LABELS)


@bp.get("/suivi/rapport-croise.pdf")
@login_required
@limiter.limit("4 per minute")
def cross_report() -> Response:
    """Coordinators: the validated syntheses of every accompaniment, gathered by regard (PDF)."""
    _coordinator()
    entries = []
    with read_session(engine()) as db:
        rows = db.exec(select(Synthesis, Meeting, Accompaniment)
                       .join(Meeting, col(Meeting.id) == Synthesis.meeting_id)
                       .join(Accompaniment, col(Accompaniment.id) == Meeting.accompaniment_id)
                       .order_by(col(Accompaniment.created_at), col(Meeting.starts_on))).all()
        for found, meeting, acc in rows:
            version: SynthesisVersion | None = synthesis.latest_validated(db, found.id or 0)
            if version is None:
                continue
            territory = db.get(Territory, acc.territory_id) if acc.territory_id else None
            entries.append(CrossEntry(territory.name if territory else "", acc.title, meeting.title, version.number,
                                      version.validated_at.date() if version.validated_at else None,
                                      {r: render_markdown(synthesis.regard_of(version, r)) for r in Regard}))
    with _one_at_a_time:
        pdf, _pages = render_cross_report(entries, Path(current_app.config["PRINT_DIR"]),
                                          title="Accompagnements de la phase 2 : synthèses validées")
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="syntheses-phase-2.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
