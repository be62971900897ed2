"""What the after-session pages share: loading a session the account may see, labels, messages."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlmodel import Session

from ..facilitation import access
from ..facilitation.enums import PersonRole, ProposalKind, ProposalStatus, Regard, ValidationDecision, ValidationParty
from ..facilitation.errors import DomainError, NotFound
from ..kit.markdown import render_markdown
from ..models import Accompaniment, Meeting, SynthesisVersion
from .context import account

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
FIELD_LABELS = {
    "text": _l("le texte"),
    "name": _l("le nom"),
    "comment": _l("le commentaire"),
    "title": _l("le titre"),
    "summary": _l("le résumé"),
    "body": _l("le texte"),
}

MESSAGES: dict[str, Any] = {
    "text-nul": _l("%(field)s contient un caractère nul (\\0) qui ne peut pas être enregistré : retirez-le."),
    "text-too-long": _l("%(field)s est trop long : %(length)s caractères pour %(limit)s au plus."),
    "text-empty": _l("%(field)s est vide."),
    "synthesis-conflict": _l("Quelqu'un a enregistré la version %(current)s pendant que vous écriviez. Votre texte "
                             "est conservé ci-dessous, à côté de la dernière version : reprenez-le puis "
                             "enregistrez à nouveau."),
    "synthesis-changed": _l("La note a changé depuis que vous l'avez ouverte (version %(current)s) : relisez la "
                            "nouvelle version avant de répondre."),
    "synthesis-frozen": _l("Cette version est déjà validée par les trois parties : elle ne change plus."),
    "comment-required": _l("Dites quelles modifications vous demandez."),
    "impression-conflict": _l("Votre note a été modifiée ailleurs (un autre onglet ou un autre appareil). Votre "
                              "texte est conservé ci-dessous : rechargez la page pour voir l'autre version."),
    "too-many-clusters": _l("Un bilan compte au plus %(limit)s groupes."),
    "not-a-participant": _l("Vous ne participez pas à cette séance."),
    "proposal-id-taken": _l("L'identifiant « %(item_id)s » est déjà pris dans la mallette ou par une autre "
                            "proposition."),
    "proposal-id-invalid": _l("L'identifiant doit être en minuscules, chiffres et tirets, et commencer par "
                              "« %(prefix)s »."),
    "proposal-needs-validated": _l("Une proposition part d'une note de synthèse validée par les trois parties."),
    "proposal-target-missing": _l("Choisissez la fiche à laquelle ajouter cet exemple."),
    "proposal-stale": _l("La proposition a été modifiée entre-temps : rechargez la page."),
    "proposal-published": _l("Une proposition publiée ne se modifie plus."),
    "party-missing": _l("Choisissez la partie qui a donné son accord."),
    "given-on-missing": _l("Indiquez la date de l'accord (jour/mois/année)."),
    "given-on-invalid": _l("La date de l'accord ne peut être ni dans le futur ni avant la version %(version)s."),
    "already-approved": _l("Cette partie a déjà approuvé la version en cours."),
}


def message(error: DomainError) -> str:
    """The translated, readable message of a domain error."""
    template = MESSAGES.get(error.code)
    if template is None:
        return gettext("Cette action n'a pas pu être faite.")
    params = dict(error.params)
    if "field" in params:
        label = FIELD_LABELS.get(str(params["field"]))
        if label is None and str(params["field"]) in {r.value for r in Regard}:
            label = REGARD_LABELS[Regard(str(params["field"]))]
        params["field"] = str(label or params["field"]).capitalize()
    return str(template) % params


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
