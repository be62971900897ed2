"""Deck definitions (`cards/*.yaml`): which items make a deck, its card size, templates, colour, icon.

A deck file is validated like content: every problem is reported as `path:line: field: message`
and all of them are raised together in one `DeckError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.kit.model import Kit, KitItem
from app.kit.schema import ID_PATTERN, ItemType

from .theme import CARD_SIZES, contrast_ratio, parse_hex

#: Front templates available per item type (print/templates/cards/front-<name>.html).
FRONT_TEMPLATES = {
    "posture": ItemType.POSTURE,
    "activite": ItemType.ACTIVITE,
    "initiative": ItemType.INITIATIVE,
    "notion": ItemType.NOTION,
    "dimension": ItemType.DIMENSION,
    "structure": ItemType.STRUCTURE,
    "role": ItemType.ROLE,
}
BACK_TEMPLATES = ("standard",)
#: Item types that can be dealt as cards.
CARD_TYPES = set(FRONT_TEMPLATES.values())

_FIELDS = {
    "id": "identifiant du jeu",
    "titre": "nom du jeu",
    "type": "type des éléments",
    "format": "taille des cartes",
    "couleur": "couleur du type",
    "icone": "icône du type",
    "recto": "modèle du recto",
    "verso": "modèle du verso",
    "elements": "liste d'identifiants",
    "ordre": "rang du jeu",
    "description": "texte d'accompagnement",
    "usage": "à quoi sert le jeu (carte mode d'emploi)",
    "mode_emploi": "étapes d'utilisation en séance (carte mode d'emploi)",
}
#: Bounds of the mode d'emploi card's texts (it must fit a poker card too: fail early and clearly).
USAGE_MAX = 240
STEPS_MAX = 4
STEP_MAX = 110
_REQUIRED = ("id", "titre", "type", "format", "couleur", "icone")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_ICON = re.compile(r"^[a-z0-9-]{1,40}$")


class DeckError(ValueError):
    """Invalid deck definitions; `problems` holds one `path:line: field: message` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Deck:
    """One deck of cards, as defined in `cards/<id>.yaml`."""

    id: str
    title: str
    item_type: str
    size: str
    colour: str
    icon: str
    front: str
    back: str
    items: tuple[str, ...]
    order: int
    description: str
    path: str
    #: What the deck is for and how to use it in a session (its "mode d'emploi" card).
    usage: str = ""
    howto: tuple[str, ...] = ()

    @property
    def width_mm(self) -> float:
        """Card width (trim) in millimetres."""
        return CARD_SIZES[self.size][0]

    @property
    def height_mm(self) -> float:
        """Card height (trim) in millimetres."""
        return CARD_SIZES[self.size][1]

    def fingerprint(self) -> str:
        """Everything that affects rendering, as a stable string (for cache keys)."""
        return repr(
            (self.id, self.title, self.item_type, self.size, self.colour, self.icon,
             self.front, self.back, self.items, self.order, self.description, self.usage, self.howto)
        )


def _lines(node: yaml.Node | None) -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            lines.setdefault(str(key.value), key.start_mark.line + 1)
    return lines


def load_decks(cards_dir: Path, print_dir: Path | None = None) -> list[Deck]:
    """Read and validate every `*.yaml` deck in `cards_dir`, ordered by `ordre` then id.

    Raises `DeckError` listing every problem as `path:line: field: message`. When `print_dir` is
    given, the icon files are checked to exist in `print_dir/icons/`.
    """
    cards_dir = Path(cards_dir)
    problems: list[str] = []
    decks: list[Deck] = []
    seen: dict[str, str] = {}
    files = sorted(cards_dir.glob("*.yaml")) if cards_dir.is_dir() else []
    if not files:
        raise DeckError([f"{cards_dir}:1: jeux: aucun fichier de jeu (*.yaml)"])
    for path in files:
        rel = f"{cards_dir.name}/{path.name}"
        deck = _load_one(path, rel, print_dir, problems)
        if deck is None:
            continue
        if deck.id in seen:
            problems.append(f"{rel}:1: id: identifiant « {deck.id} » déjà utilisé par {seen[deck.id]}")
            continue
        seen[deck.id] = rel
        decks.append(deck)
    if problems:
        raise DeckError(problems)
    decks.sort(key=lambda d: (d.order, d.id))
    return decks


