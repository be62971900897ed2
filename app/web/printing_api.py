"""The web app's window on the print pipeline (`app.printing`): decks, card PDFs, kit builds.

Deck definitions are cached until a file in the cards folder changes. `builder_module()` is the one
seam through which the web layer reaches the builder, so tests can put a stand-in behind it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import current_app

from ..kit import Kit, KitItem
from ..printing import decks as decks_lib
from ..printing import kit_builder

log = logging.getLogger(__name__)
_lock = threading.Lock()
_decks_cache: dict[str, tuple[float, list[Any]]] = {}


def decks_module() -> ModuleType:
    """`app.printing.decks`."""
    return decks_lib


def builder_module() -> ModuleType:
    """`app.printing.kit_builder`."""
    return kit_builder


#: How long (seconds) a look at the cards folder stays valid: pages do not stat it on every request.
STAMP_TTL = 2.0
_stamps: dict[str, tuple[float, float]] = {}


def _cards_mtime(folder: str | Path) -> float:
    now = time.monotonic()
    cached = _stamps.get(str(folder))
    if cached and now - cached[0] < STAMP_TTL:
        return cached[1]
    stamps = [p.stat().st_mtime for p in Path(folder).glob("*.y*ml")]
    stamp = max(stamps, default=0.0) + len(stamps)
    _stamps[str(folder)] = (now, stamp)
    return stamp


def decks_version() -> str:
    """A string that changes when the deck definitions change (for page caching)."""
    folder = str(current_app.config["CARDS_DIR"])
    try:
        return f"{folder}:{_cards_mtime(folder)}"
    except OSError:
        return f"{folder}:-"


def load_decks() -> list[Any]:
    """The deck definitions of the app's cards folder; empty (and logged) if they cannot be read."""
    cards_dir = Path(current_app.config["CARDS_DIR"])
    key = str(cards_dir)
    try:
        stamp = _cards_mtime(cards_dir)
    except OSError:
        return []
    with _lock:
        cached = _decks_cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            decks = list(decks_module().load_decks(cards_dir))
        except Exception:  # a broken deck file must not break the resource pages
            log.exception("cannot load the decks from %s", cards_dir)
            decks = []
        _decks_cache[key] = (stamp, decks)
        return decks


@dataclass(frozen=True)
class DeckPlace:
    """Where an item sits in a deck, with its neighbours."""

    deck: Any
    position: int
    count: int
    previous: KitItem | None
    next: KitItem | None


def deck_places(kit: Kit, item: KitItem) -> list[DeckPlace]:
    """The decks holding this item, with its rank and its neighbours in each."""
    decks = load_decks()
    if not decks:
        return []
    module = decks_module()
    places: list[DeckPlace] = []
    try:
        for deck in module.decks_for_item(decks, kit, item.id):
            cards = list(module.deck_items(deck, kit))
            ids = [card.id for card in cards]
            if item.id not in ids:
                continue
            index = ids.index(item.id)
            places.append(
                DeckPlace(
                    deck=deck,
                    position=index + 1,
                    count=len(cards),
                    previous=cards[index - 1] if index > 0 else None,
                    next=cards[index + 1] if index + 1 < len(cards) else None,
                )
            )
    except Exception:
        log.exception("cannot place %s in its decks", item.id)
        return []
    return places


def deck_summaries(kit: Kit) -> list[tuple[Any, int]]:
    """Every deck with its number of cards, for the download form."""
    decks = load_decks()
    if not decks:
        return []
    module = decks_module()
    return [(deck, len(module.deck_items(deck, kit))) for deck in decks]
