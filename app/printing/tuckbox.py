"""Tuck boxes: a printable, foldable box net for each deck, sized from its cards and their count.

The net is the classic tuck-end box: from left to right a glue flap, the front, a side (the spine),
the back and the other side; the back carries a lid and a tuck tongue at both ends, the sides carry
dust flaps, the front has a thumb notch. Cuts are solid lines, folds dashed, glue zones hatched.
Its size comes from the card size plus a tolerance, and its depth from the number of printed cards
(each about `CARD_THICKNESS_MM` of paper). The net is laid upright when it fits inside the paper's
printable margin, turned a quarter otherwise (A6 boxes on A4 and Letter); `layout` raises
`ValueError` if neither fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .cards import MALLETTE_NAME, icon_url
from .decks import Deck
from .marks import CUT_INK, _n
from .theme import CARD_SIZE_LABELS, CARD_SIZES, PAPER_LABELS, PAPERS

TUCKBOX_TITLE = "Boîtes des jeux"
#: Thickness of one printed card (home paper of 160-250 g/m² is 0.2-0.3 mm).
CARD_THICKNESS_MM = 0.3
#: Room added to the card's width and height, and to the stack's thickness, so the deck slides in.
TOLERANCE_MM = 1.5
DEPTH_TOLERANCE_MM = 1.0
#: Width of the glue flap, depth of the tuck tongues, and the thumb notch's radius.
GLUE_MM = 9.0
TUCK_MM = 13.0
NOTCH_MM = 8.0
#: Nothing of the net comes nearer the paper's edge than this (home printers leave a margin).
MARGIN_MM = 6.5
#: Room kept above the net for the page's title and instructions (the net sits just below).
HEAD_MM = 26.0
FOLD_INK = "#5d6670"


@dataclass(frozen=True)
class TuckBox:
    """The inner size of a deck's box (mm): width and height of its face, depth of its spine."""

    width: float
    height: float
    depth: float

    @property
    def dust(self) -> float:
        """Height of the dust flaps on the sides (a third of the width, at most 20 mm)."""
        return round(min(20.0, self.width / 3), 3)

    @property
    def net_width(self) -> float:
        """Width of the flat net: glue flap, front, side, back, side."""
        return round(GLUE_MM + 2 * self.width + 2 * self.depth, 3)

    @property
    def net_height(self) -> float:
        """Height of the flat net: tongue, lid, face, lid, tongue."""
        return round(self.height + 2 * (self.depth + max(TUCK_MM, self.dust - self.depth)), 3)

    def panels(self) -> dict[str, tuple[float, float, float, float]]:
        """(x, y, width, height) of each face in the net's own frame (mm, origin top-left)."""
        top = self.net_height / 2 - self.height / 2
        x = GLUE_MM
        out = {}
        for name, w in (("front", self.width), ("spine", self.depth), ("back", self.width),
                        ("side", self.depth)):
            out[name] = (round(x, 3), round(top, 3), round(w, 3), round(self.height, 3))
            x += w
        return out


def box_for(size: str, cards: int) -> TuckBox:
    """The box for `cards` printed cards of this size (`CARD_SIZES`)."""
    card_w, card_h = CARD_SIZES[size]
    depth = max(cards, 1) * CARD_THICKNESS_MM + DEPTH_TOLERANCE_MM
    return TuckBox(round(card_w + TOLERANCE_MM, 3), round(card_h + TOLERANCE_MM, 3), round(depth, 3))


@dataclass(frozen=True)
class Layout:
    """Where a net sits on its page (mm): its top-left corner, and whether it is turned a quarter
    (clockwise: the net's top then faces the paper's right edge)."""

    x: float
    y: float
    turned: bool
    #: The net's footprint on the paper.
    width: float
    height: float


def layout(box: TuckBox, paper: str) -> Layout:
    """The net upright below the page's head when it fits, else turned beside it; ValueError if
    neither fits inside the printable margin."""
    paper_w, paper_h = PAPERS[paper]
    w, h = box.net_width, box.net_height
    room_w, room_h = paper_w - 2 * MARGIN_MM, paper_h - 2 * MARGIN_MM - HEAD_MM
    for turned, (foot_w, foot_h) in ((False, (w, h)), (True, (h, w))):
        if foot_w <= room_w and foot_h <= room_h:
            x = round((paper_w - foot_w) / 2, 3)
            y = round(MARGIN_MM + HEAD_MM + min(8.0, (room_h - foot_h) / 2), 3)
            return Layout(x, y, turned, foot_w, foot_h)
    raise ValueError(f"la boîte ({w:.0f} × {h:.0f} mm) ne tient pas sur une feuille {PAPER_LABELS[paper]}")


