"""A selection build: one PDF of exactly the chosen cards, across decks, fronts and mirrored backs,
numbered as in their decks, cached like a kit; ids validated against the kit and bounded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from print_helpers import BASE_URL, PRINT_DIR, text_boxes
from pypdf import PdfReader

from app.kit import Kit
from app.printing.decks import deck_items, load_decks
from app.printing.imposition import home_grid
from app.printing.kit_builder import KitOptions, build_kit
from app.printing.options import MAX_SELECTED_CARDS
from app.printing.render import PrintError

MM = 72 / 25.4


def test_selection_pdf_holds_exactly_the_chosen_cards(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    decks = {d.id: d for d in load_decks(small_cards, PRINT_DIR)}
    notions = deck_items(decks["notions"], print_kit)
    structures = deck_items(decks["structures"], print_kit)
    chosen = (structures[4].id, notions[2].id, structures[1].id)  # two decks, two card sizes
    options = KitOptions("Couserans", cards=chosen)
    steps: list[str] = []
    result = build_kit(print_kit, options, tmp_path / "out", base_url=BASE_URL, print_dir=PRINT_DIR,
                       cards_dir=small_cards, cache_dir=tmp_path / "cache", workers=1,
                       progress=lambda _p, step, _params: steps.append(str(step)))
    assert [f.name for f in result.files] == ["couserans-cartes.pdf", "couserans-cartes.zip"]
    reader = PdfReader(result.whole_pdf)
    # Deck order (notions before structures): one front sheet and its back sheet per deck.
    assert len(reader.pages) == result.pages == 4
    text = [page.extract_text() for page in reader.pages]
    all_titles = {item.title for item in notions + structures}
    fronts = {title for title in all_titles if title in text[0] + text[2]}
    assert fronts == {notions[2].title, structures[4].title, structures[1].title}
    # Numbered as in their deck, no title or mode d'emploi card.
    assert "3/" in text[0] and f"/{len(notions)}" in text[0] and "Mode d’emploi" not in "".join(text)
    assert re.search(rf"\b2/{len(structures)}\b", text[2]) and re.search(rf"\b5/{len(structures)}\b", text[2])
    # Backs mirrored on long-edge duplex: the lone notion in column 0 has its back in the last column.
    grid = home_grid("tarot", "a4")
    (front_x,) = [x for t, x in text_boxes(result.whole_pdf, 1)[0] if re.fullmatch(rf"3/{len(notions)}", t)]
    (back_x,) = [x for t, x in text_boxes(result.whole_pdf, 2)[1] if t == decks["notions"].title]
    assert int((front_x / MM - grid.x0) // grid.cell_w) == 0
    assert int((back_x / MM - grid.x0) // grid.cell_w) == grid.cols - 1
    # The same selection again comes from the cache.
    again = build_kit(print_kit, options, tmp_path / "again", base_url=BASE_URL, print_dir=PRINT_DIR,
                      cards_dir=small_cards, cache_dir=tmp_path / "cache", workers=1,
                      progress=lambda _p, step, _params: steps.append(str(step)))
    assert steps[-1] == "up-to-date" and again.whole_pdf.read_bytes() == result.whole_pdf.read_bytes()


def test_selection_ids_are_checked_and_bounded(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    with pytest.raises(PrintError, match="carte-inexistante"):
        build_kit(print_kit, KitOptions("Couserans", cards=("carte-inexistante",)), tmp_path,
                  base_url=BASE_URL, print_dir=PRINT_DIR, cards_dir=small_cards, cache_dir=tmp_path / "c")
    fiche = print_kit.by_type("fiche")[0].id  # an item of the kit, but no card
    with pytest.raises(PrintError, match=fiche):
        build_kit(print_kit, KitOptions("Couserans", cards=(fiche,)), tmp_path,
                  base_url=BASE_URL, print_dir=PRINT_DIR, cards_dir=small_cards, cache_dir=tmp_path / "c")
    with pytest.raises(ValueError, match="au plus"):
        KitOptions("Couserans", cards=tuple(f"carte-{n}" for n in range(MAX_SELECTED_CARDS + 1)))
    with pytest.raises(ValueError, match="invalide"):
        KitOptions("Couserans", cards=("../etc",))
    assert KitOptions("C", cards=("b", "a", "b")).cards == ("a", "b")  # one key for the same pick
    # A kit without a selection keeps the cache key it had (no "cards" in its options).
    assert "cards" not in KitOptions("C").as_dict()
