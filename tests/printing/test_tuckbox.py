"""Tuck boxes: sized from the card size and the deck's thickness, laid out on A4 and Letter inside
the printable margin, one page per deck (and a blank back) in the kit and its complete PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from print_helpers import CARDS_DIR, PRINT_DIR, pdf_page_images
from pypdf import PdfReader

from app.kit import Kit
from app.printing.cards import DECK_EXTRA_CARDS
from app.printing.decks import deck_items, load_decks
from app.printing.kit_builder import KitResult
from app.printing.theme import CARD_SIZES, PAPERS
from app.printing.tuckbox import (
    CARD_THICKNESS_MM,
    DEPTH_TOLERANCE_MM,
    GLUE_MM,
    MARGIN_MM,
    TOLERANCE_MM,
    box_for,
    layout,
    to_page,
)


@pytest.mark.parametrize("size", sorted(CARD_SIZES))
def test_box_is_sized_from_the_cards_and_their_count(size: str) -> None:
    card_w, card_h = CARD_SIZES[size]
    thin, thick = box_for(size, 10), box_for(size, 40)
    assert thin.width == pytest.approx(card_w + TOLERANCE_MM) and thin.height == pytest.approx(card_h + TOLERANCE_MM)
    assert thin.depth == pytest.approx(10 * CARD_THICKNESS_MM + DEPTH_TOLERANCE_MM)
    assert thick.depth - thin.depth == pytest.approx(30 * CARD_THICKNESS_MM)
    # Glue flap, front, spine, back, side; the faces sit side by side with the card's size.
    assert thick.net_width == pytest.approx(GLUE_MM + 2 * thick.width + 2 * thick.depth)
    panels = thick.panels()
    assert panels["front"][2] == panels["back"][2] == thick.width
    assert panels["spine"][2] == panels["side"][2] == thick.depth
    assert panels["spine"][0] == pytest.approx(panels["front"][0] + thick.width)
    assert thick.net_height > thick.height + 2 * thick.depth


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_every_deck_box_fits_inside_the_printable_margin(print_kit: Kit, paper: str) -> None:
    paper_w, paper_h = PAPERS[paper]
    for deck in load_decks(CARDS_DIR, PRINT_DIR):
        box = box_for(deck.size, len(deck_items(deck, print_kit)) + DECK_EXTRA_CARDS)
        place = layout(box, paper)
        assert place.turned == (deck.size == "a6"), deck.id  # A6 boxes lie across the sheet
        assert place.x >= MARGIN_MM - 0.01 and place.x + place.width <= paper_w - MARGIN_MM + 0.01, deck.id
        assert place.y >= MARGIN_MM and place.y + place.height <= paper_h - MARGIN_MM + 0.01, deck.id
        corners = [to_page(place, box, x, y) for x in (0, box.net_width) for y in (0, box.net_height)]
        assert min(x for x, _ in corners) == pytest.approx(place.x)
        assert max(y for _, y in corners) == pytest.approx(place.y + place.height)


def test_thicker_deck_than_a_sheet_holds_is_refused() -> None:
    with pytest.raises(ValueError, match="ne tient pas"):
        layout(box_for("a6", 400), "a4")


def test_kit_has_one_box_page_per_deck_to_scale(built_kit: KitResult, small_cards: Path, print_kit: Kit,
                                                tmp_path: Path) -> None:
    decks = load_decks(small_cards, PRINT_DIR)
    (path,) = [f for f in built_kit.files if f.name.endswith("-boites.pdf")]
    reader = PdfReader(path)
    assert len(reader.pages) == 2 * len(decks)  # each box on a recto, its back left blank
    for index, deck in enumerate(decks):
        text = reader.pages[2 * index].extract_text()
        count = len(deck_items(deck, print_kit)) + DECK_EXTRA_CARDS
        assert deck.title in text and f"{count}\u00a0cartes" in text, deck.id
        assert "blanche" in reader.pages[2 * index + 1].extract_text()
    whole = PdfReader(built_kit.whole_pdf)
    assert whole.pages[-2 * len(decks)].extract_text() == reader.pages[0].extract_text()
    # To scale: the front face of the poker box, filled with the deck's colour, is its width wide.
    index = next(i for i, d in enumerate(decks) if d.size == "poker")
    deck = decks[index]
    box = box_for("poker", len(deck_items(deck, print_kit)) + DECK_EXTRA_CARDS)
    place = layout(box, "a4")
    dpi = 150
    (picture,) = pdf_page_images(path, 2 * index + 1, 2 * index + 1, dpi, tmp_path)
    front = box.panels()["front"]
    x, y = to_page(place, box, front[0] + 2, front[1] + front[3] * 0.85)  # below the front's texts
    colour = tuple(int(deck.colour[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(picture) as image:
        rgb = image.convert("RGB")
        row, start = round(y * dpi / 25.4), round(x * dpi / 25.4)

        def inked(px: int) -> bool:
            return sum(abs(a - b) for a, b in zip(rgb.getpixel((px, row)), colour, strict=True)) < 40

        left, right = start, start
        while inked(left - 1):
            left -= 1
        while inked(right + 1):
            right += 1
    width_mm = (right - left + 1) * 25.4 / dpi
    # From the glue flap's fold to the spine's fold (the dashed line interrupts the colour).
    assert width_mm == pytest.approx(box.width, abs=0.5)
