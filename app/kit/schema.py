"""The content schema: one pydantic model per item type, defined once.

Field names are French because facilitators edit them by hand; `kit_content/README.md` documents
every one. Each model forbids unknown fields so that a typo is reported, not ignored.

The French labels of types, moments, fiche parts and session kinds are defined here, once. Printing
uses them as they are (the printed kit is French); the web layer translates them (`app/web/labels.py`),
which is why each is marked with `N_` for message extraction.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_FILE_BYTES = 64 * 1024
DEFAULT_LICENCE = "CC BY-SA 4.0"

ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9à-ÿ' -]{1,40}$")]
#: An id inside an item (a step, a question, a half-day...), unique within its list.
LocalId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=40)]
#: `<item-id>.<local-id>`, e.g. `activite-j1-matin-ecosysteme.accueil` or `dim-cooperation.q1`.
ADDRESS_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$"
Address = Annotated[str, StringConstraints(pattern=ADDRESS_PATTERN, max_length=105)]


def N_(text: str) -> str:
    """Mark a French label for extraction; the web layer translates it when it shows it."""
    return text


def split_address(address: str) -> tuple[str, str]:
    """`activite-x.accueil` -> (`activite-x`, `accueil`); an address without a dot -> (address, "")."""
    item_id, _, local = address.partition(".")
    return item_id, local


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
    PROTOCOLE = "protocole"
    MODELE = "modele"
    ROLE = "role"
    GUIDE = "guide"

    @property
    def label(self) -> str:
        """French singular label."""
        return TYPE_LABELS[self][0]

    @property
    def plural(self) -> str:
        """French plural label."""
        return TYPE_LABELS[self][1]


#: type -> (singular, plural), in French.
TYPE_LABELS: dict[ItemType, tuple[str, str]] = {
    ItemType.FICHE: (N_("Fiche de capitalisation"), N_("Fiches de capitalisation")),
    ItemType.POSTURE: (N_("Posture"), N_("Postures")),
    ItemType.ACTIVITE: (N_("Activité"), N_("Activités")),
    ItemType.DIMENSION: (N_("Dimension de la grille"), N_("Grille de questionnement")),
    ItemType.STRUCTURE: (N_("Structure"), N_("Structures membres")),
    ItemType.INITIATIVE: (N_("Initiative"), N_("Initiatives")),
    ItemType.NOTION: (N_("Notion"), N_("Glossaire")),
    ItemType.PAGE: (N_("Page"), N_("Présentation")),
    ItemType.PROTOCOLE: (N_("Protocole"), N_("Protocoles")),
    ItemType.MODELE: (N_("Modèle à remplir"), N_("Modèles à remplir")),
    ItemType.ROLE: (N_("Rôle"), N_("Rôles")),
    ItemType.GUIDE: (N_("Guide"), N_("Guides")),
}

#: Folder name under the content root -> item type.
FOLDERS: dict[str, ItemType] = {
    "fiches": ItemType.FICHE,
    "postures": ItemType.POSTURE,
    "activites": ItemType.ACTIVITE,
    "protocoles": ItemType.PROTOCOLE,
    "modeles": ItemType.MODELE,
    "roles": ItemType.ROLE,
    "guides": ItemType.GUIDE,
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
    ItemType.PROTOCOLE: ("Avant", "Pendant", "Après", "Rôles"),
    ItemType.ROLE: ("La mission", "À faire", "Point de vigilance"),
}

#: Fiche part -> its title, in French.
FICHE_PARTS: dict[int, str] = {
    1: N_("L'accompagnement et la valorisation des initiatives solidaires"),
    2: N_("L'animation territoriale pour transformer l'économie des territoires"),
}

#: Activity moment -> label, in French, in display order.
MOMENTS: dict[str, str] = {
    "preparation": N_("Préparer la visite"),
    "visite": N_("Pendant la visite"),
    "apres-visite": N_("Après la visite"),
    "capitalisation": N_("Capitaliser"),
    "phase-2": N_("Accompagnement communautaire (phase 2)"),
}

#: Kind of session a protocol plans -> label, in French.
SESSION_KINDS: dict[str, str] = {
    "visite-apprenante": N_("Visite apprenante"),
    "visite-accompagnement": N_("Visite d'accompagnement communautaire"),
    "seminaire-reflexif": N_("Séminaire réflexif"),
    "comite-pilotage": N_("Comité de pilotage"),
    "journee-acteurs-chercheurs": N_("Journée acteur·ices–chercheur·ses"),
}

#: Lists of sub-items that carry a local `id`, unique within the list, per item type.
LOCAL_ID_LISTS: dict[ItemType, tuple[str, ...]] = {
    ItemType.ACTIVITE: ("etapes",),
    ItemType.DIMENSION: ("questions",),
    ItemType.PROTOCOLE: ("demi_journees",),
    ItemType.MODELE: ("rubriques",),
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
    """One timed step of an activity; addressed as `<activity-id>.<id>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LocalId
    titre: ShortText
    minutes: int = Field(gt=0, le=600)
    consigne: Text


class ActiviteFields(CommonFields):
    """An activity sheet."""

    objectif: Text
    duree: int = Field(gt=0, le=1440)
    participants: ShortText
    #: How many people take part, [fewest, most], when the sheet says (filters the activity list).
    personnes: list[Annotated[int, Field(ge=1, le=500)]] | None = Field(default=None, min_length=2, max_length=2)
    moment: Literal["preparation", "visite", "apres-visite", "capitalisation", "phase-2"]
    materiel: list[ShortText] = Field(default_factory=list)
    productions: list[ShortText] = Field(default_factory=list)
    dimensions: list[ItemId] = Field(default_factory=list)
    etapes: list[Etape] = Field(min_length=2)

    @field_validator("personnes")
    @classmethod
    def _fewest_first(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError("le premier nombre (le moins de personnes) doit être le plus petit")
        return value


class Question(BaseModel):
    """One open question of a grid dimension; addressed as `<dimension-id>.<id>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LocalId
    texte: ShortText

    @field_validator("texte")
    @classmethod
    def _is_a_question(cls, value: str) -> str:
        if not value.rstrip().endswith("?"):
            raise ValueError(f"« {value[:40]} » ne se termine pas par « ? »")
        return value


