"""Cut marks, card outlines and back bleeds of a home-edition sheet, drawn as one SVG image.

Drawing them as one background image per sheet, instead of one HTML box per line, spares
WeasyPrint a few dozen boxes per sheet to style, lay out, paint and tag (a tenth of a
deck's rendering time). Sheets with the same layout get the same image URL, which WeasyPrint
parses once per document. The geometry is the one the boxes had: CSS borders start on their box's
edge, so each stroke is offset by half its width.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from .imposition import GUTTER_MM, MARK_GAP_MM, Grid

PT_TO_MM = 25.4 / 72
CUT_INK = "#1b1f24"
CUT_WIDTH_MM = round(0.25 * PT_TO_MM, 4)
GUIDE_INK = "#8a939c"
GUIDE_WIDTH_MM = round(0.3 * PT_TO_MM, 4)
#: Colour printed around the backs, so that a shifted duplex shows colour, not a white edge.
BACK_BLEED_MM = 2.5
#: How far a front's band runs past the card's head (half the gutter).
BAND_BLEED_MM = GUTTER_MM / 2


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def cut_marks(grid: Grid, shift_x: float = 0.0) -> list[str]:
    """Short lines outside the grid, in line with every card edge (SVG elements); with gutters,
    each gutter has a mark on both sides."""
    mark_v, mark_h = grid.mark_v, grid.mark_h
    half = CUT_WIDTH_MM / 2
    top = grid.y0 - MARK_GAP_MM - mark_v
    bottom = grid.y0 + grid.height + MARK_GAP_MM
    left = grid.x0 + shift_x - MARK_GAP_MM - mark_h
    right = grid.x0 + shift_x + grid.width + MARK_GAP_MM
    lines = []
    for edge in grid.col_edges():
        x = edge + shift_x + half
        for y in (top, bottom):
            lines.append(f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x)}" y2="{_n(y + mark_v)}"/>')
    for edge in grid.row_edges():
        y = edge + half
        for x in (left, right):
            lines.append(f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + mark_h)}" y2="{_n(y)}"/>')
    return lines


def _svg(grid: Grid, body: str) -> str:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(grid.paper_w)}mm" height="{_n(grid.paper_h)}mm" '
        f'viewBox="0 0 {_n(grid.paper_w)} {_n(grid.paper_h)}">{body}</svg>'
    )
    return "data:image/svg+xml," + quote(svg, safe=" =:/")


def band_bleeds(grid: Grid, cells: Iterable[tuple[float, float]]) -> list[str]:
    """The front band's colour carried into the gutter (or margin) past each card's head: a cut a
    little above the line shows colour, not white."""
    depth = BAND_BLEED_MM
    rects = []
    for x, y in cells:
        if grid.rotated:  # the head of a card turned +90° is its right edge
            left, top, width, height = x + grid.cell_w, y, depth, grid.cell_h
        else:
            left, top, width, height = x, y - depth, grid.cell_w, depth
        rects.append(f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(width)}" height="{_n(height)}"/>')
    return rects


def front_marks(grid: Grid, cells: Iterable[tuple[float, float]], colour: str = CUT_INK) -> str:
    """Image URL (data:) of a front sheet's marks: band bleeds, each card's outline and the cut
    marks, drawn on top of the cards (all outside them but the outlines' hairlines)."""
    cells = list(cells)
    half = GUIDE_WIDTH_MM / 2
    outlines = "".join(
        f'<rect x="{_n(x + half)}" y="{_n(y + half)}" width="{_n(grid.cell_w + GUIDE_WIDTH_MM)}" '
        f'height="{_n(grid.cell_h + GUIDE_WIDTH_MM)}"/>'
        for x, y in cells
    )
    body = (
        f'<g fill="{colour}">{"".join(band_bleeds(grid, cells))}</g>'
        f'<g fill="none" stroke="{GUIDE_INK}" stroke-width="{_n(GUIDE_WIDTH_MM)}">{outlines}</g>'
        f'<g stroke="{CUT_INK}" stroke-width="{_n(CUT_WIDTH_MM)}">{"".join(cut_marks(grid))}</g>'
    )
    return _svg(grid, body)


def back_marks(grid: Grid, cells: Iterable[tuple[float, float]], colour: str, shift_x: float) -> str:
    """Image URL (data:) of a back sheet's underlay: the deck's colour over the whole grid, its
    gutters and BACK_BLEED_MM around (a back shifted by duplex drift still shows colour at its
    edges), and the cut marks (shifted with the backs)."""
    cells = list(cells)
    if cells:
        left = min(x for x, _ in cells) - BACK_BLEED_MM
        top = min(y for _, y in cells) - BACK_BLEED_MM
        right = max(x for x, _ in cells) + grid.cell_w + BACK_BLEED_MM
        bottom = max(y for _, y in cells) + grid.cell_h + BACK_BLEED_MM
        fill = f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(right - left)}" height="{_n(bottom - top)}"/>'
    else:
        fill = ""
    body = (
        f'<g fill="{colour}">{fill}</g>'
        f'<g stroke="{CUT_INK}" stroke-width="{_n(CUT_WIDTH_MM)}">{"".join(cut_marks(grid, shift_x))}</g>'
    )
    return _svg(grid, body)
