"""Helpers shared by the print tests: paths, small decks, rasterising and QR decoding."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pikepdf
import yaml

from app.config import PROJECT_ROOT
from app.kit import Kit
from app.printing.decks import load_decks
from app.printing.kit_builder import KitOptions
from app.printing.merge import structure_elements

PRINT_DIR = PROJECT_ROOT / "print"
CARDS_DIR = PROJECT_ROOT / "cards"
BASE_URL = "http://mallette.test"
#: Items per small deck: with the title and mode d'emploi cards, one full sheet plus a partial one for
#: each size on A4.
SMALL = {"a6": 1, "tarot": 3, "poker": 8}

KIT_OPTIONS = KitOptions(territory="Couserans", paper="a4", edition="home")


def make_small_cards(kit: Kit, target: Path, extra: dict[str, list[str]] | None = None) -> Path:
    """Copies of the real deck files, each limited to a few cards (`extra` ids appended)."""
    target.mkdir(parents=True, exist_ok=True)
    for deck in load_decks(CARDS_DIR, PRINT_DIR):
        data = yaml.safe_load((CARDS_DIR / f"{deck.id}.yaml").read_text(encoding="utf-8"))
        ids = [item.id for item in kit.by_type(deck.item_type)][: SMALL[deck.size]]
        ids += (extra or {}).get(deck.id, [])
        data["elements"] = ids
        (target / f"{deck.id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def pdf_page_images(pdf: Path, first: int, last: int, dpi: int, out: Path) -> list[Path]:
    """Rasterise pages `first`..`last` (1-based) with pdftoppm; return the image paths.

    The images are uncompressed PPM files (RGB, pdftoppm's own format), the same pixels as its PNG
    output without the PNG compression, which costs several times the rasterising itself.
    """
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / re.sub(r"\W", "_", pdf.stem)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(first), "-l", str(last), str(pdf), str(prefix)],
        check=True,
    )
    return sorted(out.glob(f"{prefix.name}-*.ppm"))


def text_boxes(pdf: Path, page: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The words and the lines poppler reads on page `page` (1-based), each with its left edge (pt),
    every transformation applied (card sides are placed on sheets, the backs as form XObjects)."""
    out = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    words: list[tuple[str, float]] = []
    lines: list[tuple[str, float]] = []
    for line in re.finditer(r'<line xMin="([\d.]+)"[^>]*>(.*?)</line>', out, re.DOTALL):
        found = [(html.unescape(text), float(x)) for x, text in
                 re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', line.group(2))]
        words.extend(found)
        lines.append((" ".join(text for text, _x in found), float(line.group(1))))
    return words, lines


def decode_qr(picture: Path) -> set[str]:
    """Every QR code zxing-cpp finds in an image."""
    import zxingcpp
    from PIL import Image

    with Image.open(picture) as image:
        return {r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)}


def centred_move(page: pikepdf.Page) -> tuple[float, float]:
    """How far a page centred on a larger sheet at merge moved its content (dx, dy in points): its
    content opens with `q 1 0 0 1 dx dy cm` and closes with `Q`."""
    operations = pikepdf.parse_content_stream(page)
    first, second, last = operations[0], operations[1], operations[-1]
    assert (str(first.operator), str(second.operator), str(last.operator)) == ("q", "cm", "Q")
    a, b, c, d, dx, dy = (float(v) for v in second.operands)
    assert (a, b, c, d) == (1, 0, 0, 1)  # a translation only: the page keeps its size
    return dx, dy


def figure_boxes(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.Page, list[float]]]:
    """Each tagged element's layout box (`/A` `/BBox`) with the page it is on (`/Pg`)."""
    pages = {page.obj.objgen: page for page in pdf.pages}
    found: list[tuple[pikepdf.Page, list[float]]] = []
    for element in structure_elements(pdf.Root.StructTreeRoot):
        attributes = element.get("/A")
        for attribute in attributes if isinstance(attributes, pikepdf.Array) else [attributes]:
            if isinstance(attribute, pikepdf.Dictionary) and "/BBox" in attribute:
                page = element.get("/Pg")
                assert isinstance(page, pikepdf.Dictionary), "a figure's box without its page"
                found.append((pages[page.objgen], [float(v) for v in attribute.BBox]))
    return found
