"""What the after-session pages share: loading a session the account may see, labels, messages."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlmodel import Session

from ..facilitation import access
from ..facilitation.enums import PersonRole, ProposalKind, ProposalStatus, Regard, ValidationDecision, ValidationParty
from ..facilitation.errors import NotFound
from ..kit.markdown import render_markdown
from ..models import Accompaniment, Meeting, SynthesisVersion
from .context import account
from .domain_messages import after_message

REGARD_LABELS = {
    Regard.STRUCTURE: _l("Regard sur la structure d'accompagnement"),
    Regard.INITIATIVE: _l("Regard sur l'initiative de coopération retenue"),
    Regard.TRANSITION: _l("Regard sur l'impact sur la transition"),
    Regard.METHODS: _l("Regard sur les spécificités des méthodes d'accompagnement"),
}
PARTY_LABELS = {
    ValidationParty.ASKING: _l("Communauté demandeuse"),
    ValidationParty.OFFERING: _l("Communauté accompagnatrice ou structure d'accueil"),
    ValidationParty.VISITING_GROUP: _l("Groupe de visite"),
}
DECISION_LABELS = {
    ValidationDecision.APPROVED: _l("Approuvée"),
    ValidationDecision.CHANGES_REQUESTED: _l("Modifications demandées"),
}
ROLE_LABELS = {
    PersonRole.VISITOR: _l("Visiteur·se"),
    PersonRole.HOST: _l("Accueil"),
    PersonRole.ELECTED: _l("Élu·e"),
    PersonRole.INHABITANT: _l("Habitant·e"),
    PersonRole.FUNDER: _l("Financeur"),
    PersonRole.RESEARCHER: _l("Chercheur·se"),
    PersonRole.FACILITATOR: _l("Animateur·ice"),
    PersonRole.COORDINATOR: _l("Coordinateur·ice"),
}
PROPOSAL_KIND_LABELS = {
    ProposalKind.TERRITORY_STORY: _l("Récit de territoire"),
    ProposalKind.INITIATIVE: _l("Nouvelle carte initiative"),
    ProposalKind.FICHE_EXAMPLE: _l("Exemple pour une fiche"),
}
PROPOSAL_STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("À relire"),
    ProposalStatus.PUBLISHED: _l("Publiée"),
    ProposalStatus.REJECTED: _l("Refusée"),
}



#: The after-session pages' name for it (the messages live in `domain_messages`).
message = after_message

def meeting_for(db: Session, meeting_id: int) -> tuple[Meeting, Accompaniment]:
    """The session and its accompaniment, if the signed-in account may see them; 404 otherwise."""
    try:
        meeting = access.get_meeting(db, account(), meeting_id)
        accompaniment = access.get_accompaniment(db, account(), meeting.accompaniment_id)
    except NotFound:
        abort(404)
    return meeting, accompaniment


def synthesis_html(version: SynthesisVersion, regard: Regard) -> Markup:
    """One regard of a synthesis version rendered by the one safe Markdown renderer."""
    from ..facilitation.synthesis import regard_of

    return render_markdown(regard_of(version, regard))


def label_globals() -> dict[str, Any]:
    """Label tables and helpers for the templates."""
    return {"synthesis_html": synthesis_html,
            "regard_labels": REGARD_LABELS, "party_labels": PARTY_LABELS, "decision_labels": DECISION_LABELS,
            "role_labels": ROLE_LABELS, "proposal_kind_labels": PROPOSAL_KIND_LABELS,
            "proposal_status_labels": PROPOSAL_STATUS_LABELS}


def init_after(app: Flask) -> None:
    """Register the after-session blueprints and their template helpers (one line in `init_web`)."""
    from .dashboards import bp as dashboards_bp
    from .debrief import bp as debrief_bp
    from .participant_after import bp as participant_bp
    from .proposals import bp as proposals_bp
    from .reports import bp as reports_bp
    from .synthesis import bp as synthesis_bp

    for blueprint in (debrief_bp, participant_bp, synthesis_bp, reports_bp, proposals_bp, dashboards_bp):
        app.register_blueprint(blueprint)
    app.context_processor(label_globals)
