"""The web app's window on the print pipeline (`app.printing`): decks, card PDFs, kit builds.

`PrintPipeline` is everything the web layer and the job worker ask of the pipeline, typed; the app
holds one (`pipeline()`), the real `PrintingPipeline` unless the `PRINT_PIPELINE` setting gives a
stand-in (tests). Deck definitions are kept in the app's content cache until a file in the cards folder changes.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

from ..kit import Kit, KitItem
from ..printing import decks as decks_lib
from ..printing import kit_builder
from ..printing.decks import Deck
from ..printing.options import KitOptions, KitResult, ProgressFn

log = logging.getLogger(__name__)


class PrintPipeline(Protocol):
    """What the web app and its job worker need from the print pipeline."""

    def load_decks(self, cards_dir: Path) -> list[Deck]:
        """The deck definitions of a cards folder (raises `DeckError` for invalid files)."""
        ...

    def deck_items(self, deck: Deck, kit: Kit) -> list[KitItem]:
        """The cards of a deck, in order."""
        ...

    def decks_for_item(self, decks: list[Deck], kit: Kit, item_id: str) -> list[Deck]:
        """The decks that hold an item."""
        ...

    def build_kit(
        self, kit: Kit, options: KitOptions, out_dir: Path, *, base_url: str, print_dir: Path, cards_dir: Path,
        progress: ProgressFn | None, workers: int | None, cache_budget_bytes: int,
    ) -> KitResult:
        """Build a territory kit into `out_dir`."""
        ...

    def render_card_pdf(
        self, kit: Kit, item_id: str, *, base_url: str, print_dir: Path, cards_dir: Path, paper: str,
    ) -> bytes:
        """The one-card PDF of an item."""
        ...


class PrintingPipeline:
    """The real print pipeline (`app.printing`)."""

    def load_decks(self, cards_dir: Path) -> list[Deck]:
        """`app.printing.decks.load_decks`."""
        return decks_lib.load_decks(cards_dir)

    def deck_items(self, deck: Deck, kit: Kit) -> list[KitItem]:
        """`app.printing.decks.deck_items`."""
        return decks_lib.deck_items(deck, kit)

    def decks_for_item(self, decks: list[Deck], kit: Kit, item_id: str) -> list[Deck]:
        """`app.printing.decks.decks_for_item`."""
        return decks_lib.decks_for_item(decks, kit, item_id)

    def build_kit(
        self, kit: Kit, options: KitOptions, out_dir: Path, *, base_url: str, print_dir: Path, cards_dir: Path,
        progress: ProgressFn | None, workers: int | None, cache_budget_bytes: int,
    ) -> KitResult:
        """`app.printing.kit_builder.build_kit`."""
        return kit_builder.build_kit(
            kit, options, out_dir, base_url=base_url, print_dir=print_dir, cards_dir=cards_dir,
            progress=progress, workers=workers, cache_budget_bytes=cache_budget_bytes,
        )

    def render_card_pdf(
        self, kit: Kit, item_id: str, *, base_url: str, print_dir: Path, cards_dir: Path, paper: str,
    ) -> bytes:
        """`app.printing.kit_builder.render_card_pdf`."""
        return kit_builder.render_card_pdf(kit, item_id, base_url=base_url, print_dir=print_dir,
                                           cards_dir=cards_dir, paper=paper)


def install_pipeline(app: Flask) -> PrintPipeline:
    """Give the app its pipeline: `PRINT_PIPELINE` from the configuration (an object, or the
    "module:name" of a class or object, for a job worker in another process), else the real one."""
    chosen: Any = app.config.get("PRINT_PIPELINE") or PrintingPipeline()
    if isinstance(chosen, str):
        module_name, _, name = chosen.partition(":")
        chosen = getattr(importlib.import_module(module_name), name)
        if isinstance(chosen, type):
            chosen = chosen()
    app.extensions["mallette_pipeline"] = chosen
    pipeline_: PrintPipeline = chosen
    return pipeline_


def pipeline(app: Flask | None = None) -> PrintPipeline:
    """The print pipeline of the current (or given) app."""
    found: PrintPipeline = (app or current_app).extensions["mallette_pipeline"]
    return found


def decks_version() -> str:
    """A string that changes when the deck definitions change (for page caching)."""
    from .. import get_state

    return f"{current_app.config['CARDS_DIR']}:{hashlib.sha256(get_state().decks_version.encode()).hexdigest()[:16]}"


def load_decks() -> list[Deck]:
    """The deck definitions of the app's cards folder (kept in the app's content cache, which is
    emptied when a deck file changes); empty (and logged) if they cannot be read."""
    from .. import get_state

    cards_dir = Path(current_app.config["CARDS_DIR"])

    def load() -> list[Deck]:
        try:
            return list(pipeline().load_decks(cards_dir))
        except Exception:  # a broken deck file must not break the resource pages
            log.exception("cannot load the decks from %s", cards_dir)
            return []

    decks: list[Deck] = get_state().cache.get_or_make("decks", str(cards_dir), load)
    return decks


@dataclass(frozen=True)
class DeckPlace:
    """Where an item sits in a deck, with its neighbours."""

    deck: Deck
    position: int
    count: int
    previous: KitItem | None
    next: KitItem | None


def deck_places(kit: Kit, item: KitItem) -> list[DeckPlace]:
    """The decks holding this item, with its rank and its neighbours in each."""
    decks = load_decks()
    if not decks:
        return []
    module = pipeline()
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


def deck_summaries(kit: Kit) -> list[tuple[Deck, int]]:
    """Every deck with its number of cards, for the download form."""
    decks = load_decks()
    if not decks:
        return []
    module = pipeline()
    return [(deck, len(module.deck_items(deck, kit))) for deck in decks]
