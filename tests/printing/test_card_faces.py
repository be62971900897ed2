"""Card faces as a print shop checks them: typeable URLs, type sizes, QR codes and their quiet zone,
one back per deck, shipped glyphs only."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from print_helpers import BASE_URL, CARDS_DIR, PRINT_DIR
from weasyprint import Document
from weasyprint.formatting_structure import boxes

from app.kit import Kit
from app.printing.cards import card_views, faces_context
from app.printing.decks import load_decks
from app.printing.render import render_html, resources

PX_TO_PT = 0.75
PX_TO_MM = 25.4 / 96
#: Minimum body sizes (pt) by card size, and of footers on every card.
BODY_MIN = {"a6": 9.0, "tarot": 9.0, "poker": 8.5}
FOOT_MIN = 7.0


@pytest.fixture(scope="module")
def long_url_decks(print_kit: Kit) -> dict[str, tuple[str, Document]]:
    """Each real deck with its three cards of longest URL, laid out (size, document)."""
    found = {}
    res = resources(PRINT_DIR)
    for deck in load_decks(CARDS_DIR, PRINT_DIR):
        views = card_views(deck, print_kit, base_url=BASE_URL, print_dir=PRINT_DIR)
        chosen = sorted(views, key=lambda v: (-len(v.url), v.item.id))[:3]
        context = faces_context(deck, chosen, meta=_META)  # each card side as the decks render it
        found[deck.id] = (deck.size, render_html(res, "deck-faces.html", context, "cards.css"))
    return found


_META = dict.fromkeys(("title", "author", "description", "keywords", "generator", "date"), "t")


def _walk(box: Any, classes: tuple[str, ...], out: list[tuple[tuple[str, ...], Any]]) -> None:
    element = getattr(box, "element", None)
    if element is not None and getattr(box, "element_tag", None):
        own = str(element.get("class") or "").split()
        if box.element_tag == "dt":
            own.append("<dt>")
        if own and box.element_tag != "html":
            classes = classes + tuple(own)
    out.append((classes, box))
    for child in getattr(box, "children", ()):
        _walk(child, classes, out)


def _boxes(document: Document) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for page in document.pages:
        _walk(page._page_box, (), out)
    return out


def test_printed_urls_are_never_hyphenated(long_url_decks: dict[str, tuple[str, Document]]) -> None:
    """Each URL's lines, put end to end, give the URL exactly; lines end after its own / or -."""
    checked = 0
    for _size, document in long_url_decks.values():
        lines: dict[int, list[str]] = defaultdict(list)
        urls: dict[int, str] = {}
        for classes, box in _boxes(document):
            if "foot-url" in classes and isinstance(box, boxes.TextBox):
                lines[id(box.element)].append(box.text)
                urls[id(box.element)] = box.element.text
        for key, parts in lines.items():
            assert "\u00ad" not in urls[key]
            assert "".join(parts) == urls[key], parts
            for part in parts[:-1]:
                assert part.endswith(("/", "-")), parts
            checked += 1
    assert checked >= 18


def test_card_type_sizes_qr_codes_and_safe_zone(long_url_decks: dict[str, tuple[str, Document]]) -> None:
    for deck_id, (size, document) in long_url_decks.items():
        cards: list[Any] = []
        qr_codes = 0
        for classes, placed in _boxes(document):
            box = getattr(placed, "_box", placed)  # absolutely positioned boxes come wrapped
            if isinstance(box, boxes.TextBox) and "front" in classes:
                font = box.style["font_size"] * PX_TO_PT
                small = {"foot", "band", "label", "label-inline", "meta-k", "<dt>"} & set(classes)
                if small:  # footers, band and the small-capital labels
                    assert font >= FOOT_MIN - 0.01, (deck_id, box.text, font)
                elif "card-body" in classes:
                    assert font >= BODY_MIN[size] - 0.01, (deck_id, box.text, font)
            if getattr(box, "element_tag", None) == "article" and isinstance(box, boxes.BlockBox):
                cards.append(box)
            if classes[-1:] == ("qr-box",) and isinstance(box, boxes.BlockBox):
                qr_codes += 1
                card = cards[-1]
                side = box.width * PX_TO_MM
                assert side >= 15 - 0.01, deck_id
                left = (box.content_box_x() - card.content_box_x()) * PX_TO_MM
                bottom = (card.content_box_y() + card.height - box.content_box_y() - box.height) * PX_TO_MM
                # Quiet zone of 4 modules (at most 37 modules: under 1.7 mm at 15 mm) kept inside 3 mm.
                quiet = 4 * side / 37
                assert left >= 3 + quiet - 0.01 and bottom >= 3 + quiet - 0.01, (deck_id, left, bottom)
        assert qr_codes == 3, deck_id  # the checks above ran on each card


def test_backs_are_the_same_for_every_card_of_a_deck(print_kit: Kit, tmp_path: Path) -> None:
    """The back's markup is one per deck (no number, no item): a shop runs one back per deck."""
    res = resources(PRINT_DIR)
    template = res.env.get_template("cards.html")
    for deck in load_decks(CARDS_DIR, PRINT_DIR):
        views = card_views(deck, print_kit, base_url=BASE_URL, print_dir=PRINT_DIR)
        backs = {str(template.module.back(view, "Mallette", shop=shop)) for view in views[:6] for shop in (False,)}
        assert len(backs) == 1, deck.id
        (html,) = backs
        assert f"{views[0].number}/{views[0].total}" not in html
        assert "back-frame" not in html  # no frame near the edge: duplex drift would show it


def test_card_marks_are_shipped_glyphs(print_kit: Kit) -> None:
    """✓ ✕ • come from print/glyphs/ images, not from a font the kit does not ship."""
    css = (PRINT_DIR / "css" / "cards.css").read_text(encoding="utf-8")
    for glyph in ("✓", "✕", "◦", "•"):
        assert glyph not in css
    for name in ("check", "cross", "bullet", "clock", "group"):
        assert (PRINT_DIR / "glyphs" / f"{name}.svg").is_file()
    deck = yaml.safe_load((CARDS_DIR / "postures.yaml").read_text(encoding="utf-8"))
    assert deck["format"] == "a6"
