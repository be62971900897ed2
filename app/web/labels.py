"""The content's labels (types, moments, fiche parts, session kinds) translated for the interface,
and where each type is listed. The French labels themselves are defined once, in `app/kit/schema.py`."""

from __future__ import annotations

from flask import g
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..facilitation.enums import PersonRole
from ..kit import ItemType
from ..kit.schema import FICHE_PARTS, MOMENTS, SESSION_KINDS, TYPE_LABELS

#: type -> endpoint of its list page (pages have none: they are shown on the home page).
LIST_ENDPOINTS = {
    ItemType.FICHE: "kit.fiches",
    ItemType.POSTURE: "kit.postures",
    ItemType.ACTIVITE: "kit.activites",
    ItemType.PROTOCOLE: "kit.protocoles",
    ItemType.MODELE: "kit.modeles",
    ItemType.ROLE: "kit.roles",
    ItemType.GUIDE: "kit.guides",
    ItemType.DIMENSION: "kit.grille",
    ItemType.STRUCTURE: "kit.structures",
    ItemType.INITIATIVE: "kit.initiatives",
    ItemType.NOTION: "kit.glossaire",
}

#: Short descriptions of each part, for the home page.
TYPE_DESCRIPTIONS = {
    ItemType.FICHE: _l("Les 13 fiches de capitalisation de la recherche-action, en deux parties."),
    ItemType.POSTURE: _l("Les cartes posture : comment se tenir quand on accompagne."),
    ItemType.ACTIVITE: _l("Les fiches activité, minutées, de la préparation d'une visite à la phase 2."),
    ItemType.PROTOCOLE: _l("Les protocoles : le déroulé complet d'une visite, avant, pendant et après, "
                           "prêt à devenir le plan d'une séance."),
    ItemType.MODELE: _l("Les modèles à imprimer ou à remplir en ligne : note d'impression, note de "
                        "synthèse, fiche de présentation, programme."),
    ItemType.ROLE: _l("Les cartes rôle : qui fait quoi pendant un accompagnement."),
    ItemType.GUIDE: _l("Les guides : le cycle d'un accompagnement, l'appel à manifestation d'intérêt, "
                       "l'enchaînement des activités."),
    ItemType.DIMENSION: _l("La grille de questionnement commune, dimension par dimension."),
    ItemType.STRUCTURE: _l("Les monographies des six structures membres."),
    ItemType.INITIATIVE: _l("Les cartes initiative : des exemples concrets dans les territoires."),
    ItemType.NOTION: _l("Le glossaire des notions de l'économie solidaire."),
}


def type_label(item_type: ItemType | str, *, plural: bool = False) -> str:
    """The translated label of a content type (translated once per request)."""
    cache: dict[tuple[str, bool], str] = g.setdefault("type_labels", {})
    key = (str(item_type), plural)
    label = cache.get(key)
    if label is None:
        singular, many = TYPE_LABELS[ItemType(item_type)]
        label = cache[key] = gettext(many if plural else singular)
    return label


def moment_label(moment: str | None) -> str:
    """The translated label of an activity moment ("" for none or an unknown one)."""
    french = MOMENTS.get(moment or "")
    return gettext(french) if french else ""


def part_label(part: int | None) -> str:
    """`Partie 1 · <title>`, translated ("" for none or an unknown part)."""
    title = FICHE_PARTS.get(part or 0)
    return gettext("Partie %(n)d · %(title)s", n=part, title=gettext(title)) if title else ""


def session_kind_label(kind: str | None) -> str:
    """The translated label of the kind of session a protocol plans ("" for none or an unknown one)."""
    french = SESSION_KINDS.get(kind or "")
    return gettext(french) if french else ""

#: What a person (or a participant joining a live session) does there.
PERSON_ROLE_LABELS = {
    PersonRole.VISITOR: _l("Visiteur·se"),
    PersonRole.HOST: _l("Accueil (communauté qui reçoit)"),
    PersonRole.ELECTED: _l("Élu·e"),
    PersonRole.INHABITANT: _l("Habitant·e"),
    PersonRole.FUNDER: _l("Financeur·se"),
    PersonRole.RESEARCHER: _l("Chercheur·se"),
    PersonRole.FACILITATOR: _l("Animateur·ice"),
    PersonRole.COORDINATOR: _l("Coordinateur·ice"),
}


#: Activity list filters: code -> (label, (exclusive low, inclusive high)).
DURATION_FILTERS = {
    "court": (_l("2 heures au plus"), (0, 120)),
    "demi-journee": (_l("Une demi-journée (2 à 4 heures)"), (120, 240)),
    "long": (_l("Plus d'une demi-journée"), (240, 100_000)),
}
GROUP_FILTERS = {
    "seul": (_l("Seul·e ou à deux"), (1, 2)),
    "petit": (_l("Petit groupe (3 à 10 personnes)"), (3, 10)),
    "groupe": (_l("Groupe (11 à 25 personnes)"), (11, 25)),
    "grand": (_l("Grand groupe (plus de 25 personnes)"), (26, 100_000)),
}


def duration_label(minutes: int) -> str:
    """A duration for people: `45 min`, `2 h`, `3 h 15`."""
    from flask_babel import gettext

    if minutes < 60:
        return gettext("%(m)d min", m=minutes)
    hours, rest = divmod(minutes, 60)
    return gettext("%(h)d h %(m)02d", h=hours, m=rest) if rest else gettext("%(h)d h", h=hours)
