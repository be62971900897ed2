"""The built kit as a print shop's preflight and a PDF/UA checker see it: duplex parity, fonts,
colour declaration, booklet typography and structure."""

from __future__ import annotations

import hashlib
import io
import os
import re
import statistics
import subprocess
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pikepdf
import pytest
from pdfua import Severity, validate
from print_helpers import BASE_URL, PRINT_DIR, centred_move
from pypdf import PdfReader
from weasyprint.formatting_structure import boxes

from app.kit import Kit
from app.kit.markdown import french_text
from app.kit.schema import ItemType
from app.printing.assembly import ForkedMerge
from app.printing.booklet import BookletBuilder
from app.printing.kit_builder import KitResult
from app.printing.merge import MergeInfo, MergePart, merge_pdfs
from app.printing.parts import body_chunks
from app.printing.render import render_html, resources

SHIPPED_FONTS = re.compile(r"^[A-Z]{6}\+(Atkinson-Hyperlegible|Source-Serif-4)")


def _text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pdf(pages: int) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def test_every_part_starts_on_a_recto(tmp_path: Path) -> None:
    """Printed duplex in one go, each part's first page is a front: odd parts are padded."""
    info = MergeInfo("t", "a", "s", "c", datetime(2026, 1, 1), duplex=True, group_bookmark="g")
    parts = [MergePart(_pdf(3)), MergePart(_pdf(5), "a"), MergePart(_pdf(2), "b"), MergePart(_pdf(1), "c")]
    pages = merge_pdfs(parts, tmp_path / "m.pdf", info)
    assert pages == 4 + 6 + 2 + 1
    merged = pikepdf.open(tmp_path / "m.pdf")
    with merged.open_outline() as outline:
        firsts = [merged.pages.index(pikepdf.Page(o.destination[0])) for o in outline.root[0].children]
    assert firsts == [4, 10, 12]


def test_a_page_centred_on_a_larger_sheet_looks_the_same_moved(tmp_path: Path) -> None:
    """A page smaller than its sheet is drawn in the middle of it exactly as it was: its text and its
    ruled lines (a repeating gradient: a pattern, laid in the page's own space, which must move with
    the content) land where the page drawn moved as a whole (a form XObject) puts them."""
    from PIL import Image, ImageChops
    from weasyprint import HTML

    from app.printing.render import pdf_bytes

    html = ('<html lang="fr"><head><title>t</title><style>@page { size: 4in 4in; margin: 0.5in }'
            '.lines { height: 1.5in; background: repeating-linear-gradient(to bottom, transparent 0, '
            'transparent 6.65mm, #333 6.65mm, #333 7mm) } p { font: 12pt sans-serif; margin: 0 }</style></head>'
            '<body><p>Écrivez ici.</p><div class="lines"></div></body></html>')
    page = pdf_bytes(HTML(string=html).render(), "centred")
    info = MergeInfo("t", "a", "s", "c", datetime(2026, 1, 1))
    merge_pdfs([MergePart(page, sheet_mm=(6 * 25.4, 6 * 25.4))], tmp_path / "sheet.pdf", info)
    merged = pikepdf.open(tmp_path / "sheet.pdf")
    assert [float(v) for v in merged.pages[0].mediabox] == [0, 0, 432, 432]
    # The reference: the page as one form XObject, moved by the 1 in margin (a form's patterns follow it).
    source, reference = pikepdf.open(io.BytesIO(page)), pikepdf.new()
    reference.add_blank_page(page_size=(432, 432))
    form = reference.copy_foreign(source.pages[0].as_form_xobject())
    reference.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fx=form))
    reference.pages[0].obj.Contents = reference.make_stream(b"q 1 0 0 1 72 72 cm /Fx Do Q")
    reference.save(tmp_path / "reference.pdf")
    images = []
    for name in ("reference", "sheet"):
        subprocess.run(["pdftoppm", "-r", "72", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                       check=True)
        images.append(Image.open(next(tmp_path.glob(f"{name}-*.pgm"))))
    assert sum(v < 128 for v in images[0].tobytes()) > 500  # the lines and the text are really drawn
    assert ImageChops.difference(*images).getbbox() is None


def test_what_centred_pages_share_moves_once(tmp_path: Path) -> None:
    """A link annotation (and its go-to action) listed on two centred pages moves by the margin once."""
    source = pikepdf.new()
    for _ in range(2):
        source.add_blank_page(page_size=(288, 288))
    first = source.pages[0].obj
    target = pikepdf.Array([first, pikepdf.Name.XYZ, 10, 20, 0])
    action = source.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=target))
    link = source.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                                   Rect=pikepdf.Array([10, 20, 30, 40]), A=action))
    for page in source.pages:
        page.obj.Annots = pikepdf.Array([link])
    buffer = io.BytesIO()
    source.save(buffer)
    info = MergeInfo("t", "a", "s", "c", datetime(2026, 1, 1))
    merge_pdfs([MergePart(buffer.getvalue(), sheet_mm=(6 * 25.4, 6 * 25.4))], tmp_path / "m.pdf", info)
    merged = pikepdf.open(tmp_path / "m.pdf")
    (annot,) = {a.objgen: a for page in merged.pages for a in page.obj.Annots}.values()
    assert [float(v) for v in annot.Rect] == [82, 92, 102, 112]
    assert [float(v) for v in list(annot.A.D)[2:4]] == [82, 92]


