"""Card sides imposed on sheets (app/printing/impose.py): a side looks on its sheet as it was rendered
alone, its tags, links and bookmarks come with it, the back is one artifact, and the sides are
rendered once for every paper and edition."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pdfua import Severity, validate
from PIL import Image, ImageChops, ImageStat
from print_helpers import BASE_URL, PRINT_DIR

from app.kit import Kit
from app.printing import parts
from app.printing.cards import SHOP_BLEED_MM, SHOP_MARKS_BLEED_MM
from app.printing.imposition import home_grid
from app.printing.kit_builder import KitOptions
from app.printing.parts import Job, deck_card_list, deck_faces, run_part, select_decks

#: 10 pixels a millimetre: the cells of these decks fall on whole pixels, so a side and its place
#: on a sheet are rasterised alike.
DPI = 254
PX = DPI / 25.4


def _job(kit: Kit, cards_dir: Path, cache: Path, **options: Any) -> Job:
    opts = KitOptions("Couserans", **options)
    decks = select_decks(kit, KitOptions("Couserans"), cards_dir, PRINT_DIR)
    return Job(kit, opts, {d.id: d for d in decks}, [], BASE_URL, PRINT_DIR, cache)


def _png(pdf: Path, page: int, out: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-png", "-singlefile",
                    str(pdf), str(out)], check=True)
    return Image.open(out.with_suffix(".png")).convert("RGB")


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean difference (0-255) of two images of one size, seen from afar (8 pixels into one: a
    turned glyph is rasterised a little apart from the glyph turned, a misplaced pattern is not)."""
    assert a.size == b.size

    def afar(image: Image.Image) -> Image.Image:
        return image.resize((image.width // 8, image.height // 8), Image.Resampling.BOX)

    return max(ImageStat.Stat(ImageChops.difference(afar(a), afar(b))).mean)


def _build(job: Job, deck_id: str, tmp_path: Path, name: str) -> Path:
    rendered = run_part(job, f"deck:{deck_id}", name)
    assert not rendered.overflows
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(rendered.data)
    return path


@pytest.mark.parametrize("deck_id", ["structures", "postures"])  # poker upright, A6 turned on A4
def test_sides_on_sheets_look_as_rendered_alone(print_kit: Kit, small_cards: Path, tmp_path: Path,
                                                 deck_id: str) -> None:
    """The title card (a pattern to its edges) and a content card, cut from the home sheet and from
    the print-shop page, are the pixels of their side rendered alone."""
    job = _job(print_kit, small_cards, tmp_path / "cache")
    deck = job.decks[deck_id]
    _items, cards = deck_card_list(job, deck)
    faces = upright = tmp_path / "faces.pdf"
    faces.write_bytes(deck_faces(job, deck, cards).data)
    home = _build(job, deck_id, tmp_path, "home")
    shop = _build(_job(print_kit, small_cards, tmp_path / "cache", edition="shop"), deck_id, tmp_path, "shop")
    grid = home_grid(deck.size, "a4")
    w, h = deck.width_mm, deck.height_mm
    bleed = SHOP_BLEED_MM
    if grid.rotated:  # turned a quarter clockwise on the front sheet: the sides seen turned too
        turned = pikepdf.open(faces)
        for page in turned.pages:
            page.obj.Rotate = 90
        faces = tmp_path / "turned.pdf"
        turned.save(faces)
        w, h = h, w
    for index in (0, 2):  # the title card, the first content card
        side = _png(faces, index + 1, tmp_path / f"side{index}")
        trim = side.crop((round(bleed * PX), round(bleed * PX), round((bleed + w) * PX), round((bleed + h) * PX)))
        x, y = grid.position(*grid.front_cell(index))
        sheet = _png(home, 1 + 2 * (index // grid.per_sheet), tmp_path / f"sheet{index}")
        cell = sheet.crop((round(x * PX), round(y * PX), round(x * PX) + trim.width, round(y * PX) + trim.height))
        inner = (10, 10, trim.width - 10, trim.height - 10)  # the cut line itself carries the outline
        assert _difference(trim.crop(inner), cell.crop(inner)) < 1.0, (deck_id, index)
        side = _png(upright, index + 1, tmp_path / f"upright{index}")  # print-shop pages are upright
        page = _png(shop, 1 + 2 * index, tmp_path / f"shop{index}")
        margin = (SHOP_MARKS_BLEED_MM - bleed) * PX
        with_bleed = page.crop((round(margin), round(margin), round(margin) + side.width, round(margin) + side.height))
        assert _difference(side, with_bleed) < 1.0, (deck_id, index)


def _tag_problems(pdf: pikepdf.Pdf) -> list[str]:
    """Where content and structure disagree: a marked-content id without its element on that page,
    an element on no page of the file, a link without its element, a bookmark to a stray page."""
    tree = pdf.Root.StructTreeRoot
    nums: dict[int, Any] = {}

    def collect(node: Any) -> None:
        flat = node.get("/Nums") or []
        for i in range(0, len(flat), 2):
            nums[int(flat[i])] = flat[i + 1]
        for kid in node.get("/Kids") or []:
            collect(kid)

    collect(tree.ParentTree)
    pages = {page.obj.objgen for page in pdf.pages}
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        mcids = [int(op.operands[1].MCID) for op in pikepdf.parse_content_stream(page)
                 if str(op.operator) == "BDC" and isinstance(op.operands[1], pikepdf.Dictionary)
                 and "/MCID" in op.operands[1]]
        if len(mcids) != len(set(mcids)):
            problems.append(f"page {number}: an id marks two sequences")
        for mcid in mcids:
            element = nums[int(page.obj.StructParents)][mcid]
            kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
            if mcid not in kids or element.Pg.objgen != page.obj.objgen:
                problems.append(f"page {number}: id {mcid} is not its element's")
        for annot in page.obj.get("/Annots") or []:
            element = nums[int(annot.StructParent)]
            if not any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR" and k.Obj.objgen == annot.objgen
                       and k.Pg.objgen == page.obj.objgen for k in element.K):
                problems.append(f"page {number}: a link is not its element's")
    stack, seen = [tree.K], set()
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Array):
            stack.extend(element)
        elif isinstance(element, pikepdf.Dictionary) and element.objgen not in seen:
            seen.add(element.objgen)
            if element.get("/Type") in ("/MCR", "/OBJR"):
                continue
            if "/Pg" in element and element.Pg.objgen not in pages:
                problems.append(f"{element.S} on a page of no sheet")
            if "/K" in element:
                stack.append(element.K)
    with pdf.open_outline() as outline:
        items = list(outline.root)
        while items:
            item = items.pop()
            if item.destination[0].objgen not in pages:
                problems.append(f"bookmark {item.title} to a page of no sheet")
            items.extend(item.children)
    return problems


@pytest.mark.parametrize("edition", ["home", "shop"])
def test_imposed_decks_keep_tags_links_and_bookmarks(print_kit: Kit, small_cards: Path, tmp_path: Path,
                                                     edition: str) -> None:
    job = _job(print_kit, small_cards, tmp_path / "cache", edition=edition)
    for deck_id in ("notions", "postures"):  # glossary links, on upright and turned cards
        path = _build(job, deck_id, tmp_path, f"{deck_id}-{edition}")
        pdf = pikepdf.open(path)
        assert not _tag_problems(pdf), (deck_id, _tag_problems(pdf)[:5])
        report = validate(str(path))
        assert not [f.rule_id for f in report.findings if f.severity >= Severity.WARNING], deck_id
        deck = job.decks[deck_id]
        grid = home_grid(deck.size, "a4")
        links = [(number, annot) for number, page in enumerate(pdf.pages) for annot in page.obj.get("/Annots") or []]
        assert links, deck_id
        for number, annot in links:
            page = pdf.pages[number]
            x0, y0, x1, y1 = (float(v) for v in annot.Rect)
            height = float(page.mediabox[3])
            # The link stays on its card: within a cell (home) or the trim (shop).
            if edition == "home":
                cells = [grid.position(*grid.front_cell(i)) for i in range(grid.per_sheet)]
                mm = 72 / 25.4
                assert any(x * mm <= x0 and x1 <= (x + grid.cell_w) * mm
                           and height - (y + grid.cell_h) * mm <= y0 and y1 <= height - y * mm
                           for x, y in cells), (deck_id, number)
                if grid.rotated:  # its words run down the turned card
                    assert y1 - y0 > x1 - x0
            else:
                trim = [float(v) for v in page.trimbox]
                assert trim[0] <= x0 and x1 <= trim[2] and trim[1] <= y0 and y1 <= trim[3]
        with pdf.open_outline() as outline:
            (top,) = outline.root
            assert top.title == deck.title and len(top.children) == len(deck_card_list(job, deck)[1])


def test_the_back_is_one_artifact_on_every_back_sheet(print_kit: Kit, small_cards: Path, tmp_path: Path) -> None:
    job = _job(print_kit, small_cards, tmp_path / "cache")
    pdf = pikepdf.open(_build(job, "structures", tmp_path, "structures"))
    deck = job.decks["structures"]
    grid = home_grid(deck.size, "a4")
    cards = len(deck_card_list(job, deck)[1])
    backs: set[tuple[int, int]] = set()
    for sheet, page in enumerate(list(pdf.pages)[1::2]):  # the back sheets
        artifact, drawn = [], []
        for op in pikepdf.parse_content_stream(page):
            operator = str(op.operator)
            if operator in ("BDC", "BMC"):
                artifact.append(op.operands[0] == "/Artifact")
            elif operator == "EMC":
                artifact.pop()
            elif operator == "Do":
                form = page.obj.Resources.XObject[op.operands[0]]
                if b" Tj" in form.read_bytes() or b"TJ" in form.read_bytes():  # the back's texts
                    assert artifact and all(artifact[-1:]), "a back is drawn as an artifact"
                    drawn.append(form.objgen)
        assert len(drawn) == min(grid.per_sheet, cards - sheet * grid.per_sheet)
        backs.update(drawn)
    assert len(backs) == 1  # one back for the whole deck


def test_other_papers_and_editions_render_no_side_again(print_kit: Kit, small_cards: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    render = parts.render_faces

    def counted(job: Job, deck: Any, cards: Any, key: str) -> Any:
        calls.append(deck.id)
        return render(job, deck, cards, key)

    monkeypatch.setattr(parts, "render_faces", counted)
    texts = []
    for options in ({}, {"paper": "letter"}, {"edition": "shop"}, {"back_offset_mm": 1.5}):
        job = _job(print_kit, small_cards, tmp_path / "cache", **options)
        path = _build(job, "initiatives", tmp_path, "deck")
        texts.append(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    assert calls == ["initiatives"]
    first = job.decks["initiatives"]
    assert all(first.title in text and "1/" in text for text in texts)


def test_a_selection_takes_its_sides_from_the_decks_faces(print_kit: Kit, small_cards: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    job = _job(print_kit, small_cards, tmp_path / "cache")
    _build(job, "notions", tmp_path, "deck")  # the kit's deck: its faces are cached
    calls: list[str] = []
    monkeypatch.setattr(parts, "render_faces", lambda *args: calls.append("faces"))
    chosen = [view.item.id for view in deck_card_list(job, job.decks["notions"])[0]][1:3]
    selection = _job(print_kit, small_cards, tmp_path / "cache", cards=tuple(chosen))
    rendered = run_part(selection, "selection:notions", "selection")
    assert calls == [] and rendered.pages == 2  # one front sheet, its back sheet
    path = tmp_path / "selection.pdf"
    path.write_bytes(rendered.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    titles = [item.title for item in print_kit.by_type("notion") if item.id in chosen]
    assert all(title.split()[0] in text for title in titles) and "Mode d’emploi" not in text
    assert not _tag_problems(pikepdf.open(path))
