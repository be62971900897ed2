"""Interface labels for the content types (translated), and where each type is listed."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from ..kit import ItemType

#: type -> (singular, plural), translated with the interface.
TYPE_LABELS = {
    ItemType.FICHE: (_l("Fiche de capitalisation"), _l("Fiches de capitalisation")),
    ItemType.POSTURE: (_l("Posture"), _l("Postures")),
    ItemType.ACTIVITE: (_l("Activité"), _l("Activités")),
    ItemType.DIMENSION: (_l("Dimension de la grille"), _l("Grille de questionnement")),
    ItemType.STRUCTURE: (_l("Structure"), _l("Structures membres")),
    ItemType.INITIATIVE: (_l("Initiative"), _l("Initiatives")),
    ItemType.NOTION: (_l("Notion"), _l("Glossaire")),
    ItemType.PAGE: (_l("Page"), _l("Présentation")),
}

#: type -> endpoint of its list page (pages have none: they are shown on the home page).
LIST_ENDPOINTS = {
    ItemType.FICHE: "kit.fiches",
    ItemType.POSTURE: "kit.postures",
    ItemType.ACTIVITE: "kit.activites",
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
    ItemType.DIMENSION: _l("La grille de questionnement commune, dimension par dimension."),
    ItemType.STRUCTURE: _l("Les monographies des six structures membres."),
    ItemType.INITIATIVE: _l("Les cartes initiative : des exemples concrets dans les territoires."),
    ItemType.NOTION: _l("Le glossaire des notions de l'économie solidaire."),
}

MOMENT_LABELS = {
    "preparation": _l("Préparer la visite"),
    "visite": _l("Pendant la visite"),
    "apres-visite": _l("Après la visite"),
    "capitalisation": _l("Capitaliser"),
    "phase-2": _l("Accompagnement communautaire (phase 2)"),
}

PART_LABELS = {
    1: _l("Partie 1 · L'accompagnement et la valorisation des initiatives solidaires"),
    2: _l("Partie 2 · L'animation territoriale pour transformer l'économie des territoires"),
}


def type_label(item_type: ItemType | str, *, plural: bool = False) -> str:
    """The translated label of a content type (translated once per request)."""
    cache: dict[tuple[str, bool], str] = g.setdefault("type_labels", {})
    key = (str(item_type), plural)
    label = cache.get(key)
    if label is None:
        singular, many = TYPE_LABELS[ItemType(item_type)]
        label = cache[key] = str(many if plural else singular)
    return label