def test_a_merge_in_a_forked_process_writes_the_same_file(tmp_path: Path) -> None:
    parts = [MergePart(_pdf(3)), MergePart(_pdf(2), "b")]
    info = MergeInfo("t", "a", "s", "c", datetime(2026, 1, 1), group_bookmark="g")
    forked = ForkedMerge(parts, tmp_path / "forked.pdf", info, fork=True)
    assert forked.process is not None and forked.process.pid != os.getpid()
    forked.join()
    assert forked.process.exitcode == 0
    ForkedMerge(parts, tmp_path / "here.pdf", info, fork=False)
    assert (tmp_path / "forked.pdf").read_bytes() == (tmp_path / "here.pdf").read_bytes()


def test_whole_kit_duplex_runs_start_on_rectos(built_kit: KitResult) -> None:
    whole = pikepdf.open(built_kit.whole_pdf)
    booklet = pikepdf.open(built_kit.files[1])
    labels = booklet.Root.PageLabels.Nums
    assert int(labels[2]) % 2 == 0  # the body starts on a recto
    with whole.open_outline() as outline:
        group = next(o for o in outline.root if o.title == "Planches de cartes")
        starts = [whole.pages.index(pikepdf.Page(o.destination[0])) for o in group.children]
    assert starts and all(start % 2 == 0 for start in starts), starts
    for page in whole.pages:  # padding pages are blank
        if "/StructParents" not in page.obj:
            assert not page.obj.get("/Contents")


def test_only_shipped_fonts_each_subset_named_apart(built_kit: KitResult) -> None:
    for path in built_kit.files:
        if path.suffix != ".pdf":
            continue
        pdf = pikepdf.open(path)
        programs: dict[str, set[str]] = defaultdict(set)
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font":
                name = str(obj.BaseFont)[1:]
                assert SHIPPED_FONTS.match(name), (path.name, name)
                font = obj.DescendantFonts[0] if "/DescendantFonts" in obj else obj
                program = font.FontDescriptor.get("/FontFile2") or font.FontDescriptor.get("/FontFile3")
                programs[name].add(hashlib.sha256(program.read_raw_bytes()).hexdigest())
        assert all(len(found) == 1 for found in programs.values()), path.name


def test_colours_declared_srgb(built_kit: KitResult) -> None:
    for path in (built_kit.whole_pdf, built_kit.files[1]):
        pdf = pikepdf.open(path)
        (intent,) = pdf.Root.OutputIntents
        assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        profile = intent.DestOutputProfile.read_bytes()
        assert profile[36:40] == b"acsp" and int(intent.DestOutputProfile.N) == 3
    assert "RVB" in " ".join(_text(built_kit.files[1], 1, 4).split())


def test_pdf_ua_machine_check(built_kit: KitResult) -> None:
    """pdfua (the machine-checkable PDF/UA-1 rules): no error and no warning on the whole kit."""
    report = validate(str(built_kit.whole_pdf))
    problems = [f"{f.rule_id} {f.message}" for f in report.findings if f.severity >= Severity.WARNING]
    assert not problems, problems[:5]


def test_booklet_lines_never_start_with_closing_punctuation(built_kit: KitResult) -> None:
    lines = [line.strip() for line in _text(built_kit.files[1]).splitlines()]
    bad = [line for line in lines if line[:1] in ("»", "?", "!", ";", ":")]
    assert not bad, bad[:10]


def test_one_total_per_activity(built_kit: KitResult, print_kit: Kit) -> None:
    text = _text(built_kit.files[1])
    assert len(re.findall(r"^Total$", text, re.MULTILINE)) == len(print_kit.by_type("activite"))


def test_booklet_measure_and_bookmarks(built_kit: KitResult, print_kit: Kit) -> None:
    reader = PdfReader(built_kit.files[1])
    fiche = print_kit.by_type("fiche")[0]
    first = reader.get_destination_page_number(reader.named_destinations[f"item-{fiche.id}"])
    lengths = [len(line.strip()) for line in _text(built_kit.files[1], first + 1, first + 3).splitlines()
               if len(line.strip()) > 35]
    assert 58 <= statistics.median(lengths) <= 75, statistics.median(lengths)
    # (pdftotext joins a word broken after its own hyphen with the next line: a few long lines.)
    assert sorted(lengths)[int(len(lengths) * 0.95)] <= 78, sorted(lengths)[-10:]
    top = [o.title for o in reader.outline if not isinstance(o, list)]
    for page in print_kit.by_type("page"):
        assert french_text(page.title) in top


