"""The messages people read when the domain refuses something: one table per part of the app.

Domain code raises `DomainError(code, **params)`; the web layer words it here, in the reader's
language. Each part keeps its own table (the same code may read differently there: "name-length"
is "your name" on an account, "a name" on an accompaniment) and its own fallback, as before they
were gathered here:

- `accompaniment_message`: accompaniments and planning;
- `account_message`: accounts and applications, then the accompaniments' table;
- `after_message`: after the session (field names put into words);
- `live_refusal`: live sessions (a missing parameter reads as empty).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..facilitation.errors import DomainError

#: Accompaniments and their planning (stages, communities, sessions, agenda steps).
ACCOMPANIMENT_MESSAGES = {
    "stage-refused": _l("Ce passage d'étape n'est pas possible depuis l'étape actuelle."),
    "stage-needs-pair": _l("Choisissez d'abord la communauté accompagnatrice : cette étape demande les deux "
                           "communautés."),
    "stale": _l("L'accompagnement a changé entre-temps (quelqu'un d'autre l'a modifié) : voici son état actuel, "
                "réessayez si besoin."),
    "same-community": _l("La communauté accompagnatrice doit être différente de la communauté demandeuse."),
    "name-length": _l("Indiquez un nom (120 caractères au plus)."),
    "title-length": _l("Indiquez un titre (200 caractères au plus)."),
    "territory-length": _l("Indiquez le territoire (120 caractères au plus)."),
    "region-length": _l("La région fait 120 caractères au plus."),
    "community-length": _l("Indiquez le nom de la communauté (160 caractères au plus)."),
    "place-length": _l("Le lieu fait 200 caractères au plus."),
    "community-not-in-accompaniment": _l("Choisissez l'une des deux communautés de l'accompagnement."),
    "dates-order": _l("La date de fin précède la date de début."),
    "date-invalid": _l("Cette date n'est pas valide (format AAAA-MM-JJ)."),
    "template-unknown": _l("Ce modèle n'existe pas dans la mallette."),
    "template-step-missing": _l("Le modèle cite une étape introuvable dans la mallette."),
    "minutes-range": _l("Indiquez une durée en minutes, de 1 à %(maximum)s."),
    "number-invalid": _l("Indiquez un nombre entier de minutes."),
    "link-unknown": _l("Dimensions ou postures inconnues : %(ids)s."),
    "kind-invalid": _l("Choisissez un type de séance."),
    "role-invalid": _l("Choisissez un rôle."),
    "user-unknown": _l("Ce compte n'existe pas."),
    "not-found": _l("Introuvable."),
}

#: Accounts, invitations and call applications (the admin pages); other codes as accompaniments.
ACCOUNT_MESSAGES = {
    "link-invalid": _l("Ce lien n'est pas valide. Demandez-en un nouveau à un·e coordinateur·ice."),
    "link-used": _l("Ce lien a déjà servi. Demandez-en un nouveau à un·e coordinateur·ice."),
    "link-expired": _l("Ce lien a expiré. Demandez-en un nouveau à un·e coordinateur·ice."),
    "email-mismatch": _l("Cette invitation est destinée à une autre adresse e-mail."),
    "email-invalid": _l("Cette adresse e-mail n'est pas valide."),
    "email-taken": _l("Cette adresse a déjà un compte : connectez-vous, ou demandez un lien de réinitialisation."),
    "name-length": _l("Indiquez votre nom (120 caractères au plus)."),
    "password-length": _l("Le mot de passe doit compter de %(minimum)s à %(maximum)s caractères."),
    "password-mismatch": _l("Les deux mots de passe ne sont pas identiques."),
    "application-already-chosen": _l("Cette candidature a déjà été retenue."),
}

FIELD_LABELS = {
    "text": _l("le texte"),
    "name": _l("le nom"),
    "comment": _l("le commentaire"),
    "title": _l("le titre"),
    "summary": _l("le résumé"),
    "body": _l("le texte"),
}

#: After the session: debrief, impression notes, synthesis and validation, proposals.
AFTER_MESSAGES: dict[str, Any] = {
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

#: Live-session refusals (joining, notes, votes, the facilitator's console).
LIVE_MESSAGES = {
    "code-invalid": _l("Ce code n'est pas valide : il a 8 caractères, lettres et chiffres (sans 0, O, 1, I ni L)."),
    "code-unknown": _l("Aucune séance en cours n'a ce code. Vérifiez-le auprès de l'animation."),
    "code-expired": _l("Cette séance est terminée : son code ne fonctionne plus."),
    "name-missing": _l("Indiquez un nom ou un pseudonyme."),
    "name-too-long": _l("Le nom est trop long (%(max)s caractères au plus)."),
    "bad-role": _l("Choisissez un rôle dans la liste."),
    "bad-community": _l("Choisissez une communauté dans la liste."),
    "note-empty": _l("La note est vide."),
    "note-too-long": _l("La note est trop longue (%(max)s caractères au plus)."),
    "bad-dimension": _l("Choisissez une dimension de la grille."),
    "bad-question": _l("Cette question n'appartient pas à la dimension choisie."),
    "bad-key": _l("Le formulaire a expiré : rechargez la page."),
    "key-taken": _l("Le formulaire a expiré : rechargez la page."),
    "session-not-live": _l("La séance n'est pas en cours."),
    "session-closed": _l("La séance est close."),
    "vote-limit": _l("Vous avez utilisé vos %(limit)s votes : retirez-en un pour voter ailleurs."),
    "step-moved": _l("L'étape a déjà changé sur un autre écran : voici l'étape en cours."),
    "no-such-step": _l("Il n'y a pas d'autre étape dans ce sens."),
    "bad-extension": _l("Prolongez de 1 à %(max)s minutes."),
    "bad-vote-limit": _l("Le nombre de votes va de 0 à %(max)s."),
    "no-posture": _l("Aucune carte posture à tirer."),
    "bad-merge": _l("Cette note ne peut pas recevoir de regroupement."),
    "merge-into-itself": _l("Une note ne se regroupe pas avec elle-même : choisissez deux numéros différents."),
    "note-number-unknown": _l("Aucune note de la séance ne porte ce numéro : vérifiez-le sur le mur."),
    "busy": _l("Le serveur est très occupé : réessayez."),
}


def _plain_params(error: DomainError) -> dict[str, str | int]:
    return {k: v for k, v in error.params.items() if isinstance(v, str | int)}


def accompaniment_message(error: DomainError) -> str:
    """The translated message of a refusal about accompaniments and their planning."""
    text = ACCOMPANIMENT_MESSAGES.get(error.code)
    if text is None:
        return _("Cette opération n'a pas pu être faite.")
    params = _plain_params(error)
    return str(text) % params if params else str(text)


def account_message(error: DomainError) -> str:
    """Messages of account and application refusals (others as for accompaniments)."""
    text = ACCOUNT_MESSAGES.get(error.code)
    if text is None:
        return accompaniment_message(error)
    params = _plain_params(error)
    return str(text) % params if params else str(text)


def after_message(error: DomainError) -> str:
    """The translated, readable message of an after-session refusal (field names put into words)."""
    from ..facilitation.enums import Regard
    from .after_common import REGARD_LABELS

    template = AFTER_MESSAGES.get(error.code)
    if template is None:
        return _("Cette action n'a pas pu être faite.")
    params = dict(error.params)
    if "field" in params:
        label = FIELD_LABELS.get(str(params["field"]))
        if label is None and str(params["field"]) in {r.value for r in Regard}:
            label = REGARD_LABELS[Regard(str(params["field"]))]
        params["field"] = str(label or params["field"]).capitalize()
    return str(template) % params


class _Blank(dict[str, Any]):
    """Parameters where a missing one reads as empty."""

    def __missing__(self, key: str) -> str:
        return ""


def live_refusal(code: str, **params: Any) -> str:
    """The translated message for a refusal code of the live-session domain."""
    text = LIVE_MESSAGES.get(code)
    if text is None:
        return _("Action impossible.")
    return str(text) % _Blank(params)
