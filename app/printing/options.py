"""What a territory asks for (`KitOptions`), what a build wrote (`KitResult`), and file names."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from .theme import PAPERS

#: Bump when the rendering changes in a way the asset hash does not see.
PIPELINE_VERSION = "4"
PAPER_CHOICES = tuple(PAPERS)
EDITIONS = ("home", "shop")
MAX_OFFSET_MM = 10.0
#: Most cards a selection build prints (a facilitator's pick, not a whole kit).
MAX_SELECTED_CARDS = 60
_CARD_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class Step(StrEnum):
    """What a build is doing, reported with its percentage and parameters (the web layer and the
    command line word it in their own language)."""

    PREPARING = "preparing"
    UP_TO_DATE = "up-to-date"
    #: params: done, pending (numbers of parts)
    PARTS_CACHED = "parts-cached"
    #: params: part ("body" once the booklet's body is done, "body-section" for a chunk of it before,
    #: "front" or "deck"), section (the title of a chunk's first part), deck (its title, for a deck)
    PART_DONE = "part-done"
    ASSEMBLING = "assembling"
    ZIPPING = "zipping"
    READY = "ready"


#: progress(percent, step, params)
ProgressFn = Callable[[int, Step, dict[str, Any]], None]


def clean_territory_name(name: str) -> str:
    """A territory name in NFC with spaces collapsed; ValueError if it holds a control or format
    character (bidi overrides such as U+202E would print a spoofed name on the cover)."""
    name = " ".join(unicodedata.normalize("NFC", name).split())
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise ValueError(f"le nom du territoire contient un caractère invisible ou de contrôle "
                             f"(U+{ord(char):04X}) : retirez-le")
    return name


@dataclass(frozen=True)
class KitOptions:
    """What a territory asks for: its name, paper, edition, decks and printer back offset; or, with
    `cards`, a selection: one PDF of just those cards (fronts and mirrored backs), in deck order
    whatever the order they were picked in."""

    territory: str
    paper: str = "a4"
    edition: str = "home"
    decks: tuple[str, ...] = ()
    back_offset_mm: float = 0.0
    cards: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        territory = clean_territory_name(str(self.territory))
        if not territory or len(territory) > 80:
            raise ValueError("le nom du territoire doit faire de 1 à 80 caractères")
        if self.paper not in PAPER_CHOICES:
            raise ValueError(f"papier « {self.paper} » inconnu ({', '.join(PAPER_CHOICES)})")
        if self.edition not in EDITIONS:
            raise ValueError(f"édition « {self.edition} » inconnue ({', '.join(EDITIONS)})")
        if not -MAX_OFFSET_MM <= float(self.back_offset_mm) <= MAX_OFFSET_MM:
            raise ValueError(f"le décalage du verso doit rester entre -{MAX_OFFSET_MM:g} et {MAX_OFFSET_MM:g} mm")
        # Sorted, without repeats: the same cards picked in another order are the same build (one key).
        cards = tuple(sorted({str(card) for card in self.cards}))
        if len(cards) > MAX_SELECTED_CARDS:
            raise ValueError(f"une sélection compte au plus {MAX_SELECTED_CARDS} cartes ({len(cards)} demandées)")
        bad = [card for card in cards if not _CARD_ID.match(card)]
        if bad:
            raise ValueError(f"identifiant de carte invalide : {bad[0][:40]!r}")
        object.__setattr__(self, "territory", territory)
        object.__setattr__(self, "cards", cards)
        object.__setattr__(self, "decks", tuple(self.decks))
        object.__setattr__(self, "back_offset_mm", round(float(self.back_offset_mm), 2))

    def as_dict(self) -> dict[str, Any]:
        """The options as plain data (`cards` only for a selection: other keys stay as they were)."""
        data: dict[str, Any] = {
            "territory": self.territory,
            "paper": self.paper,
            "edition": self.edition,
            "decks": list(self.decks),
            "back_offset_mm": self.back_offset_mm,
        }
        if self.cards:
            data["cards"] = list(self.cards)
        return data

    def cache_key(self, content_hash: str) -> str:
        """Hex digest of the options and the content hash (and the pipeline version)."""
        payload = json.dumps(
            {"options": self.as_dict(), "content": content_hash, "pipeline": PIPELINE_VERSION},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class KitResult:
    """What `build_kit` wrote: every file (PDFs then the ZIP), the ZIP, the whole-kit PDF, its pages."""

    files: list[Path]
    zip_path: Path
    whole_pdf: Path
    pages: int
    #: Processes that rendered this build's parts (1: in the building process; 0: all cached).
    render_processes: int = 0


def slugify(text: str) -> str:
    """'Pays de Couserans' -> 'pays-de-couserans' (ASCII, for file names)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:50] or "territoire"
