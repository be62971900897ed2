"""Rendered decks and single cards: pages, boxes, mirrored backs, QR codes, fonts, overflow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from print_helpers import BASE_URL, CARDS_DIR, PRINT_DIR, decode_qr, make_small_cards, pdf_page_images, text_boxes
from pypdf import PdfReader

from app.kit import Kit, load_kit
from app.printing.cards import DECK_EXTRA_CARDS
from app.printing.decks import deck_items, load_decks
from app.printing.imposition import home_grid, home_page_count
from app.printing.kit_builder import KitOptions, render_card_pdf, render_deck_pdf
from app.printing.render import CardOverflowError

MM = 72 / 25.4


def _deck(small_cards: Path, deck_id: str):  # type: ignore[no-untyped-def]
    return next(d for d in load_decks(small_cards, PRINT_DIR) if d.id == deck_id)


def _render(kit: Kit, cards: Path, deck_id: str, **options: object) -> tuple[bytes, int]:
    opts = KitOptions(territory="Test", **options)  # type: ignore[arg-type]
    return render_deck_pdf(kit, deck_id, opts, base_url=BASE_URL, print_dir=PRINT_DIR, cards_dir=cards)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_home_deck_pages_and_mirrored_backs(print_kit: Kit, small_cards: Path, tmp_path: Path,
                                            paper: str) -> None:
    deck = _deck(small_cards, "initiatives")  # tarot: 2 x 2 per sheet, upright
    data, pages = _render(print_kit, small_cards, "initiatives", paper=paper)
    count = len(deck_items(deck, print_kit))
    assert pages == home_page_count(count + DECK_EXTRA_CARDS, "tarot", paper) == 4
    path = _write(tmp_path / "d.pdf", data)
    reader = PdfReader(path)
    assert len(reader.pages) == pages
    width = float(reader.pages[0].mediabox.width)
    assert width == pytest.approx((210 if paper == "a4" else 215.9) * MM, abs=0.5)
    prefs = reader.trailer["/Root"]["/ViewerPreferences"]
    assert prefs["/PrintScaling"] == "/None" and prefs["/Duplex"] == "/DuplexFlipLongEdge"
    grid = home_grid("tarot", paper)
    # Card numbers "n/5" are printed on the fronts only (corner index); the backs carry none.
    fronts = [_numbers(path, 2 * sheet + 1, count) for sheet in range(2)]
    assert sorted(n for front in fronts for n in front) == sorted(f"{n}/{count}" for n in range(1, count + 1))
    for sheet in range(2):
        assert not _numbers(path, 2 * sheet + 2, count)
    # The last sheet holds one card, in column 0: its back is in the mirrored column.
    (x_front,) = fronts[1].values()
    backs = [x for text, x in text_boxes(path, 4)[1] if text == deck.title]
    assert len(backs) == 1
    assert int((x_front / MM - grid.x0) // grid.cell_w) == 0
    assert int((backs[0] / MM - grid.x0) // grid.cell_w) == grid.cols - 1


def test_home_sheets_draw_cut_marks_and_back_bleeds(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    """Marks land where the grid says: cut marks beside every column edge, colour around the backs."""
    deck = _deck(small_cards, "initiatives")
    data, _pages = _render(print_kit, small_cards, "initiatives", back_offset_mm=2.0)
    front, back = pdf_page_images(_write(tmp_path / "m.pdf", data), 1, 2, 300, tmp_path)
    grid = home_grid("tarot", "a4")
    px = 300 / 25.4

    def ink(picture: Path, x_mm: float, y_mm: float) -> tuple[int, int, int]:
        """The darkest pixel within a pixel of the point (hairlines are anti-aliased)."""
        with Image.open(picture) as image:
            rgb = image.convert("RGB")
            x, y = round(x_mm * px), round(y_mm * px)
            return min((rgb.getpixel((x + d, y)) for d in (-1, 0, 1)), key=sum)

    above = grid.y0 - 4  # inside the cut marks drawn above the grid
    for col in range(grid.cols + 1):
        x = grid.x0 + col * grid.cell_w
        assert sum(ink(front, x, above)) < 400, col  # dark line
        assert sum(ink(front, x + 1.5, above)) > 700  # white paper beside it
        assert sum(ink(back, x + 2.0, above)) < 400  # the back's marks follow its offset
    # Around each back, 1.5 mm of the deck's colour (here at the grid's left edge, outside the card).
    colour = tuple(int(deck.colour[i : i + 2], 16) for i in (1, 3, 5))
    r, g, b = ink(back, grid.x0 + 2.0 - 0.8, grid.y0 + grid.cell_h / 2)
    assert abs(r - colour[0]) + abs(g - colour[1]) + abs(b - colour[2]) < 40
    assert sum(ink(front, grid.x0 - 0.8, grid.y0 + grid.cell_h / 2)) > 700


def test_home_gutters_band_bleed_and_drift_tolerant_backs(print_kit: Kit, small_cards: Path,
                                                          tmp_path: Path) -> None:
    """Between two rows of poker cards: white gutter, the lower band's colour running into it;
    on the back sheet, the deck's colour fills the gutters (a drifted back shows no white line)."""
    deck = _deck(small_cards, "structures")
    data, _pages = _render(print_kit, small_cards, "structures")
    front, back = pdf_page_images(_write(tmp_path / "g.pdf", data), 1, 2, 200, tmp_path)
    grid = home_grid("poker", "a4")
    px = 200 / 25.4
    colour = tuple(int(deck.colour[i : i + 2], 16) for i in (1, 3, 5))

    def rgb(picture: Path, x_mm: float, y_mm: float) -> tuple[int, int, int]:
        with Image.open(picture) as image:
            return image.convert("RGB").getpixel((round(x_mm * px), round(y_mm * px)))

    def near(found: tuple[int, int, int]) -> bool:
        return sum(abs(a - b) for a, b in zip(found, colour, strict=True)) < 40

    x = grid.x0 + grid.cell_w / 2
    second_row = grid.position(1, 0)[1]
    assert second_row - (grid.y0 + grid.cell_h) == pytest.approx(3.0)
    assert sum(rgb(front, x, second_row - 2.4)) > 740  # white gutter under the card above
    assert near(rgb(front, x, second_row - 0.6))  # the band bleeds into the gutter
    assert near(rgb(back, x, second_row - 1.5))  # the backs' colour fills the gutter
    assert near(rgb(back, grid.x0 - 1.5, grid.y0 + 20))  # and runs past the outer edge