def test_contents_page_numbers_share_one_right_edge(built_kit: KitResult) -> None:
    out = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "12", str(built_kit.files[1]), "-"],
                         capture_output=True, text=True, check=True).stdout
    pages = out.split("<page ")
    toc = next(p for p in pages if ">Sommaire<" in p)
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)<', toc)
    lines: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for _x0, y, x1, word in words:
        lines[round(float(y))].append((float(x1), word))
    ends = [max(line)[0] for line in lines.values() if re.fullmatch(r"\d+|[ivxl]+", max(line)[1])]
    assert len(ends) > 20
    assert max(ends) - min(ends) < 1.0, sorted(ends)


def test_body_pages_are_numbered_on_across_its_chunks(built_kit: KitResult, print_kit: Kit) -> None:
    """The body is rendered in chunks: every body page still prints its own number (1, 2... on from
    one chunk to the next) at the foot's right edge, as a pagination artifact."""
    assert len(body_chunks(print_kit)) > 1
    booklet = pikepdf.open(built_kit.files[1])
    front_pages = int(booklet.Root.PageLabels.Nums[2])
    out = subprocess.run(["pdftotext", "-bbox", str(built_kit.files[1]), "-"],
                         capture_output=True, text=True, check=True).stdout
    pages = out.split("<page ")[1:]
    assert len(pages) == len(booklet.pages) > front_pages + 20
    for index, page in enumerate(pages[front_pages:], start=1):
        # The body's page sits in the middle of the sheet: its foot is the last 20 mm above its own edge.
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        edge = height - centred_move(booklet.pages[front_pages + index - 1])[1]
        words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)<', page)
        foot = [(float(x1), word) for _x0, y, x1, word in words if edge - 20 * 72 / 25.4 < float(y) < edge]
        assert foot and max(foot)[1] == str(index), (index, foot)
    first = booklet.pages[front_pages]
    operators = [str(op.operator) for op in pikepdf.parse_content_stream(first)][:6]
    assert operators == ["q", "cm", "q", "BDC", "Do", "EMC"]  # moved to the middle of the sheet with the page
    (artifact,) = [op.operands for op in pikepdf.parse_content_stream(first) if str(op.operator) == "BDC"][:1]
    assert artifact[0] == "/Artifact" and artifact[1].Type == "/Pagination"


def test_activity_step_rows_are_never_split(print_kit: Kit) -> None:
    builder = BookletBuilder(print_kit, base_url=BASE_URL, print_dir=PRINT_DIR)
    meta = dict.fromkeys(("title", "author", "description", "keywords", "generator"), "t")
    meta["date"] = "2026-01-01T00:00:00+00:00"
    context = builder.body_context(meta=meta)
    context.update(parts=[], dimensions=[], structures=[], letters=[])
    document = render_html(resources(PRINT_DIR), "booklet-body.html", context, "booklet.css")
    pages_of: dict[int, set[int]] = defaultdict(set)

    def walk(box: object, page: int) -> None:
        # Header rows repeat on every page by design; a step row must sit on one page.
        if isinstance(box, boxes.TableRowGroupBox) and box.is_header:
            return
        if isinstance(box, boxes.TableRowBox) and box.element is not None:
            pages_of[id(box.element)].add(page)
        for child in getattr(box, "children", ()):
            walk(child, page)

    for number, page in enumerate(document.pages):
        walk(page._page_box, number)
    assert len(pages_of) > 40
    assert all(len(found) == 1 for found in pages_of.values())


