"""The territory kit: files, whole-kit PDF, ZIP, cache and determinism, safety, CLI."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest
from flask import Flask
from print_helpers import (
    BASE_URL,
    KIT_OPTIONS,
    PRINT_DIR,
    centred_move,
    decode_qr,
    make_small_cards,
    pdf_page_images,
)
from pypdf import PdfReader

from app import create_app
from app.kit import Kit, load_kit
from app.kit.markdown import french_text
from app.printing.cards import DECK_EXTRA_CARDS
from app.printing.decks import load_decks
from app.printing.fetcher import FetchRefused, PrintURLFetcher
from app.printing.imposition import home_page_count
from app.printing.kit_builder import KitOptions, KitResult, build_kit, render_deck_pdf
from app.printing.render import _create_resources, resources


def test_kit_files(built_kit: KitResult, small_cards: Path) -> None:
    names = [p.name for p in built_kit.files]
    decks = load_decks(small_cards, PRINT_DIR)
    assert names[0] == "couserans-mallette-complete.pdf"
    assert "couserans-livret.pdf" in names
    assert {f"couserans-jeu-{d.id}.pdf" for d in decks} <= set(names)
    assert names[-1] == "couserans-mallette.zip" == built_kit.zip_path.name
    with zipfile.ZipFile(built_kit.zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(n for n in names if n.endswith(".pdf"))


def test_whole_pdf_pages_bookmarks_and_cover(built_kit: KitResult, small_cards: Path) -> None:
    reader = PdfReader(built_kit.whole_pdf)
    booklet = PdfReader(built_kit.files[1])
    decks = load_decks(small_cards, PRINT_DIR)
    deck_pages = sum(home_page_count(len(d.items) + DECK_EXTRA_CARDS, d.size, "a4") for d in decks)
    deck_pages += 2 * len(decks)  # a tuck box per deck, each with its blank back
    # The booklet (padded to an even count), the duplex test sheet (2 pages), then the decks.
    before_decks = len(booklet.pages) + len(booklet.pages) % 2
    assert len(reader.pages) == built_kit.pages == before_decks + 2 + deck_pages
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Sommaire" in titles and "Fiches de capitalisation" in titles
    assert "Planches de cartes" in titles
    planches = reader.outline[reader.outline.index(
        next(o for o in reader.outline if not isinstance(o, list) and o.title == "Planches de cartes")
    ) + 1]
    starts = [reader.get_destination_page_number(o) for o in planches]
    assert starts[0] == before_decks and planches[0].title.startswith("Test recto verso")
    # The test sheet, each deck, then the tuck boxes.
    assert len(starts) == len(decks) + 2 and starts == sorted(starts)
    assert planches[-1].title.startswith("Boîtes des jeux")
    cover = reader.pages[0].extract_text()
    assert "Couserans" in cover and "Mallette pédagogique" in cover
    colophon = reader.pages[1].extract_text()
    assert "CC BY-SA 4.0" in colophon and "SHA-256" in colophon
    assert reader.metadata["/Title"].endswith("Couserans")
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/Duplex"] == "/DuplexFlipLongEdge"


def test_whole_pdf_keeps_the_parts_tags(built_kit: KitResult) -> None:
    """The merged PDF is still tagged: one structure tree over every part, keys that resolve."""
    whole = pikepdf.open(built_kit.whole_pdf)
    parts = [pikepdf.open(p) for p in built_kit.files[1:] if p.suffix == ".pdf"]
    root = whole.Root
    assert root.MarkInfo.Marked is True and str(root.Lang) == "fr"
    assert root.ViewerPreferences.DisplayDocTitle is True
    tree = root.StructTreeRoot
    # One Document; each part's document element (two in the booklet) became one of its Parts.
    (document,) = tree.K
    assert document.S == "/Document" and document.P.objgen == tree.objgen
    assert [str(k.S) for k in document.K] == ["/Part"] * (len(parts) + 1)
    nums = tree.ParentTree.Nums
    keys = {int(nums[i]) for i in range(0, len(nums), 2)}
    assert len(keys) == len(nums) // 2 == sum(len(p.Root.StructTreeRoot.ParentTree.Nums) // 2 for p in parts)
    assert int(tree.ParentTreeNextKey) == max(keys) + 1
    pages = {page.obj.objgen for page in whole.pages}
    for page in whole.pages:
        contents = page.obj.Contents
        if isinstance(contents, pikepdf.Stream) and not contents.read_bytes():
            continue  # a blank page that keeps the next part on a recto: nothing to tag
        assert int(page.obj.StructParents) in keys
        for annot in page.obj.get("/Annots") or []:
            if "/StructParent" in annot:
                assert int(annot.StructParent) in keys
    # Every structure element marks content on a page of this file (none on a stray copy).
    seen: set[tuple[int, int]] = set()
    stack = list(document.K)
    marked = 0
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Array):
            stack.extend(element)
            continue
        if not isinstance(element, pikepdf.Dictionary) or element.objgen in seen:
            continue
        seen.add(element.objgen)
        if "/Pg" in element:
            marked += 1
            assert element.Pg.objgen in pages
        if "/K" in element:
            stack.append(element.K)
    assert marked > len(whole.pages)
    # The booklet's internal links (contents) still land on named destinations of this file.
    names = root.Names.Dests
    flat = list(names.Names) if "/Names" in names else [v for kid in names.Kids for v in kid.Names]
    dests = {str(flat[i]) for i in range(0, len(flat), 2)}
    links = [str(a.Dest) for page in whole.pages for a in page.obj.get("/Annots") or [] if "/Dest" in a]
    assert links and set(links) <= dests


def test_booklet_contents_print_the_body_page_numbers(built_kit: KitResult, print_kit: Kit) -> None:
    """The front (roman numbers) lists the body's pages (arabic, from 1) and links to them."""
    booklet = pikepdf.open(built_kit.files[1])
    labels = booklet.Root.PageLabels.Nums
    assert int(labels[0]) == 0 and labels[1].S == "/r" and labels[3].S == "/D"
    front_pages = int(labels[2])
    dests = booklet.Root.Names.Dests.Names
    page_of = {str(dests[i]): booklet.pages.index(pikepdf.Page(dests[i + 1][0])) for i in range(0, len(dests), 2)}
    fiche = print_kit.by_type("fiche")[0]
    body_number = page_of[f"item-{fiche.id}"] - front_pages + 1
    assert body_number >= 1
    reader = PdfReader(built_kit.files[1])
    contents = next(p for p in reader.pages[:front_pages] if "Sommaire" in p.extract_text())
    text = " ".join(contents.extract_text().split())
    title = " ".join(french_text(fiche.title).split())  # printed with French typography
    # The fiche's number (2.1), drawn in the margin, is read just after the page number.
    assert re.search(re.escape(title) + r"[ .]*" + str(body_number) + r"(?=\D|\d\.\d|$)", text), text[:400]
    # The contents entry links to the fiche's destination in the same file.
    links = [str(a.Dest) for a in booklet.pages[reader.pages.index(contents)].obj.Annots if "/Dest" in a]
    assert f"item-{fiche.id}" in links


