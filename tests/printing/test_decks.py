"""Deck definitions: the real decks load, bad ones are reported with path:line, membership."""

from __future__ import annotations

from pathlib import Path

import pytest
from print_helpers import CARDS_DIR, PRINT_DIR

from app.kit import Kit
from app.printing.decks import DeckError, deck_items, decks_for_item, load_decks
from app.printing.imposition import GUTTER_MM, MIN_HEAD_MM, MIN_MARGIN_MM, home_grid, home_page_count, shop_page_count
from app.printing.theme import CARD_SIZES, PAPERS, TYPE_STYLES, contrast_ratio, parse_hex


def test_real_decks_load_and_cover_every_card_type() -> None:
    decks = load_decks(CARDS_DIR, PRINT_DIR)
    assert {d.item_type for d in decks} == {
        "posture", "activite", "initiative", "notion", "dimension", "structure", "role"
    }
    assert {d.size for d in decks} <= set(CARD_SIZES)
    for deck in decks:
        assert contrast_ratio(parse_hex(deck.colour), (255, 255, 255)) >= 4.5


def test_type_colours_meet_wcag_aa() -> None:
    for colour, _icon in TYPE_STYLES.values():
        assert contrast_ratio(parse_hex(colour), (255, 255, 255)) >= 4.5


def test_invalid_deck_reports_path_line_field(tmp_path: Path) -> None:
    (tmp_path / "mauvais.yaml").write_text(
        "id: mauvais\n"
        "titre: Mauvais jeu\n"
        "type: recette\n"
        "format: jumbo\n"
        "couleur: \"#ffff00\"\n"
        "icone: inexistante\n"
        "couleurs: rouge\n",
        encoding="utf-8",
    )
    with pytest.raises(DeckError) as caught:
        load_decks(tmp_path, PRINT_DIR)
    lines = caught.value.problems
    assert any(line.startswith(f"{tmp_path.name}/mauvais.yaml:3: type:") for line in lines)
    assert any(line.startswith(f"{tmp_path.name}/mauvais.yaml:4: format:") for line in lines)
    assert any(":5: couleur:" in line and "4,5:1" in line for line in lines)
    assert any(":6: icone:" in line for line in lines)
    assert any(":7: couleurs: champ inconnu" in line for line in lines)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("id: x\ntitre: [oups\n", encoding="utf-8")
    with pytest.raises(DeckError) as caught:
        load_decks(tmp_path)
    assert caught.value.problems[0].startswith(f"{tmp_path.name}/x.yaml:")
    assert ": yaml: " in caught.value.problems[0]


def test_deck_items_and_membership(print_kit: Kit, small_cards: Path) -> None:
    decks = load_decks(small_cards, PRINT_DIR)
    postures = next(d for d in decks if d.id == "postures")
    items = deck_items(postures, print_kit)
    assert [i.id for i in items] == list(postures.items)
    assert decks_for_item(decks, print_kit, items[0].id) == [postures]
    assert decks_for_item(decks, print_kit, "fiche-utilite-sociale") == []
    full = load_decks(CARDS_DIR, PRINT_DIR)
    every = next(d for d in full if d.id == "postures")
    assert [i.id for i in deck_items(every, print_kit)] == [i.id for i in print_kit.by_type("posture")]


