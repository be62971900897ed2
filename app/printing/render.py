"""WeasyPrint plumbing: shared resources, safe rendering, overflow detection, deterministic PDFs.

One `Resources` object per print folder and process holds the Jinja environment, the URL fetcher,
the `FontConfiguration` and the parsed stylesheets, so that fonts and CSS are loaded once.
"""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pydyf
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration

from app.kit.markdown import french_html

from .fetcher import PrintURLFetcher

PX_TO_MM = 25.4 / 96
#: Text that ends further than this below its card's frame is an overflow (CSS px).
OVERFLOW_TOLERANCE_PX = 0.5
STYLESHEETS = ("fonts.css", "cards.css", "booklet.css")


class PrintError(RuntimeError):
    """The kit cannot be printed as asked (overflowing card, bad deck...); message in French."""


class CardOverflowError(PrintError):
    """Card text does not fit its card; `cards` lists (item id, deck id, overflow in mm)."""

    def __init__(self, cards: list[tuple[str, str, float]], paths: dict[str, str]) -> None:
        lines = [
            f"{paths.get(item_id, item_id)}: carte « {item_id} » (jeu {deck_id}) : le texte dépasse "
            f"de la carte de {amount:.1f} mm ; raccourcissez-le"
            for item_id, deck_id, amount in cards
        ]
        super().__init__("\n".join(lines))
        self.cards = cards


@dataclass
class Resources:
    """Per-process rendering resources for one print folder."""

    print_dir: Path
    fetcher: PrintURLFetcher
    font_config: FontConfiguration
    stylesheets: dict[str, CSS]
    env: jinja2.Environment

    @property
    def base_url(self) -> str:
        """Base URL of the templates: the print folder itself."""
        return self.print_dir.as_uri() + "/"

    def css(self, *names: str) -> list[CSS]:
        """The named stylesheets, in order."""
        return [self.stylesheets[name] for name in names]


_lock = threading.Lock()
_resources: dict[Path, Resources] = {}
#: WeasyPrint shares fonts (Pango, fontconfig) through `Resources`: one rendering at a time per
#: process (web threads printing a card while a build runs).
_render_lock = threading.RLock()


def fresh_locks_after_fork() -> None:
    """Initializer of forked build workers: a lock held by another thread at fork time must not
    freeze them."""
    global _lock, _render_lock
    _lock = threading.Lock()
    _render_lock = threading.RLock()


def resources(print_dir: Path) -> Resources:
    """The shared resources for `print_dir` (created on first use in this process)."""
    key = Path(print_dir).resolve()
    found = _resources.get(key)  # lock-free fast path (also safe in forked workers)
    if found is not None:
        return found
    with _lock:
        found = _resources.get(key)
        if found is None:
            found = _create_resources(key)
            _resources[key] = found
        return found