def test_another_territory_renders_only_the_front(
    built_kit: KitResult, print_kit: Kit, small_cards: Path, build_root: Path, tmp_path: Path
) -> None:
    parts = build_root / "cache" / "parts"
    before = set(parts.glob("*.pdf"))
    other = build_kit(print_kit, KitOptions(territory="Pays de Foix"), tmp_path / "foix", base_url=BASE_URL,
                      print_dir=PRINT_DIR, cards_dir=small_cards, cache_dir=build_root / "cache")
    rendered = set(parts.glob("*.pdf")) - before
    assert len(rendered) == 1  # the front: cover, colophon and contents name the territory
    assert "Pays de Foix" in PdfReader(rendered.pop()).pages[0].extract_text()
    assert other.pages == built_kit.pages
    assert PdfReader(other.whole_pdf).metadata["/Title"].endswith("Pays de Foix")


def test_the_other_paper_renders_no_page_of_the_body_again(
    built_kit: KitResult, print_kit: Kit, small_cards: Path, build_root: Path, tmp_path: Path
) -> None:
    """The body's pages are as wide as A4 and as tall as Letter: a Letter kit after the A4 one takes
    the body (and its page numbers) from the cache, centred on Letter sheets, and renders only what
    depends on the paper (front, decks' sheets, duplex test, tuck boxes)."""
    parts = build_root / "cache" / "parts"
    before = set(parts.glob("*.pdf"))
    letter = build_kit(print_kit, KitOptions(territory="Couserans", paper="letter"), tmp_path / "letter",
                       base_url=BASE_URL, print_dir=PRINT_DIR, cards_dir=small_cards, cache_dir=build_root / "cache")
    decks = [p for p in built_kit.files if "-jeu-" in p.name]
    assert len(set(parts.glob("*.pdf")) - before) == len(decks) + 3
    a4, us = pikepdf.open(built_kit.files[1]), pikepdf.open(letter.files[1])
    front = int(a4.Root.PageLabels.Nums[2])
    assert int(us.Root.PageLabels.Nums[2]) == front and len(us.pages) == len(a4.pages)
    for sheet, booklet in (((210.0, 297.0), a4), ((215.9, 279.4), us)):
        width, height = (size * 72 / 25.4 for size in sheet)
        for page in booklet.pages[front:]:
            # A page of the sheet's size from 0, 0 (where preflight tools expect the origin) ...
            for name in ("/MediaBox", "/TrimBox"):
                assert [round(float(v), 2) for v in page.obj.get(name, page.mediabox)] == \
                    [0, 0, round(width, 2), round(height, 2)], name
            # ... the body's own page (210 x 279.4 mm) moved to its middle.
            dx, dy = centred_move(page)
            assert abs(2 * dx + 210 * 72 / 25.4 - width) < 0.01 and abs(2 * dy + 279.4 * 72 / 25.4 - height) < 0.01
    body = [[pikepdf.unparse_content_stream(pikepdf.parse_content_stream(p)[2:-1]) for p in b.pages[front:front + 3]]
            for b in (a4, us)]
    assert body[0] == body[1]  # the same pages, not a layout per paper
    # Links and destinations moved with the content: at the same place on the body's page.
    for booklet in (a4, us):
        pages = {page.obj.objgen: page for page in booklet.pages}
        names = booklet.Root.Names.Dests.Names
        spots = {}
        for index in range(0, len(names), 2):
            dest = names[index + 1]
            page = pages[dest[0].objgen]
            dx, dy = centred_move(page) if page.index >= front else (0.0, 0.0)
            left, bottom, right, top = (float(v) for v in page.mediabox)
            assert left <= float(dest[2]) <= right and bottom <= float(dest[3]) <= top
            spots[str(names[index])] = (page.index, round(float(dest[2]) - dx, 1), round(float(dest[3]) - dy, 1))
        links = [(page.index, [round(float(v) - (centred_move(page)[i % 2]), 1) for i, v in enumerate(annot.Rect)])
                 for page in booklet.pages[front:] for annot in page.obj.get("/Annots") or []]
        if booklet is a4:
            a4_spots, a4_links = spots, links
    assert len(a4_links) > 100 and links == a4_links
    body_spots = {name: spot for name, spot in spots.items() if spot[0] >= front}
    assert len(body_spots) > 50 and all(a4_spots[name] == spot for name, spot in body_spots.items())