def _numbers(pdf: Path, page: int, total: int) -> dict[str, float]:
    pattern = re.compile(rf"^(\d+)/{total}$")
    return {t: x for t, x in text_boxes(pdf, page)[0] if pattern.match(t)}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_shop_edition_has_trim_and_bleed_boxes(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    deck = _deck(small_cards, "structures")  # poker 63 x 88
    data, pages = _render(print_kit, small_cards, "structures", edition="shop")
    count = len(deck_items(deck, print_kit))
    printed = count + DECK_EXTRA_CARDS  # the title card and the mode d'emploi open the deck
    assert pages == 2 * printed
    reader = PdfReader(_write(tmp_path / "shop.pdf", data))
    assert len(reader.pages) == 2 * printed
    for page in reader.pages[:4]:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert float(trim.width) == pytest.approx(63 * MM, abs=0.05)
        assert float(trim.height) == pytest.approx(88 * MM, abs=0.05)
        assert float(trim.left) - float(bleed.left) == pytest.approx(3 * MM, abs=0.05)
        assert float(bleed.top) - float(trim.top) == pytest.approx(3 * MM, abs=0.05)
        assert float(media.width) > float(bleed.width)  # room for the crop marks
    # Fronts and backs alternate: the back of card 1 is page 2; the number is on the front.
    assert "Cartes structure" in reader.pages[1].extract_text()
    first = 2 * DECK_EXTRA_CARDS
    assert "Mode d’emploi" in reader.pages[2].extract_text()
    assert f"1/{count}" in reader.pages[first].extract_text() and "/" not in reader.pages[first + 1].extract_text()
    assert reader.pages[1].extract_text() == reader.pages[first + 1].extract_text()


def test_fonts_are_embedded_and_subset(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    data, _ = _render(print_kit, small_cards, "postures")
    reader = PdfReader(_write(tmp_path / "f.pdf", data))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fonts[str(font["/BaseFont"])] = descendant["/FontDescriptor"].get_object()
    assert any("Atkinson" in name for name in fonts)
    for name, descriptor in fonts.items():
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, name
        assert re.match(r"^/[A-Z]{6}\+", name), f"{name} is not a subset"


def test_qr_codes_decode_to_resource_urls(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    deck = _deck(small_cards, "notions")
    data, _ = _render(print_kit, small_cards, "notions")
    images = pdf_page_images(_write(tmp_path / "q.pdf", data), 1, 1, 150, tmp_path)
    # The title card (no code), the mode d'emploi (the deck's page), then the first items.
    expected = {f"{BASE_URL}/glossaire"} | {
        f"{BASE_URL}/r/{item.id}" for item in deck_items(deck, print_kit)[: 4 - DECK_EXTRA_CARDS]
    }
    assert decode_qr(images[0]) == expected


def test_deck_output_is_deterministic(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    first, _ = _render(print_kit, small_cards, "grille")
    second, _ = _render(print_kit, small_cards, "grille")
    assert first == second
    reader = PdfReader(_write(tmp_path / "g.pdf", first))
    assert reader.metadata is not None and reader.metadata["/CreationDate"].startswith("D:")
    assert reader.metadata["/Title"].startswith("Grille de questionnement")
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged PDF
    assert "/ID" in reader.trailer


def test_overflowing_card_is_an_error_naming_it(content_dir: Path, tmp_path: Path) -> None:
    content = tmp_path / "kit"
    import shutil

    shutil.copytree(content_dir, content)
    path = content / "notions" / "notion-trop-longue.md"
    path.write_text(
        "---\nid: notion-trop-longue\ntitre: \"Notion bavarde\"\nresume: \"Trop long.\"\n"
        "sources: [synthese-recherche-action]\n---\n\n" + ("Une phrase qui ne finit pas. " * 120) + "\n",
        encoding="utf-8",
    )
    kit = load_kit(content).kit
    cards = make_small_cards(kit, tmp_path / "cards", {"notions": ["notion-trop-longue"]})
    with pytest.raises(CardOverflowError) as caught:
        _render(kit, cards, "notions")
    message = str(caught.value)
    assert "notion-trop-longue" in message and "notions/notion-trop-longue.md" in message
    assert [c[0] for c in caught.value.cards] == ["notion-trop-longue"]


@pytest.mark.parametrize(("item_type", "pages"), [("structure", 1), ("posture", 2)])
def test_print_this_card(print_kit: Kit, tmp_path: Path, item_type: str, pages: int) -> None:
    item = print_kit.by_type(item_type)[0]
    data = render_card_pdf(print_kit, item.id, base_url=BASE_URL, print_dir=PRINT_DIR, cards_dir=CARDS_DIR)
    reader = PdfReader(_write(tmp_path / "c.pdf", data))
    assert len(reader.pages) == pages  # poker folds on one sheet; A6 prints recto/verso
    images = pdf_page_images(tmp_path / "c.pdf", 1, 1, 150, tmp_path)
    assert decode_qr(images[0]) == {f"{BASE_URL}/r/{item.id}"}
    with pytest.raises(KeyError):
        render_card_pdf(print_kit, "fiche-utilite-sociale", base_url=BASE_URL, print_dir=PRINT_DIR,
                        cards_dir=CARDS_DIR)


def test_gc_pause_nests_and_restores_the_collector() -> None:
    import gc

    from app.printing.render import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer render still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_figure_boxes_are_in_pdf_user_space() -> None:
    """A tagged figure's `/BBox` is in points from the page's bottom-left corner (ISO 32000), not in
    the CSS pixels from the top-left corner that WeasyPrint writes."""
    import io

    import pikepdf
    from print_helpers import figure_boxes
    from weasyprint import HTML

    from app.printing.render import pdf_bytes

    html = ('<html lang="fr"><head><title>t</title><style>@page { size: 105mm 148mm; margin: 0 }'
            'svg { position: absolute; left: 20mm; top: 30mm; width: 25mm; height: 10mm }</style></head>'
            '<body><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 25 10" role="img"><title>Carré</title>'
            '<rect width="25" height="10"/></svg></body></html>')
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(HTML(string=html).render(), "figure")))
    ((page, box),) = figure_boxes(pdf)
    assert [round(float(v) / MM, 1) for v in page.mediabox] == [0, 0, 105, 148]
    assert [round(v / MM, 1) for v in box] == [20, 148 - 40, 45, 148 - 30]