def _poly(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def net_lines(box: TuckBox) -> tuple[str, str, str]:
    """SVG markup of the net in its own frame: (cut outline path, fold lines, glue zones)."""
    p = box.panels()
    fx, top, w, h = p["front"]
    d = box.depth
    bottom = top + h
    bx = p["back"][0]
    sx = p["spine"][0]
    ox = p["side"][0]
    end = ox + d
    dust = box.dust
    tuck = TUCK_MM
    slant = min(4.0, d / 2, dust / 3)
    r = NOTCH_MM
    # The outline, clockwise from the glue flap's top corner (the flap is tapered).
    outline = [f"M{_n(0)} {_n(top + 6)}", f"L{_n(fx)} {_n(top)}"]
    # Front top edge with its thumb notch (a cut: the lid closes over it).
    mid = fx + w / 2
    outline += [f"L{_n(mid - r)} {_n(top)}", f"A{_n(r)} {_n(r)} 0 0 0 {_n(mid + r)} {_n(top)}", f"L{_n(sx)} {_n(top)}"]
    # Spine's dust flap, back's lid and tongue, side's dust flap.
    outline += [f"L{_n(sx)} {_n(top - dust + slant)}", f"L{_n(sx + slant)} {_n(top - dust)}",
                f"L{_n(bx)} {_n(top - dust)}", f"L{_n(bx)} {_n(top - d)}",
                f"L{_n(bx + slant)} {_n(top - d - tuck)}", f"L{_n(bx + w - slant)} {_n(top - d - tuck)}",
                f"L{_n(bx + w)} {_n(top - d)}", f"L{_n(bx + w)} {_n(top - dust)}",
                f"L{_n(end - slant)} {_n(top - dust)}", f"L{_n(end)} {_n(top - dust + slant)}",
                f"L{_n(end)} {_n(bottom + dust - slant)}", f"L{_n(end - slant)} {_n(bottom + dust)}",
                f"L{_n(bx + w)} {_n(bottom + dust)}", f"L{_n(bx + w)} {_n(bottom + d)}",
                f"L{_n(bx + w - slant)} {_n(bottom + d + tuck)}", f"L{_n(bx + slant)} {_n(bottom + d + tuck)}",
                f"L{_n(bx)} {_n(bottom + d)}", f"L{_n(bx)} {_n(bottom + dust)}",
                f"L{_n(sx + slant)} {_n(bottom + dust)}", f"L{_n(sx)} {_n(bottom + dust - slant)}",
                f"L{_n(sx)} {_n(bottom)}", f"L{_n(fx)} {_n(bottom)}", f"L{_n(0)} {_n(bottom - 6)}", "Z"]
    folds = [
        (fx, top, fx, bottom), (sx, top, sx, bottom), (bx, top, bx, bottom), (ox, top, ox, bottom),
        (sx, top, bx, top), (bx, top, bx + w, top), (ox, top, end, top),  # dust flaps and lid
        (sx, bottom, bx, bottom), (bx, bottom, bx + w, bottom), (ox, bottom, end, bottom),
        (bx, top - d, bx + w, top - d), (bx, bottom + d, bx + w, bottom + d),  # lids to tongues
    ]
    fold_svg = "".join(
        f'<line x1="{_n(a)}" y1="{_n(b)}" x2="{_n(c)}" y2="{_n(e)}"/>' for a, b, c, e in folds
    )
    glue = f'<polygon points="{_poly([(0, top + 6), (fx, top), (fx, bottom), (0, bottom - 6)])}"/>'
    return " ".join(outline), fold_svg, glue


def net_svg(box: TuckBox, colour: str, place: Layout, paper: str) -> str:
    """The page's drawing (a data: URL): the coloured faces, the glue zone, folds and cuts."""
    paper_w, paper_h = PAPERS[paper]
    outline, folds, glue = net_lines(box)
    p = box.panels()
    fx, top, w, h = p["front"]
    sx, _t, d, _h = p["spine"]
    ox = p["side"][0]
    fills = (
        f'<rect x="{_n(fx)}" y="{_n(top - 1.5)}" width="{_n(w)}" height="{_n(h + 3)}"/>'
        f'<rect x="{_n(sx)}" y="{_n(top)}" width="{_n(d)}" height="{_n(h)}"/>'
        f'<rect x="{_n(ox)}" y="{_n(top)}" width="{_n(d)}" height="{_n(h)}"/>'
    )
    if place.turned:  # a quarter clockwise: the net's (x, y) goes to (x0 + H - y, y0 + x)
        transform = f"translate({_n(place.x + box.net_height)} {_n(place.y)}) rotate(90)"
    else:
        transform = f"translate({_n(place.x)} {_n(place.y)})"
    hatch = (
        '<pattern id="g" width="2.5" height="2.5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="2.5" stroke="#9aa3ad" stroke-width="0.5"/></pattern>'
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(paper_w)}mm" height="{_n(paper_h)}mm" '
        f'viewBox="0 0 {_n(paper_w)} {_n(paper_h)}"><defs>{hatch}'
        "</defs>"
        f'<g transform="{transform}">'
        f'<g fill="{colour}">{fills}</g>'
        f'<g fill="url(#g)" stroke="none">{glue}</g>'
        f'<g stroke="{FOLD_INK}" stroke-width="0.3" stroke-dasharray="2 1.5" fill="none">{folds}</g>'
        f'<path d="{outline}" fill="none" stroke="{CUT_INK}" stroke-width="0.35"/>'
        "</g></svg>"
    )
    return "data:image/svg+xml," + quote(svg, safe=" =:/")


