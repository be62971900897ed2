"""The content schema: one pydantic model per item type, defined once.

Field names are French because facilitators edit them by hand; `kit_content/README.md` documents
every one. Each model forbids unknown fields so that a typo is reported, not ignored.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_FILE_BYTES = 64 * 1024
DEFAULT_LICENCE = "CC BY-SA 4.0"

ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9à-ÿ' -]{1,40}$")]


class ItemType(StrEnum):
    """The kinds of item in the kit; each lives in its own folder."""

    FICHE = "fiche"
    POSTURE = "posture"
    ACTIVITE = "activite"
    DIMENSION = "dimension"
    STRUCTURE = "structure"
    INITIATIVE = "initiative"
    NOTION = "notion"
    PAGE = "page"

    @property
    def label(self) -> str:
        """French singular label."""
        return TYPE_LABELS[self][0]

    @property
    def plural(self) -> str:
        """French plural label."""
        return TYPE_LABELS[self][1]


TYPE_LABELS: dict[ItemType, tuple[str, str]] = {
    ItemType.FICHE: ("Fiche de capitalisation", "Fiches de capitalisation"),
    ItemType.POSTURE: ("Posture", "Postures"),
    ItemType.ACTIVITE: ("Activité", "Activités"),
    ItemType.DIMENSION: ("Dimension de la grille", "Grille de questionnement"),
    ItemType.STRUCTURE: ("Structure", "Structures membres"),
    ItemType.INITIATIVE: ("Initiative", "Initiatives"),
    ItemType.NOTION: ("Notion", "Glossaire"),
    ItemType.PAGE: ("Page", "Présentation"),
}

#: Folder name under the content root -> item type.
FOLDERS: dict[str, ItemType] = {
    "fiches": ItemType.FICHE,
    "postures": ItemType.POSTURE,
    "activites": ItemType.ACTIVITE,
    "grille": ItemType.DIMENSION,
    "structures": ItemType.STRUCTURE,
    "initiatives": ItemType.INITIATIVE,
    "notions": ItemType.NOTION,
    "pages": ItemType.PAGE,
}

#: The `## ` sections an item type must have, in this order, none empty.
REQUIRED_SECTIONS: dict[ItemType, tuple[str, ...]] = {
    ItemType.FICHE: (
        "Contexte et enjeux",
        "Définition",
        "Conceptions et pratiques du MES",
        "Exemples, illustrations et références",
    ),
    ItemType.POSTURE: ("Ce que c'est", "À faire", "À éviter", "Une question à se poser"),
}

FICHE_PARTS: dict[int, str] = {
    1: "L'accompagnement et la valorisation des initiatives solidaires",
    2: "L'animation territoriale pour transformer l'économie des territoires",
}

MOMENTS: dict[str, str] = {
    "preparation": "Préparer la visite",
    "visite": "Pendant la visite",
    "apres-visite": "Après la visite",
    "capitalisation": "Capitaliser",
    "phase-2": "Accompagnement communautaire (phase 2)",
}


class CommonFields(BaseModel):
    """Fields every item has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ItemId
    titre: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=160)]
    resume: ShortText
    tags: list[Tag] = Field(default_factory=list)
    liens: list[ItemId] = Field(default_factory=list)
    sources: list[ItemId] = Field(min_length=1)
    licence: ShortText = DEFAULT_LICENCE
    anciens_ids: list[ItemId] = Field(default_factory=list)
    ordre: int | None = None


class FicheFields(CommonFields):
    """A capitalisation fiche."""

    numero: Annotated[str, StringConstraints(pattern=r"^2\.\d{1,2}$")]
    partie: Literal[1, 2]


class PostureFields(CommonFields):
    """A posture card."""


class Etape(BaseModel):
    """One timed step of an activity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    titre: ShortText
    minutes: int = Field(gt=0, le=600)
    consigne: Text


class ActiviteFields(CommonFields):
    """An activity sheet."""

    objectif: Text
    duree: int = Field(gt=0, le=1440)
    participants: ShortText
    moment: Literal["preparation", "visite", "apres-visite", "capitalisation", "phase-2"]
    materiel: list[ShortText] = Field(default_factory=list)
    productions: list[ShortText] = Field(default_factory=list)
    dimensions: list[ItemId] = Field(default_factory=list)
    etapes: list[Etape] = Field(min_length=2)


class DimensionFields(CommonFields):
    """A dimension of the shared questioning grid."""

    questions: list[ShortText] = Field(min_length=3, max_length=6)

    @field_validator("questions")
    @classmethod
    def _questions_are_questions(cls, value: list[str]) -> list[str]:
        for question in value:
            if not question.rstrip().endswith("?"):
                raise ValueError(f"« {question[:40]} » ne se termine pas par « ? »")
        return value


class StructureFields(CommonFields):
    """A member structure monograph."""

    nom_complet: ShortText
    territoire: ShortText
    valeurs: list[ShortText] = Field(default_factory=list)
    missions: list[Text] = Field(default_factory=list)
    equipe: list[ShortText] = Field(default_factory=list)
    budget_euros: int | None = Field(default=None, ge=0)
    financeurs: list[ShortText] = Field(default_factory=list)
    visite: ShortText | None = None


class InitiativeFields(CommonFields):
    """An initiative card."""

    territoire: ShortText
    porteur: ShortText
    besoin: ShortText
    innovation: ShortText


class NotionFields(CommonFields):
    """A glossary notion."""

    termes: list[ShortText] = Field(default_factory=list)


class PageFields(CommonFields):
    """An opening page of the kit."""


FIELDS_MODEL: dict[ItemType, type[CommonFields]] = {
    ItemType.FICHE: FicheFields,
    ItemType.POSTURE: PostureFields,
    ItemType.ACTIVITE: ActiviteFields,
    ItemType.DIMENSION: DimensionFields,
    ItemType.STRUCTURE: StructureFields,
    ItemType.INITIATIVE: InitiativeFields,
    ItemType.NOTION: NotionFields,
    ItemType.PAGE: PageFields,
}
