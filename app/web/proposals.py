"""Capitalisation pages: propose a kit item from a validated synthesis; coordinators review, edit,
publish or decline. Writing into `kit_content/` is `mallette export-proposals`'s job, or the job a
coordinator's button enqueues (`app.jobs.run_proposal_export`), never a web worker's; the export's
page follows the job (htmx polling, or a plain reload without JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response as BaseResponse

from .. import get_state
from ..db import insert_once, read_session, write_session
from ..facilitation import access, proposals, synthesis
from ..facilitation.enums import ProposalKind, ProposalStatus
from ..facilitation.errors import DomainError, NotFound
from ..jobs import EXPORT_JOB, get_queue
from ..models import Accompaniment, Community, JobStatus, Proposal, ProposalExport, Territory
from .after_common import meeting_for, message
from .context import account, clock, engine
from .ids import parse_id
from .rendering import render

bp = Blueprint("proposals", __name__)
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
FIELDS = ("item_id", "title", "summary", "territory", "holder", "need", "innovation", "body", "target_id")


def _draft() -> proposals.Draft:
    kind = request.form.get("kind", "")
    if kind not in {k.value for k in ProposalKind}:
        kind = ProposalKind.INITIATIVE.value
    return proposals.Draft(kind=ProposalKind(kind), **{f: request.form.get(f, "") for f in FIELDS})


def _fiches() -> list[tuple[str, str]]:
    return [(item.id, item.title) for item in get_state().kit if item.type.value == "fiche"]


def _new_page(meeting_id: int, *, status: int = 200, error: str | None = None,
              draft: proposals.Draft | None = None) -> Response:
    with read_session(engine()) as db:
        meeting, accompaniment = meeting_for(db, meeting_id)
        found = synthesis.find(db, meeting_id)
        validated = synthesis.latest_validated(db, found.id or 0) if found else None
        if draft is None:
            territory = db.get(Territory, accompaniment.territory_id) if accompaniment.territory_id else None
            offering = db.get(Community, accompaniment.offering_community_id) \
                if accompaniment.offering_community_id else None
            draft = proposals.Draft(ProposalKind.INITIATIVE, "initiative-", "", "", territory.name if territory else "",
                                    offering.name if offering else "", "", "", "")
        return render("after/proposal_new.html", "after/_proposal_new.html", status=status, meeting=meeting,
                      accompaniment=accompaniment, validated=validated, draft=draft, error=error,
                      kinds=list(ProposalKind), fiches=_fiches(), with_csrf=True)


@bp.get("/seances/<int:meeting_id>/propositions/nouvelle")
@login_required
def new(meeting_id: int) -> Response:
    """Propose a kit item from the session's validated synthesis."""
    return _new_page(meeting_id)


@bp.post("/seances/<int:meeting_id>/propositions/nouvelle")
@login_required
def create(meeting_id: int) -> Response | BaseResponse:
    """Record the proposal (for a coordinator to review)."""
    draft = _draft()
    user = account()
    assert user is not None
    try:
        with write_session(engine()) as db:
            meeting, _acc = meeting_for(db, meeting_id)
            found = synthesis.find(db, meeting_id)
            validated = synthesis.latest_validated(db, found.id or 0) if found else None
            if validated is None:
                raise DomainError("proposal-needs-validated")
            proposals.propose(db, clock(), get_state().kit, user, validated, meeting, draft)
    except DomainError as error:
        return _new_page(meeting_id, status=422, error=message(error), draft=draft)
    flash(_("Proposition enregistrée : un·e coordinateur·ice la relira."), "success")
    return redirect(url_for("proposals.listing"), code=303)


@bp.get("/propositions")
@login_required
def listing() -> Response:
    """Proposals: all of them for coordinators, those of one's accompaniments otherwise."""
    user = account()
    with read_session(engine()) as db:
        if access.is_coordinator(user):
            rows = proposals.listing(db)
        else:
            assert user is not None
            ids = [a.id for a in db.exec(access.visible_accompaniments(user)).all()]
            rows = proposals.listing(db, [i for i in ids if i is not None])
        titles = {a.id: a.title for a in db.exec(select(Accompaniment)).all()}
        waiting = [p for p in rows if p.status == ProposalStatus.PUBLISHED and p.exported_at is None]
        last = _last_export(db) if access.is_coordinator(user) else None
        return render("after/proposals.html", "after/_proposals.html", rows=rows, titles=titles,
                      coordinator=access.is_coordinator(user), waiting=waiting, last=last,
                      last_active=last is not None and last.status in ACTIVE, with_csrf=True)


# -- the export button: a job for the job worker ------------------------------------------------------


def _last_export(db: Session) -> ProposalExport | None:
    return db.exec(select(ProposalExport).order_by(col(ProposalExport.id).desc())).first()


