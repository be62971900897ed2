"""One deck or one card, rendered in this process: the deck PDF as a kit build makes it, and the
"print this card" sheet of a resource page (the web app keeps it in its content cache)."""

from __future__ import annotations

from pathlib import Path

from app.kit.model import Kit, KitItem
from app.kit.schema import ItemType

from .cards import MALLETTE_NAME, card_views, single_context
from .decks import Deck, deck_items, decks_for_item, load_decks
from .fingerprint import assets_hash, content_date, deck_key, sha
from .options import KitOptions
from .parts import Job, finisher, meta, render_deck, select_decks
from .render import CardOverflowError, PrintError, find_overflows, pdf_bytes, render_html, resources
from .theme import PAPERS, TYPE_STYLES


def render_deck_pdf(
    kit: Kit,
    deck_id: str,
    options: KitOptions,
    *,
    base_url: str,
    print_dir: Path,
    cards_dir: Path,
) -> tuple[bytes, int]:
    """Render one deck in this process, as `build_kit` would: (PDF bytes, page count).

    Raises `CardOverflowError` naming every card whose text overflows.
    """
    print_dir, cards_dir = Path(print_dir), Path(cards_dir)
    decks = select_decks(kit, KitOptions(options.territory, decks=(deck_id,)), cards_dir, print_dir)
    if not decks:
        raise PrintError(f"le jeu « {deck_id} » n'a aucune carte")
    deck = decks[0]
    key = deck_key(deck, kit, options, base_url, assets_hash(print_dir))
    job = Job(kit, options, {deck.id: deck}, [], base_url, print_dir)
    data, pages, overflows = render_deck(job, deck, key)
    if overflows:
        raise CardOverflowError(overflows, {i.id: i.path for i in kit})
    return data, pages


# --------------------------------------------------------------------------- one card


def _ad_hoc_deck(item: KitItem) -> Deck:
    colour, icon = TYPE_STYLES[item.type.value]
    size = {"posture": "a6", "activite": "a6", "structure": "poker"}.get(item.type.value, "tarot")
    return Deck(
        id=f"carte-{item.type.value}", title=item.type.plural, item_type=item.type.value, size=size,
        colour=colour, icon=icon, front=item.type.value, back="standard", items=(item.id,), order=0,
        description="", path="",
    )


def render_card_pdf(
    kit: Kit,
    item_id: str,
    *,
    base_url: str,
    print_dir: Path,
    cards_dir: Path,
    paper: str = "a4",
) -> bytes:
    """'Print this card': the item's card, front and back, on one sheet (or recto/verso pages).

    Raises KeyError for an unknown item or one that is not a card type, `CardOverflowError` when
    its text overflows the card.
    """
    if paper not in PAPERS:
        raise ValueError(f"papier « {paper} » inconnu")
    item, _alias = kit.resolve(item_id)
    if item is None:
        raise KeyError(item_id)
    print_dir, cards_dir = Path(print_dir), Path(cards_dir)
    decks = load_decks(cards_dir, print_dir)
    found = decks_for_item(decks, kit, item.id)
    if found:
        deck = found[0]
    elif item.type in {ItemType(t) for t in ("posture", "activite", "initiative", "notion",
                                                  "dimension", "structure")}:
        deck = _ad_hoc_deck(item)
    else:
        raise KeyError(item_id)
    key = sha("single", assets_hash(print_dir), deck.fingerprint(), item.id, item.checksum,
              len(deck_items(deck, kit)), sorted(kit.glossary.items()), base_url, paper)
    views = [v for v in card_views(deck, kit, base_url=base_url, print_dir=print_dir) if v.item.id == item.id]
    card = views[0]
    info = meta(
        f"{item.title} — {deck.title}",
        f"Carte « {item.title} » de la {MALLETTE_NAME}.",
        content_date(kit, [item]),
        f"mallette, carte, {item.id}",
    )
    res = resources(print_dir)
    document = render_html(res, "card-single.html", single_context(card, paper=paper, meta=info), "cards.css")
    overflows = find_overflows(document)
    if overflows:
        raise CardOverflowError(overflows, {item.id: item.path})
    return pdf_bytes(document, key, finisher=finisher(viewer=True, shop_bleed_mm=None))