def test_duplex_registration_sheet(built_kit: KitResult) -> None:
    """The test sheet's back crosshairs sit behind the front ones (long-edge flip), shifted by the
    back offset; its back index moves with the offset; the kit ships it and the complete PDF
    holds it before the decks."""
    from urllib.parse import unquote

    from app.printing.registration import registration_image, targets
    from app.printing.theme import PAPERS

    def circles(url: str) -> list[tuple[float, float]]:
        return [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', unquote(url))]

    for paper in ("a4", "letter"):
        width = PAPERS[paper][0]
        front = circles(registration_image(paper, "recto", 0.0))
        assert front == [(pytest.approx(x, abs=1e-3), pytest.approx(y, abs=1e-3)) for x, y in targets(paper)]
        for offset in (0.0, 1.5):
            back = circles(registration_image(paper, "verso", offset))
            assert back == [(pytest.approx(width - x + offset, abs=1e-3), y) for x, y in front]
    names = [p.name for p in built_kit.files]
    assert "couserans-test-recto-verso.pdf" in names
    reader = PdfReader(next(p for p in built_kit.files if p.name == "couserans-test-recto-verso.pdf"))
    assert len(reader.pages) == 2 and "imprimez cette feuille en premier" in reader.pages[0].extract_text()


def test_card_size_labels_never_break_inside_a_measure() -> None:
    """"poker 63 × 88 mm" in the booklet's deck table wrapped before "mm": the measures are held
    together by no-break spaces (only the space after the size's name may break)."""
    from app.printing.theme import CARD_SIZE_LABELS

    for label in CARD_SIZE_LABELS.values():
        name, _, measure = label.partition(" ")
        assert name and measure and " " not in measure, label
        assert measure.endswith("\u00a0mm") and "\u00a0×\u00a0" in measure, label


def test_figure_boxes_frame_their_figures_on_every_kind_of_page(built_kit: KitResult, tmp_path: Path) -> None:
    """The tagged figures' boxes stay on the figures through imposition (card sheets) and merging
    (body pages moved to the middle of the sheet): each box lies on its page, and where a QR code
    is drawn the box holds it (about half dark modules) while the margin to its left is blank."""
    from PIL import Image
    from print_helpers import figure_boxes

    booklet, deck = built_kit.files[1], next(p for p in built_kit.files if p.name.endswith("-jeu-postures.pdf"))
    for path in (booklet, deck, built_kit.whole_pdf):
        pdf = pikepdf.open(path)
        boxes = figure_boxes(pdf)
        assert boxes, path.name
        for page, (left, bottom, right, top) in boxes:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            assert x0 <= left < right <= x1 and y0 <= bottom < top <= y1, (path.name, page.index)
        # Three QR codes (square figures about 15 mm wide), rasterised at 72 dpi: a pixel is a point.
        squares = [(page, box) for page, box in boxes
                   if 40 < box[2] - box[0] < 70 and abs(box[2] - box[0] - (box[3] - box[1])) < 2]
        assert squares, path.name
        for page, (left, bottom, right, top) in squares[:: max(1, len(squares) // 3)][:3]:
            out = tmp_path / f"{path.stem}-{page.index}"
            subprocess.run(["pdftoppm", "-r", "72", "-gray", "-f", str(page.index + 1), "-l", str(page.index + 1),
                            str(path), str(out)], check=True)
            image = Image.open(next(tmp_path.glob(f"{out.name}-*.pgm")))
            height = float(page.mediabox[3])
            area = (round(left), round(height - top), round(right), round(height - bottom))
            margin = (area[0] - 12, area[1], area[0] - 2, area[3])
            dark = [sum(v < 128 for v in image.crop(box).tobytes()) / len(image.crop(box).tobytes())
                    for box in (area, margin)]
            assert 0.3 < dark[0] < 0.7 and dark[1] == 0, (path.name, page.index, area, dark)


def test_worksheet_blanks_share_the_text_width(print_kit: Kit) -> None:
    """The grid worksheets' "Visite / Date / Nom" blanks fill the text width, equal, the last one
    ending on the right margin like the answer lines under it."""
    builder = BookletBuilder(print_kit, base_url=BASE_URL, print_dir=PRINT_DIR)
    meta = dict.fromkeys(("title", "author", "description", "keywords", "generator"), "t")
    meta["date"] = "2026-01-01T00:00:00+00:00"
    context = builder.body_context(meta=meta, sections=["grille"])
    document = render_html(resources(PRINT_DIR), "booklet-body.html", context, "booklet.css")
    rows: list[tuple[float, float, list[tuple[float, float]]]] = []

    def walk(box: boxes.Box) -> None:
        if box.element_tag == "div" and "fill-in" in (box.element.get("class") or "").split():
            blanks: list[tuple[float, float]] = []

            def spans(inner: boxes.Box) -> None:
                if inner.element_tag == "span" and inner.element is not box.element:
                    blanks.append((inner.border_box_x(), inner.border_box_x() + inner.border_width()))
                    return
                for child in getattr(inner, "children", ()):
                    spans(child)

            spans(box)
            rows.append((box.content_box_x(), box.content_box_x() + box.width, blanks))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    assert len(rows) == len(print_kit.by_type(ItemType.DIMENSION))
    px = 96 / 25.4  # CSS px per mm
    for left, right, blanks in rows:
        assert len(blanks) == 3
        assert abs(blanks[0][0] - left) < 0.2 * px
        assert abs(blanks[-1][1] - right) < 0.2 * px, (blanks[-1][1] - right) / px
        widths = [end - start for start, end in blanks]
        assert max(widths) - min(widths) < 0.2 * px