def _create_resources(print_dir: Path) -> Resources:
    fetcher = PrintURLFetcher(print_dir)
    font_config = FontConfiguration()
    sheets = {
        name: CSS(url=(print_dir / "css" / name).as_uri(), url_fetcher=fetcher, font_config=font_config)
        for name in STYLESHEETS
    }
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(print_dir / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Plain texts (titles, names) get the French typography that Markdown content gets.
    env.filters["fr"] = french_html
    return Resources(print_dir, fetcher, font_config, sheets, env)


def render_html(res: Resources, template: str, context: dict[str, Any], *sheets: str) -> Document:
    """Render a template to a laid-out WeasyPrint document."""
    html = res.env.get_template(template).render(**context)
    with _render_lock:
        return HTML(string=html, base_url=res.base_url, url_fetcher=res.fetcher).render(
            stylesheets=res.css("fonts.css", *sheets), font_config=res.font_config
        )


def find_overflows(document: Document) -> list[tuple[str, str, float]]:
    """Cards whose text runs below their `.card-body` frame: (item id, deck id, excess in mm)."""
    found: dict[tuple[str, str], float] = {}
    for page in document.pages:
        _walk(page._page_box, None, found)
    return [(item, deck, round(px * PX_TO_MM, 1)) for (item, deck), px in found.items()]


def _classes(box: Any) -> list[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return []
    return str(element.get("class") or "").split()


def _walk(box: Any, card: tuple[str, str] | None, found: dict[tuple[str, str], float]) -> None:
    classes = _classes(box)
    if "card" in classes and box.element.get("data-card"):
        card = (box.element.get("data-card"), box.element.get("data-deck") or "")
    if "card-body" in classes and card is not None:
        limit = box.content_box_y() + box.height
        bottom = _deepest(box)
        excess = bottom - limit
        if excess > OVERFLOW_TOLERANCE_PX:
            found[card] = max(found.get(card, 0.0), excess)
        return
    for child in getattr(box, "children", ()):
        _walk(child, card, found)


def _deepest(box: Any) -> float:
    bottom = 0.0
    for child in getattr(box, "children", ()):
        try:
            child_bottom = child.border_box_y() + child.border_height()
        except (AttributeError, TypeError):
            child_bottom = 0.0
        bottom = max(bottom, child_bottom, _deepest(child))
    return bottom


_gc_lock = threading.Lock()
_gc_state = {"pauses": 0, "was_enabled": True}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a big document is laid out and written.

    WeasyPrint allocates hundreds of thousands of small objects (boxes, styles, PDF operators); the
    collector's full passes over them cost about a quarter of a 50-page report's CPU time
    (bench/report.py). Reference counting still frees almost everything; the cycles left are
    collected once the collector runs again. Nested and concurrent pauses share one pause.
    """
    with _gc_lock:
        if _gc_state["pauses"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["pauses"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["pauses"] -= 1
            if _gc_state["pauses"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


def figure_boxes_in_user_space(document: Document, pdf: Any) -> None:
    """Rewrite the `/BBox` of the tagged figures in PDF user space, as ISO 32000 defines it.

    WeasyPrint (70) writes each Figure's layout box in CSS pixels from its page's top-left corner,
    y downwards: a reader of the structure (a screen magnifier, reflow) would look for the figure
    elsewhere, or off the page, and the imposition and merge steps, which move the boxes with the
    content, would move wrong boxes. Here they become points from the bottom-left corner (at the zoom
    of 1 that `pdf_bytes` writes with: 0.75 pt a CSS px)."""
    heights = {reference: page.height * 0.75 for reference, page in zip(pdf.page_references, document.pages,
                                                                       strict=True)}
    for obj in pdf.objects:
        if not (isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem"):
            continue
        layout, height = obj.get("A"), heights.get(obj.get("Pg"))
        if not isinstance(layout, pydyf.Dictionary) or "BBox" not in layout or height is None:
            continue
        left, top, right, bottom = (float(v) * 0.75 for v in layout["BBox"])
        layout["BBox"] = pydyf.Array([round(left, 3), round(height - bottom, 3), round(right, 3),
                                      round(height - top, 3)])


def pdf_bytes(document: Document, key: str, *, tagged: bool = True, finisher: Any = None) -> bytes:
    """Write a document as PDF with a stable identifier derived from `key` (same key, same bytes);
    a tagged one with its figures' boxes in user space (`figure_boxes_in_user_space`)."""
    identifier = hashlib.sha256(key.encode()).hexdigest()[:32].encode()
    options: dict[str, Any] = {"pdf_identifier": identifier, "uncompressed_pdf": False}
    if tagged:
        options["pdf_variant"] = "pdf/ua-1"

    def finish(document: Document, pdf: Any) -> None:
        if tagged:
            figure_boxes_in_user_space(document, pdf)
        if finisher is not None:
            finisher(document, pdf)

    with _render_lock:
        data = document.write_pdf(finisher=finish, **options)
    assert isinstance(data, bytes)
    return data
