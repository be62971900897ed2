"""The duplex registration test sheet: print it first, hold it against the light, read the offset.

The front has crosshairs and a scale in millimetres; the back has the same crosshairs where long-edge
duplex puts them (mirrored) and, on the scale's line, one index. Seen through the sheet, the index
falls on the scale at the value to add to the back offset (`--back-offset`): the correction the
card sheets then apply to every back (`imposition.Grid.position(offset_x=...)`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .marks import CUT_INK, _n
from .theme import PAPER_LABELS, PAPERS

REGISTRATION_TITLE = "Test recto verso"
#: Crosshairs this far inside each corner, and at the centre.
TARGET_INSET_MM = 30.0
TARGET_RADIUS_MM = 6.0
#: The scale: ticks every millimetre, from -SCALE_MM to +SCALE_MM around the page's centre line.
SCALE_MM = 10
SCALE_Y_MM = 0.62  # of the page height


def targets(paper: str) -> list[tuple[float, float]]:
    """Centres of the crosshairs on the front (the back's are mirrored: x -> width - x)."""
    w, h = PAPERS[paper]
    i = TARGET_INSET_MM
    return [(i, i), (w - i, i), (w / 2, h * 0.42), (i, h - i), (w - i, h - i)]


def _crosshair(x: float, y: float) -> str:
    r = TARGET_RADIUS_MM
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r * 0.6)}"/>'
        f'<line x1="{_n(x - r)}" y1="{_n(y)}" x2="{_n(x + r)}" y2="{_n(y)}"/>'
        f'<line x1="{_n(x)}" y1="{_n(y - r)}" x2="{_n(x)}" y2="{_n(y + r)}"/>'
    )


def registration_image(paper: str, side: str, offset_mm: float) -> str:
    """The sheet's drawing for `side` ("recto" or "verso") as a data: URL."""
    w, h = PAPERS[paper]
    shift = offset_mm if side == "verso" else 0.0
    points = targets(paper) if side == "recto" else [(w - x, y) for x, y in targets(paper)]
    body = "".join(_crosshair(x + shift, y) for x, y in points)
    y = h * SCALE_Y_MM
    cx = w / 2
    if side == "recto":
        for mm in range(-SCALE_MM, SCALE_MM + 1):
            tall = 6.0 if mm % 5 == 0 else 3.5
            body += f'<line x1="{_n(cx + mm)}" y1="{_n(y - tall)}" x2="{_n(cx + mm)}" y2="{_n(y)}"/>'
        body += f'<line x1="{_n(cx - SCALE_MM)}" y1="{_n(y)}" x2="{_n(cx + SCALE_MM)}" y2="{_n(y)}"/>'
    else:
        index = cx + shift
        body += f'<line x1="{_n(index)}" y1="{_n(y - 9)}" x2="{_n(index)}" y2="{_n(y + 3)}" stroke-width="0.35"/>'
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}mm" height="{_n(h)}mm" '
        f'viewBox="0 0 {_n(w)} {_n(h)}"><g fill="none" stroke="{CUT_INK}" stroke-width="0.2">{body}</g></svg>'
    )
    return "data:image/svg+xml," + quote(svg, safe=" =:/")


def registration_context(paper: str, offset_mm: float, meta: dict[str, str]) -> dict[str, Any]:
    """Template context of the test sheet (registration.html)."""
    w, h = PAPERS[paper]
    return {
        "paper": {"w": w, "h": h, "label": PAPER_LABELS[paper], "id": paper},
        "offset": offset_mm,
        "recto": registration_image(paper, "recto", offset_mm),
        "verso": registration_image(paper, "verso", offset_mm),
        "scale": [{"mm": mm, "x": round(w / 2 + mm, 3)} for mm in range(-SCALE_MM, SCALE_MM + 1, 5)],
        "scale_y": round(h * SCALE_Y_MM, 3),
        "meta": meta,
    }