def to_page(place: Layout, box: TuckBox, x: float, y: float) -> tuple[float, float]:
    """A point of the net's frame on the page (mm)."""
    if place.turned:
        return round(place.x + box.net_height - y, 3), round(place.y + x, 3)
    return round(place.x + x, 3), round(place.y + y, 3)


def tuckbox_pages(decks: list[tuple[Deck, int]], paper: str) -> list[dict[str, Any]]:
    """One page per deck: its box, layout, drawing and where its texts go. `decks` holds
    (deck, printed cards) pairs."""
    pages = []
    for deck, cards in decks:
        box = box_for(deck.size, cards)
        place = layout(box, paper)
        p = box.panels()
        faces = {}
        for name, (x, y, w, h) in p.items():
            # Each face as a page rectangle, and the rotation that puts its text upright on the box.
            if place.turned:
                left, top_ = to_page(place, box, x, y + h)
                faces[name] = {"x": left, "y": top_, "w": h, "h": w, "rotate": 90}
            else:
                left, top_ = to_page(place, box, x, y)
                faces[name] = {"x": left, "y": top_, "w": w, "h": h, "rotate": 0}
        pages.append({
            "deck": deck, "cards": cards, "box": box, "layout": place, "faces": faces,
            "drawing": net_svg(box, deck.colour, place, paper),
            "spine_text": box.depth >= 5.0,
            "spine_pt": round(min(9.0, box.depth * 0.55 * 72 / 25.4), 1),
        })
    return pages


def _mm(value: float) -> str:
    """12.5 -> '12,5' (French decimal comma, no trailing zero)."""
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def tuckbox_context(decks: list[tuple[Deck, int]], paper: str, print_dir: Path, meta: dict[str, str]) -> dict[str, Any]:
    """Template context of the tuck boxes document (`tuckbox.html`): one page per deck."""
    pages = tuckbox_pages(decks, paper)
    for page in pages:
        page["icon"] = icon_url(print_dir, page["deck"].icon, "#ffffff")
    paper_w, paper_h = PAPERS[paper]
    return {
        "pages": pages,
        "paper": {"w": paper_w, "h": paper_h, "label": PAPER_LABELS[paper], "id": paper},
        "margin": MARGIN_MM,
        "mm": _mm,
        "size_labels": CARD_SIZE_LABELS,
        "mallette": MALLETTE_NAME,
        "meta": meta,
    }