class DimensionFields(CommonFields):
    """A dimension of the shared questioning grid."""

    questions: list[Question] = Field(min_length=3, max_length=6)


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


class EtapeProtocole(BaseModel):
    """A step of a protocol's half-day: an activity step (`etape`) or a free step (`titre` + `minutes`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    etape: Address | None = None
    id: LocalId | None = None
    titre: ShortText | None = None
    minutes: int | None = Field(default=None, gt=0, le=600)
    consigne: Text | None = None

    @model_validator(mode="after")
    def _step_or_free(self) -> EtapeProtocole:
        if self.etape is None and (self.titre is None or self.minutes is None):
            raise ValueError("une étape cite une étape d'activité (etape) ou se décrit (titre et minutes)")
        return self


class DemiJournee(BaseModel):
    """A half-day of a protocol, with the time it has and its steps in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LocalId
    titre: ShortText
    minutes: int = Field(gt=0, le=720)
    etapes: list[EtapeProtocole] = Field(min_length=1)


class ProtocoleFields(CommonFields):
    """A protocol template: the planning feature turns it into a session plan."""

    type_seance: Literal[
        "visite-apprenante",
        "visite-accompagnement",
        "seminaire-reflexif",
        "comite-pilotage",
        "journee-acteurs-chercheurs",
    ]
    participants: ShortText | None = None
    roles: list[ItemId] = Field(default_factory=list)
    modeles: list[ItemId] = Field(default_factory=list)
    demi_journees: list[DemiJournee] = Field(min_length=1, max_length=12)


class Rubrique(BaseModel):
    """A box of a template to fill in, on paper or online."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LocalId
    titre: ShortText
    aide: Text | None = None
    lignes: int = Field(default=4, ge=1, le=30)
    questions: list[Address] = Field(default_factory=list)


class ModeleFields(CommonFields):
    """A template a facilitator prints or fills in online (impression note, synthesis note...)."""

    usage: ShortText
    rubriques: list[Rubrique] = Field(min_length=1, max_length=24)
    validations: list[ShortText] = Field(default_factory=list, max_length=6)


class RoleFields(CommonFields):
    """A role card: who holds the role during an accompaniment and what they do."""

    qui: ShortText


class GuideFields(CommonFields):
    """A guide for facilitators and coordinators (the whole cycle, the call for interest, the sequence map)."""

    public: ShortText | None = None


FIELDS_MODEL: dict[ItemType, type[CommonFields]] = {
    ItemType.FICHE: FicheFields,
    ItemType.POSTURE: PostureFields,
    ItemType.ACTIVITE: ActiviteFields,
    ItemType.DIMENSION: DimensionFields,
    ItemType.STRUCTURE: StructureFields,
    ItemType.INITIATIVE: InitiativeFields,
    ItemType.NOTION: NotionFields,
    ItemType.PAGE: PageFields,
    ItemType.PROTOCOLE: ProtocoleFields,
    ItemType.MODELE: ModeleFields,
    ItemType.ROLE: RoleFields,
    ItemType.GUIDE: GuideFields,
}