@pytest.mark.parametrize(
    ("size", "paper", "per_sheet", "rotated"),
    [
        ("poker", "a4", 9, False),
        ("poker", "letter", 8, True),  # upright, 3 rows and their gutters leave no room for marks
        ("tarot", "a4", 4, False),
        ("tarot", "letter", 4, False),
        ("a6", "a4", 2, True),
        ("a6", "letter", 2, True),
    ],
)
def test_grids(size: str, paper: str, per_sheet: int, rotated: bool) -> None:
    grid = home_grid(size, paper)
    assert grid.per_sheet == per_sheet
    assert grid.rotated is rotated
    assert grid.x0 >= 6 and grid.y0 >= 6


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("size", ["poker", "tarot", "a6"])
def test_gutters_and_marks_clear_of_the_text(size: str, paper: str) -> None:
    """Cards meeting head to foot have a gutter; the head and foot lines stay inside what a home
    printer prints and never touch the cut marks."""
    grid = home_grid(size, paper)
    rows = [grid.position(r, 0)[1] for r in range(grid.rows)]
    cols = [grid.position(0, c)[0] for c in range(grid.cols)]
    if grid.rotated:
        assert all(b - a == pytest.approx(grid.cell_w + GUTTER_MM) for a, b in zip(cols, cols[1:], strict=False))
    else:
        assert all(b - a == pytest.approx(grid.cell_h + GUTTER_MM) for a, b in zip(rows, rows[1:], strict=False))
    assert grid.x0 >= 6 and grid.mark_v >= 3 and grid.mark_h >= 3
    marks_top, marks_bottom = grid.y0 - 1.5 - grid.mark_v, grid.y0 + grid.height + 1.5 + grid.mark_v
    assert grid.head_top >= 4 and grid.head_top + 3 < marks_top
    assert marks_bottom < grid.foot_top and grid.foot_top + 3 <= grid.paper_h - 4
    assert grid.y0 + grid.height <= grid.paper_h - 6


def test_backs_are_mirrored_for_long_edge_duplex() -> None:
    grid = home_grid("poker", "a4")
    for index in range(grid.per_sheet):
        row, col = grid.front_cell(index)
        assert grid.back_cell(index) == (row, grid.cols - 1 - col)
        front_x, _ = grid.position(row, col)
        back_x, _ = grid.position(*grid.back_cell(index))
        # Seen through the sheet, the back's left edge is the front's right edge.
        assert back_x == pytest.approx(grid.paper_w - (front_x + grid.cell_w))


def test_page_counts() -> None:
    assert home_page_count(10, "poker", "a4") == 4
    assert home_page_count(9, "poker", "a4") == 2
    assert home_page_count(3, "a6", "letter") == 4
    assert shop_page_count(7) == 14


def test_type_colours_stay_apart_for_colour_blind_readers() -> None:
    """Every pair of type and deck colours keeps a CIE76 difference of 15 or more, with normal
    vision and under simulated protanopia, deuteranopia and tritanopia."""
    from app.printing.theme import CVD_MATRICES, MIN_TYPE_DELTA_E, colour_difference

    colours = {kind: colour for kind, (colour, _icon) in TYPE_STYLES.items() if kind != "page"}
    colours |= {f"jeu {d.id}": d.colour for d in load_decks(CARDS_DIR, PRINT_DIR)}
    distinct = sorted(set(colours.values()))
    assert len(distinct) >= 7
    for vision in ("normale", *CVD_MATRICES):
        for i, a in enumerate(distinct):
            for b in distinct[i + 1:]:
                assert colour_difference(a, b, vision) >= MIN_TYPE_DELTA_E, (vision, a, b)


def test_tints_and_ink_meet_wcag_aa() -> None:
    from app.printing.theme import INK, MUTED, tint

    for colour, _icon in TYPE_STYLES.values():
        background = parse_hex(tint(colour, 0.1))
        assert contrast_ratio(parse_hex(colour), background) >= 4.5
        assert contrast_ratio(parse_hex(INK), background) >= 4.5
        assert contrast_ratio(parse_hex(MUTED), background) >= 4.5


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a6_four_to_a_sheet_does_not_fit_a_home_printer(paper: str) -> None:
    """Four A6 cards need 210 × 299 mm with the gutter between the rows (A4 is 210 × 297, Letter
    215.9 × 279.4), no margin left for the printer or the marks: the home edition keeps two A6 to a
    sheet; four A6 to a sheet is a print-shop imposition (the shop edition, one card per page)."""
    card_w, card_h = CARD_SIZES["a6"]
    paper_w, paper_h = PAPERS[paper]
    upright = (2 * card_w + 2 * MIN_MARGIN_MM, 2 * card_h + GUTTER_MM + 2 * MIN_HEAD_MM)
    turned = (2 * card_h + GUTTER_MM + 2 * MIN_MARGIN_MM, 2 * card_w + 2 * MIN_HEAD_MM)
    assert upright[0] > paper_w or upright[1] > paper_h
    assert turned[0] > paper_w or turned[1] > paper_h
    assert home_grid("a6", paper).per_sheet == 2