def export_message(row: ProposalExport) -> str:
    """The export's progress, in the reader's language."""
    texts = {
        "export-checking": _("Relecture du contenu actuel"),
        "export-writing": _("Écriture des propositions publiées et vérification du contenu"),
        "export-indexing": _("Mise à jour de la recherche"),
        "retrying": _("Reprise après l'arrêt d'un poste de travail"),
    }
    return texts.get(row.message, _("En attente du poste de travail"))


@bp.post("/propositions/export")
@login_required
def request_export() -> BaseResponse:
    """A coordinator asks the job worker to export the published proposals (a double click: one job).

    The form carries the last export the page showed (`after`): every request sent from that page
    names the same next export, so a repeated or concurrent click finds the row the first one made.
    """
    user = account()
    if not access.is_coordinator(user):
        abort(404)
    assert user is not None
    after = parse_id(request.form.get("after", "0"))
    if after is None:
        abort(400)
    inserted = False
    with write_session(engine()) as db:
        last = _last_export(db)
        if last is not None and (last.status in ACTIVE or last.id != after):
            row_id = last.id or 0  # one is running, or the page was out of date: show the latest
        else:
            values: dict[str, Any] = {
                "key": f"after-{after}", "status": JobStatus.QUEUED, "message_params": {}, "requested_by_id": user.id,
                "created_at": clock().now(), "written": [], "unchanged": [], "refused": [], "problems": []}
            inserted = insert_once(db, ProposalExport, values, conflict=["key"])
            row_id = db.exec(select(ProposalExport.id).where(ProposalExport.key == values["key"])).one() or 0
    if inserted:
        get_queue(current_app).enqueue(EXPORT_JOB, row_id)
    return redirect(url_for("proposals.export_status", export_id=row_id), code=303)


@bp.get("/propositions/exports/<int:export_id>")
@login_required
def export_status(export_id: int) -> Response:
    """Where an export stands: its progress, then the files written or the validation problems."""
    if not access.is_coordinator(account()):
        abort(404)
    with read_session(engine()) as db:
        row = db.get(ProposalExport, export_id)
        if row is None:
            abort(404)
        return render("after/proposal_export.html", "after/_proposal_export.html", row=row,
                      active=row.status in ACTIVE, progress_text=export_message(row))


def _coordinator_proposal(db: Session, proposal_id: int) -> Proposal:
    if not access.is_coordinator(account()):
        abort(404)
    try:
        return proposals.get(db, proposal_id)
    except NotFound:
        abort(404)


def _review_page(proposal_id: int, *, status: int = 200, error: str | None = None,
                 draft: proposals.Draft | None = None, base: int | None = None) -> Response:
    with read_session(engine()) as db:
        proposal = _coordinator_proposal(db, proposal_id)
        shown = draft or proposals.Draft(proposal.kind, proposal.item_id, proposal.title, proposal.summary,
                                         proposal.territory, proposal.holder, proposal.need, proposal.innovation,
                                         proposal.body, proposal.target_id)
        preview = proposals.markdown(proposal)
        return render("after/proposal.html", "after/_proposal.html", status=status, proposal=proposal, draft=shown,
                      error=error, base=base if base is not None else proposal.version, kinds=list(ProposalKind),
                      fiches=_fiches(), preview=preview, with_csrf=True)


@bp.get("/propositions/<int:proposal_id>")
@login_required
def review(proposal_id: int) -> Response:
    """A coordinator reviews a proposal: its provenance, the file it will become, the edit form."""
    return _review_page(proposal_id)


@bp.post("/propositions/<int:proposal_id>")
@login_required
def update(proposal_id: int) -> Response | BaseResponse:
    """Save the coordinator's edit, or publish / decline (`action`)."""
    action = request.form.get("action", "save")
    base = parse_id(request.form.get("version"))
    if base is None:
        abort(400)
    user = account()
    assert user is not None
    draft = _draft() if action == "save" else None
    try:
        with write_session(engine()) as db:
            proposal = _coordinator_proposal(db, proposal_id)
            if action == "save" and draft is not None:
                proposals.edit(db, get_state().kit, proposal, base_version=base, draft=draft)
            elif action in ("publish", "decline"):
                proposals.decide(db, clock(), user, proposal, base_version=base, publish=action == "publish")
            else:
                abort(400)
    except DomainError as error:
        return _review_page(proposal_id, status=409 if error.code == "proposal-stale" else 422,
                            error=message(error), draft=draft, base=base)
    flash({"save": _("Proposition enregistrée."), "publish": _("Proposition publiée : elle sera écrite dans la "
           "mallette au prochain export."), "decline": _("Proposition refusée.")}[action], "success")
    return redirect(url_for("proposals.review", proposal_id=proposal_id), code=303)
