"""The call for expressions of interest, online: `/appel` presents it and takes applications.

Public (no account). The form carries an idempotency key in a hidden field: a retried or doubled
submission gets the same acknowledgement and reference, never a second application. A form with
problems comes back (422) with everything typed and each problem next to its field. Submissions are
rate-limited per address.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import lazy_gettext as _l

from ..db import write_session
from ..facilitation import applications
from ..facilitation.errors import DomainError
from .context import clock, engine
from .limits import limiter
from .rendering import render

bp = Blueprint("call", __name__)

#: The kit's text about the call (an activity sheet of the steering group).
CALL_ITEM = "activite-ami-choix-territoires"

QUESTIONS = {
    "elus": _l("Des élu·es de votre territoire soutiennent-ils et elles la démarche ?"),
    "initiatives": _l("Des initiatives solidaires existent-elles déjà sur le territoire ?"),
    "communaute": _l("Une communauté d'acteur·ices et d'habitant·es est-elle prête à se mettre en mouvement ?"),
    "besoin": _l("Votre demande d'accompagnement est-elle formulée et partagée localement ?"),
}
LEVELS = {"oui": _l("Oui"), "en-partie": _l("En partie"), "non": _l("Pas encore")}
PROBLEMS = {
    "required": _l("Ce champ est à remplir."),
    "too-long": _l("Ce texte est trop long."),
    "too-short": _l("Décrivez votre demande en quelques phrases (20 caractères au moins)."),
    "email-invalid": _l("Cette adresse e-mail n'est pas valide."),
}


def _answers() -> applications.Answers:
    form = request.form
    return applications.Answers(
        applicant_name=form.get("applicant_name", ""), applicant_role=form.get("applicant_role", ""),
        organisation=form.get("organisation", ""), email=form.get("email", ""),
        territory_name=form.get("territory_name", ""), region=form.get("region", ""), demand=form.get("demand", ""),
        diagnosis={code: {"level": form.get(f"diag_{code}", ""), "comment": form.get(f"diag_{code}_comment", "")}
                   for code in applications.DIAGNOSIS},
    )


def _page(status: int = 200, form: dict[str, str] | None = None, problems: dict[str, str] | None = None,
          key: str | None = None) -> Response:
    from .. import get_state

    return render("call/call.html", "call/_form.html", status=status, form=form or {},
                  problems={k: str(PROBLEMS.get(v, v)) for k, v in (problems or {}).items()},
                  key=key or applications.new_idempotency_key(), questions=QUESTIONS, levels=LEVELS,
                  call_item=get_state().kit.get(CALL_ITEM), with_csrf=True)


@bp.route("/appel", methods=["GET", "POST"])
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def call() -> Response:
    """The call and its application form; on success, the acknowledgement with the reference."""
    if request.method == "GET":
        return _page()
    key = request.form.get("key", "")
    try:
        with write_session(engine()) as db:
            application, _inserted = applications.submit(db, clock(), key, _answers())
            reference = application.reference
    except DomainError as error:
        if error.code == "key-invalid":
            return _page(422, dict(request.form), {"form": "required"})
        return _page(422, dict(request.form), error.params.get("problems", {}), key=key)
    return render("call/thanks.html", "call/_thanks.html", reference=reference)