def _load_one(path: Path, rel: str, print_dir: Path | None, problems: list[str]) -> Deck | None:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problems.append(f"{rel}:{line}: yaml: erreur de syntaxe YAML : {getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{rel}:1: jeu: le fichier doit être une liste de champs")
        return None
    lines = _lines(node)
    before = len(problems)

    def report(name: str, message: str) -> None:
        problems.append(f"{rel}:{lines.get(name, 1)}: {name}: {message}")

    for key in data:
        if str(key) not in _FIELDS:
            report(str(key), f"champ inconnu (champs : {', '.join(_FIELDS)})")
    for key in _REQUIRED:
        if data.get(key) in (None, ""):
            report(key, "champ obligatoire manquant")
    deck_id = str(data.get("id") or "")
    if deck_id and not re.match(ID_PATTERN, deck_id):
        report("id", "minuscules, chiffres et tirets seulement")
    if deck_id and deck_id != path.stem:
        report("id", f"l'identifiant « {deck_id} » doit être le nom du fichier (« {path.stem}.yaml »)")
    item_type = str(data.get("type") or "")
    valid_types = sorted(t.value for t in CARD_TYPES)
    if item_type and item_type not in valid_types:
        report("type", f"« {item_type} » n'est pas un type de carte ({', '.join(valid_types)})")
    size = str(data.get("format") or "")
    if size and size not in CARD_SIZES:
        report("format", f"« {size} » inconnu ({', '.join(CARD_SIZES)})")
    colour = str(data.get("couleur") or "")
    if colour:
        if not _HEX.match(colour):
            report("couleur", "couleur attendue sous la forme #rrggbb")
        else:
            ratio = contrast_ratio(parse_hex(colour), (255, 255, 255))
            if ratio < 4.5:
                report("couleur", f"contraste avec le blanc {ratio:.2f}:1, il faut au moins 4,5:1 (WCAG AA)")
    icon = str(data.get("icone") or "")
    if icon:
        if not _ICON.match(icon):
            report("icone", "nom d'icône invalide")
        elif print_dir is not None and not (Path(print_dir) / "icons" / f"{icon}.svg").is_file():
            report("icone", f"icône introuvable : print/icons/{icon}.svg")
    front = str(data.get("recto") or item_type)
    if front not in FRONT_TEMPLATES:
        report("recto", f"modèle « {front} » inconnu ({', '.join(FRONT_TEMPLATES)})")
    elif item_type in valid_types and FRONT_TEMPLATES[front].value != item_type:
        report("recto", f"le modèle « {front} » ne convient pas au type « {item_type} »")
    back = str(data.get("verso") or "standard")
    if back not in BACK_TEMPLATES:
        report("verso", f"modèle « {back} » inconnu ({', '.join(BACK_TEMPLATES)})")
    raw_items: Any = data.get("elements") or []
    items: list[str] = []
    if not isinstance(raw_items, list):
        report("elements", "doit être une liste d'identifiants")
    else:
        for index, value in enumerate(raw_items, start=1):
            if not isinstance(value, str) or not re.match(ID_PATTERN, value):
                report("elements", f"élément {index} : identifiant invalide")
            elif value in items:
                report("elements", f"« {value} » apparaît deux fois")
            else:
                items.append(value)
    order = data.get("ordre", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        report("ordre", "doit être un nombre entier")
        order = 100
    title = str(data.get("titre") or "")
    if len(title) > 40:
        report("titre", "40 caractères au plus (il est imprimé au dos des cartes)")
    description = data.get("description") or ""
    if not isinstance(description, str):
        report("description", "doit être un texte")
        description = ""
    usage = data.get("usage") or ""
    if not isinstance(usage, str):
        report("usage", "doit être un texte")
        usage = ""
    elif len(usage.strip()) > USAGE_MAX:
        report("usage", f"{USAGE_MAX} caractères au plus (il est imprimé sur la carte mode d'emploi)")
    raw_steps: Any = data.get("mode_emploi") or []
    steps: list[str] = []
    if not isinstance(raw_steps, list):
        report("mode_emploi", "doit être une liste d'étapes")
    elif len(raw_steps) > STEPS_MAX:
        report("mode_emploi", f"{STEPS_MAX} étapes au plus")
    else:
        for index, value in enumerate(raw_steps, start=1):
            if not isinstance(value, str) or not value.strip():
                report("mode_emploi", f"étape {index} : texte attendu")
            elif len(value.strip()) > STEP_MAX:
                report("mode_emploi", f"étape {index} : {STEP_MAX} caractères au plus")
            else:
                steps.append(" ".join(value.split()))
    if len(problems) > before:
        return None
    return Deck(
        id=deck_id,
        title=title,
        item_type=item_type,
        size=size,
        colour=colour.lower(),
        icon=icon,
        front=front,
        back=back,
        items=tuple(items),
        order=order,
        description=description.strip(),
        path=rel,
        usage=" ".join(usage.split()),
        howto=tuple(steps),
    )


def deck_items(deck: Deck, kit: Kit) -> list[KitItem]:
    """The deck's cards in order: its `elements` list if given, else every item of its type.

    Ids listed in `elements` that are missing from the kit (or of another type) are skipped; use
    `missing_items` to report them.
    """
    if deck.items:
        found = [kit.get(item_id) for item_id in deck.items]
        return [item for item in found if item is not None and item.type.value == deck.item_type]
    return kit.by_type(deck.item_type)


def missing_items(deck: Deck, kit: Kit) -> list[str]:
    """Ids listed in the deck that the kit does not hold as items of the deck's type."""
    missing = []
    for item_id in deck.items:
        item = kit.get(item_id)
        if item is None or item.type.value != deck.item_type:
            missing.append(item_id)
    return missing


def decks_for_item(decks: list[Deck], kit: Kit, item_id: str) -> list[Deck]:
    """The decks that contain the item `item_id` (empty when it is in none)."""
    return [deck for deck in decks if any(item.id == item_id for item in deck_items(deck, kit))]
