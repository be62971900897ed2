"""Each deck opens with its title card and its mode d'emploi: unnumbered (n/N counts the content
cards), on the deck's one back, with the type sizes, QR rules and safe zone of every card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from print_helpers import BASE_URL, CARDS_DIR, PRINT_DIR, decode_qr, pdf_page_images
from pypdf import PdfReader
from test_card_faces import BODY_MIN, FOOT_MIN, PX_TO_MM, PX_TO_PT, _boxes
from weasyprint.formatting_structure import boxes

from app.kit import Kit
from app.printing.cards import DECK_EXTRA_CARDS, DECK_PAGES, card_views, deck_cards, faces_context
from app.printing.decks import DeckError, deck_items, load_decks
from app.printing.imposition import home_page_count
from app.printing.kit_builder import KitResult
from app.printing.render import find_overflows, render_html, resources

_META = {**dict.fromkeys(("title", "author", "description", "keywords", "generator"), "t"),
         "date": "2026-01-01T00:00:00+00:00"}


@pytest.fixture(scope="module")
def deck_card_docs(print_kit: Kit) -> dict[str, tuple[str, Any]]:
    """Each real deck's title and mode d'emploi cards (full texts) and its first card, laid out."""
    found = {}
    res = resources(PRINT_DIR)
    for deck in load_decks(CARDS_DIR, PRINT_DIR):
        items = card_views(deck, print_kit, base_url=BASE_URL, print_dir=PRINT_DIR)
        cards = [*deck_cards(deck, len(items), base_url=BASE_URL, print_dir=PRINT_DIR, licence="CC BY-SA 4.0"),
                 items[0]]
        context = faces_context(deck, cards, meta=_META)  # each card side as the decks render it
        found[deck.id] = (deck.size, render_html(res, "deck-faces.html", context, "cards.css"))
    return found


def test_every_deck_has_a_written_mode_d_emploi() -> None:
    for deck in load_decks(CARDS_DIR, PRINT_DIR):
        assert deck.usage and deck.usage != deck.description, deck.id
        assert 3 <= len(deck.howto) <= 4, deck.id
        assert deck.item_type in DECK_PAGES


def test_deck_cards_fit_and_keep_type_sizes_qr_and_safe_zone(deck_card_docs: dict[str, tuple[str, Any]]) -> None:
    for deck_id, (size, document) in deck_card_docs.items():
        assert find_overflows(document) == [], deck_id
        cards: list[Any] = []
        qr_boxes = 0
        for classes, placed in _boxes(document):
            if "deck-card" not in classes:
                continue
            box = getattr(placed, "_box", placed)  # absolutely positioned boxes come wrapped
            if isinstance(box, boxes.TextBox):
                font = box.style["font_size"] * PX_TO_PT
                if {"foot", "band", "label", "title-kicker"} & set(classes):
                    assert font >= FOOT_MIN - 0.01, (deck_id, box.text, font)
                elif "card-body" in classes:
                    assert font >= BODY_MIN[size] - 0.01, (deck_id, box.text, font)
            if getattr(box, "element_tag", None) == "article" and isinstance(box, boxes.BlockBox):
                cards.append(box)
            if classes[-1:] == ("qr-box",) and isinstance(box, boxes.BlockBox):
                qr_boxes += 1
                card = cards[-1]
                side = box.width * PX_TO_MM
                assert side >= 15 - 0.01, deck_id
                left = (box.content_box_x() - card.content_box_x()) * PX_TO_MM
                bottom = (card.content_box_y() + card.height - box.content_box_y() - box.height) * PX_TO_MM
                quiet = 4 * side / 37
                assert left >= 3 + quiet - 0.01 and bottom >= 3 + quiet - 0.01, (deck_id, left, bottom)
        assert qr_boxes == 1, deck_id  # the mode d'emploi links to the deck's page; the title card has none


def test_deck_cards_share_the_deck_back(print_kit: Kit) -> None:
    template = resources(PRINT_DIR).env.get_template("cards.html")
    for deck in load_decks(CARDS_DIR, PRINT_DIR):
        items = card_views(deck, print_kit, base_url=BASE_URL, print_dir=PRINT_DIR)
        own = deck_cards(deck, len(items), base_url=BASE_URL, print_dir=PRINT_DIR, licence="CC BY-SA 4.0")
        backs = {str(template.module.back(card, "Mallette")) for card in [*own, items[0]]}
        assert len(backs) == 1, deck.id


def test_deck_pdf_opens_with_title_and_mode_d_emploi(built_kit: KitResult, print_kit: Kit, small_cards: Path,
                                                     tmp_path: Path) -> None:
    """The decks as the kit built them: two more cards than items, unnumbered, then 1/N..N/N."""
    for deck_id in ("structures", "notions"):
        deck = next(d for d in load_decks(small_cards, PRINT_DIR) if d.id == deck_id)
        count = len(deck_items(deck, print_kit))
        (path,) = [f for f in built_kit.files if f.name.endswith(f"-jeu-{deck_id}.pdf")]
        reader = PdfReader(path)
        assert len(reader.pages) == home_page_count(count + DECK_EXTRA_CARDS, deck.size, "a4")
        first = reader.pages[0].extract_text()
        assert "Mode d’emploi" in first and "À QUOI SERT CE JEU" in first.upper()
        assert f"{count}\u00a0cartes" in first and "CC BY-SA 4.0" in first
        assert f"1/{count}" in first and f"0/{count}" not in first
        text = "".join(page.extract_text() for page in reader.pages)
        assert f"{count}/{count}" in text and f"{count + 1}/" not in text.replace(f"{count + 1}/{count}", "")
        if deck_id == "structures":  # poker: the mode d'emploi's QR code opens the deck's page
            (picture,) = pdf_page_images(path, 1, 1, 150, tmp_path)
            assert f"{BASE_URL}/structures" in decode_qr(picture)


def test_mode_d_emploi_texts_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "long.yaml").write_text(
        "id: long\ntitre: Jeu long\ntype: notion\nformat: poker\ncouleur: \"#444c55\"\nicone: notion\n"
        f"usage: {'mot ' * 80}\nmode_emploi:\n  - un\n  - deux\n  - trois\n  - quatre\n  - cinq\n",
        encoding="utf-8",
    )
    with pytest.raises(DeckError) as caught:
        load_decks(tmp_path, PRINT_DIR)
    problems = caught.value.problems
    assert any(p.startswith(f"{tmp_path.name}/long.yaml:7: usage:") for p in problems), problems
    assert any(p.startswith(f"{tmp_path.name}/long.yaml:8: mode_emploi: 4 étapes au plus") for p in problems)