def test_booklet_qr_codes(built_kit: KitResult, print_kit: Kit, tmp_path: Path) -> None:
    reader = PdfReader(built_kit.files[1])
    wanted = print_kit.by_type("fiche")[0]
    fiches = reader.outline[reader.outline.index(
        next(o for o in reader.outline if not isinstance(o, list) and o.title.startswith("Fiches"))
    ) + 1]
    first = next(o for o in fiches if not isinstance(o, list) and o.title == french_text(wanted.title))
    page = reader.get_destination_page_number(first)
    images = pdf_page_images(built_kit.files[1], page + 1, page + 1, 100, tmp_path)
    assert decode_qr(images[0]) == {f"{BASE_URL}/r/{wanted.id}"}


def test_rebuild_is_cached_and_identical(
    built_kit: KitResult, print_kit: Kit, small_cards: Path, build_root: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = {p.name: p.read_bytes() for p in built_kit.files}
    # Same inputs, new output folder, shared cache: no rendering (WeasyPrint is not called), same bytes.
    import weasyprint

    def no_rendering(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a cached kit was rendered again")

    with monkeypatch.context() as patched:
        patched.setattr(weasyprint.HTML, "render", no_rendering)
        again = build_kit(print_kit, KIT_OPTIONS, tmp_path / "again", base_url=BASE_URL,
                          print_dir=PRINT_DIR, cards_dir=small_cards, cache_dir=build_root / "cache")
    assert {p.name: p.read_bytes() for p in again.files} == before
    # Rendered parts cached, whole kit assembled again (merge and ZIP are deterministic too).
    shutil.rmtree(build_root / "cache" / "kits")
    third = build_kit(print_kit, KIT_OPTIONS, tmp_path / "third", base_url=BASE_URL,
                      print_dir=PRINT_DIR, cards_dir=small_cards, cache_dir=build_root / "cache")
    assert {p.name: p.read_bytes() for p in third.files} == before


def test_options_and_cache_key() -> None:
    a = KitOptions(territory="  Couserans ")
    assert a.territory == "Couserans"
    assert a.cache_key("abc") == KitOptions(territory="Couserans").cache_key("abc")
    assert a.cache_key("abc") != a.cache_key("abd")
    assert a.cache_key("abc") != KitOptions(territory="Couserans", paper="letter").cache_key("abc")
    for bad in ({"paper": "a3"}, {"edition": "web"}, {"back_offset_mm": 40}, {"territory": ""}):
        with pytest.raises(ValueError):
            KitOptions(**{"territory": "X", **bad})  # type: ignore[arg-type]


HOSTILE = """---
id: notion-hostile
titre: "Notion piégée"
resume: "Essaie de faire charger des ressources."
sources: [synthese-recherche-action]
---

<img src="file:///etc/passwd"> ![image distante](http://example.com/x.png)
<style>@import url(http://example.com/evil.css);</style>
@import url("https://example.com/evil.css"); [lien](file:///etc/passwd)
<link rel="stylesheet" href="http://example.com/x.css">
"""


def test_hostile_item_fetches_nothing(content_dir: Path, tmp_path: Path) -> None:
    content = tmp_path / "kit"
    shutil.copytree(content_dir, content)
    (content / "notions" / "notion-hostile.md").write_text(HOSTILE, encoding="utf-8")
    kit = load_kit(content).kit
    assert kit.get("notion-hostile") is not None
    cards = make_small_cards(kit, tmp_path / "cards", {"notions": ["notion-hostile"]})
    fetcher = resources(PRINT_DIR).fetcher
    fetcher.requested.clear()
    fetcher.refused.clear()
    data, _ = render_deck_pdf(kit, "notions", KitOptions(territory="X"), base_url=BASE_URL,
                              print_dir=PRINT_DIR, cards_dir=cards)
    assert data.startswith(b"%PDF")
    root = PRINT_DIR.resolve().as_uri() + "/"
    assert list(fetcher.refused) == []
    assert all(url.startswith((root, "data:")) for url in fetcher.requested), fetcher.requested
    # The hostile markup was printed as text, not interpreted.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Notion piégée" in text and "@import" in text
    # The pipeline's fetcher is the one WeasyPrint uses: loading the fonts goes through it.
    fresh = _create_resources(PRINT_DIR.resolve())
    assert any("/fonts/" in url for url in fresh.fetcher.requested)
    assert all(url.startswith(root) for url in fresh.fetcher.requested)
    # The fetcher itself refuses anything outside print/.
    guard = PrintURLFetcher(PRINT_DIR)
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://example.com/a.css",
                PRINT_DIR.resolve().as_uri() + "/../pyproject.toml", "ftp://example.com/x"):
        with pytest.raises(FetchRefused):
            guard.fetch(url)
    assert guard.fetch(PRINT_DIR.resolve().as_uri() + "/icons/notion.svg").read().startswith(b"<svg")
    assert guard.fetch("data:text/plain,ok").read() == b"ok"


def test_cli_build_kit(built_kit: KitResult, content_dir: Path, small_cards: Path, build_root: Path,
                       tmp_path: Path) -> None:
    app: Flask = create_app({
        "TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}",
        "CONTENT_DIR": str(content_dir), "CARDS_DIR": str(small_cards), "BUILD_DIR": str(build_root),
        "BASE_URL": BASE_URL, "AUTO_INDEX": False,
    })
    # BUILD_DIR/.print-cache is not the session cache: point the CLI at it through a symlink.
    (build_root / ".print-cache").symlink_to(build_root / "cache")
    result = app.test_cli_runner().invoke(
        args=["build-kit", "--territory", "Couserans", "--paper", "a4", "--edition", "home",
              "--out", str(tmp_path / "dist")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dist" / "couserans-mallette.zip").is_file()
    assert (tmp_path / "dist" / "couserans-mallette-complete.pdf").read_bytes() == built_kit.whole_pdf.read_bytes()
    bad = app.test_cli_runner().invoke(args=["build-kit", "--territory", "X", "--decks", "inconnu",
                                             "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "inconnu" in bad.output
    odd = app.test_cli_runner().invoke(args=["build-kit", "--territory", "X", "--cards", "carte-absente",
                                             "--out", str(tmp_path / "y")])
    assert odd.exit_code == 1 and "carte-absente" in odd.output  # a selection, checked against the kit


def test_progress_names_each_chunk_of_the_body(print_kit: Kit, small_cards: Path) -> None:
    """The body is rendered in chunks: each says which of the booklet's parts it composed."""
    from app.printing.command import step_text
    from app.printing.kit_builder import Step
    from app.printing.parts import Job, body_chunks, part_params, select_decks

    decks = select_decks(print_kit, KIT_OPTIONS, small_cards, PRINT_DIR)
    job = Job(print_kit, KIT_OPTIONS, {d.id: d for d in decks}, [], BASE_URL, PRINT_DIR)
    sections = [part_params(f"body:{i}", job) for i in range(len(body_chunks(print_kit)))]
    assert sections[1] == {"part": "body-section", "section": "Fiches activité"}
    assert step_text(Step.PART_DONE, sections[1]) == "Livret : « Fiches activité » composé"
    assert step_text(Step.PART_DONE, {"part": "body"}).startswith("Livret : fiches, activités")
