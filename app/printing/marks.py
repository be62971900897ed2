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

from .imposition import Grid

PT_TO_MM = 25.4 / 72
CUT_INK = "#1b1f24"
CUT_WIDTH_MM = round(0.25 * PT_TO_MM, 4)
GUIDE_INK = "#8a939c"
GUIDE_WIDTH_MM = round(0.3 * PT_TO_MM, 4)
#: Colour printed around each back, so that a shifted duplex shows colour, not a white edge.
BACK_BLEED_MM = 1.5


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def cut_marks(grid: Grid, shift_x: float = 0.0) -> list[str]:
    """Short lines outside the grid, in line with every column and row edge (SVG elements)."""
    mark_v = min(grid.y0 - 1.5, 7)
    mark_h = min(grid.x0 - 1.5, 7)
    half = CUT_WIDTH_MM / 2
    bottom = grid.y0 + grid.rows * grid.cell_h + 1.5
    right = grid.x0 + shift_x + grid.cols * grid.cell_w + 1.5
    lines = []
    for col in range(grid.cols + 1):
        x = round(grid.x0 + col * grid.cell_w, 3) + shift_x + half
        for top in (grid.y0 - 1.5 - mark_v, bottom):
            lines.append(f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(top + mark_v)}"/>')
    for row in range(grid.rows + 1):
        y = round(grid.y0 + row * grid.cell_h, 3) + half
        for left in (grid.x0 + shift_x - 1.5 - mark_h, right):
            lines.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + mark_h)}" y2="{_n(y)}"/>')
    return lines


def _svg(grid: Grid, body: str) -> str:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(grid.paper_w)}mm" height="{_n(grid.paper_h)}mm" '
        f'viewBox="0 0 {_n(grid.paper_w)} {_n(grid.paper_h)}">{body}</svg>'
    )
    return "data:image/svg+xml," + quote(svg, safe=" =:/")


def front_marks(grid: Grid, cells: Iterable[tuple[float, float]]) -> str:
    """Image URL (data:) of a front sheet's marks: cut marks and each card's outline, drawn on top."""
    half = GUIDE_WIDTH_MM / 2
    outlines = "".join(
        f'<rect x="{_n(x + half)}" y="{_n(y + half)}" width="{_n(grid.cell_w + GUIDE_WIDTH_MM)}" '
        f'height="{_n(grid.cell_h + GUIDE_WIDTH_MM)}"/>'
        for x, y in cells
    )
    body = (
        f'<g fill="none" stroke="{GUIDE_INK}" stroke-width="{_n(GUIDE_WIDTH_MM)}">{outlines}</g>'
        f'<g stroke="{CUT_INK}" stroke-width="{_n(CUT_WIDTH_MM)}">{"".join(cut_marks(grid))}</g>'
    )
    return _svg(grid, body)


def back_marks(grid: Grid, cells: Iterable[tuple[float, float]], colour: str, shift_x: float) -> str:
    """Image URL (data:) of a back sheet's underlay: colour around each back, cut marks (shifted)."""
    bleeds = "".join(
        f'<rect x="{_n(x - BACK_BLEED_MM)}" y="{_n(y - BACK_BLEED_MM)}" width="{_n(grid.cell_w + 2 * BACK_BLEED_MM)}" '
        f'height="{_n(grid.cell_h + 2 * BACK_BLEED_MM)}"/>'
        for x, y in cells
    )
    body = (
        f'<g fill="{colour}">{bleeds}</g>'
        f'<g stroke="{CUT_INK}" stroke-width="{_n(CUT_WIDTH_MM)}">{"".join(cut_marks(grid, shift_x))}</g>'
    )
    return _svg(grid, body)
