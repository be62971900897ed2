"""Imposition: where each card goes on a home/office sheet, fronts and mirrored backs.

Sheets are printed duplex, flipped on the long edge: a card in column `c` of a front sheet lands
behind column `cols - 1 - c` of the following (back) sheet, on the same row. Cards that fit better
turned a quarter (A6 on A4) are rotated +90° on the front and -90° on the back, so that the top of
the back lies behind the top of the front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .theme import CARD_SIZES, PAPERS

#: Smallest margin kept around the grid: home printers cannot print to the edge.
MIN_MARGIN_MM = 6.0


@dataclass(frozen=True)
class Grid:
    """The card grid of one sheet."""

    paper_w: float
    paper_h: float
    card_w: float
    card_h: float
    cols: int
    rows: int
    rotated: bool

    @property
    def per_sheet(self) -> int:
        """Cards per sheet."""
        return self.cols * self.rows

    @property
    def cell_w(self) -> float:
        """Width of a card's footprint on the sheet."""
        return self.card_h if self.rotated else self.card_w

    @property
    def cell_h(self) -> float:
        """Height of a card's footprint on the sheet."""
        return self.card_w if self.rotated else self.card_h

    @property
    def x0(self) -> float:
        """Left edge of the grid."""
        return round((self.paper_w - self.cols * self.cell_w) / 2, 3)

    @property
    def y0(self) -> float:
        """Top edge of the grid."""
        return round((self.paper_h - self.rows * self.cell_h) / 2, 3)

    def sheets(self, count: int) -> int:
        """Number of front sheets for `count` cards."""
        return max(1, math.ceil(count / self.per_sheet))

    def front_cell(self, index: int) -> tuple[int, int]:
        """(row, col) of the card with this index (0-based, within its sheet)."""
        return divmod(index % self.per_sheet, self.cols)

    def back_cell(self, index: int) -> tuple[int, int]:
        """(row, col) of the card's back: same row, mirrored column (long-edge duplex)."""
        row, col = self.front_cell(index)
        return row, self.cols - 1 - col

    def position(self, row: int, col: int, offset_x: float = 0.0) -> tuple[float, float]:
        """Top-left corner (mm) of a cell."""
        return (
            round(self.x0 + col * self.cell_w + offset_x, 3),
            round(self.y0 + row * self.cell_h, 3),
        )


def home_grid(size: str, paper: str) -> Grid:
    """The densest grid for this card size on this paper, upright preferred on ties."""
    card_w, card_h = CARD_SIZES[size]
    paper_w, paper_h = PAPERS[paper]
    usable_w, usable_h = paper_w - 2 * MIN_MARGIN_MM, paper_h - 2 * MIN_MARGIN_MM
    best: Grid | None = None
    for rotated in (False, True):
        cell_w, cell_h = (card_h, card_w) if rotated else (card_w, card_h)
        cols, rows = int(usable_w // cell_w), int(usable_h // cell_h)
        if cols * rows == 0:
            continue
        grid = Grid(paper_w, paper_h, card_w, card_h, cols, rows, rotated)
        if best is None or grid.per_sheet > best.per_sheet:
            best = grid
    if best is None:
        raise ValueError(f"les cartes {size} ne tiennent pas sur du papier {paper}")
    return best


def home_page_count(count: int, size: str, paper: str) -> int:
    """Pages of a home-edition deck: one front and one back sheet per group of cards."""
    return 2 * home_grid(size, paper).sheets(count)


def shop_page_count(count: int) -> int:
    """Pages of a print-shop deck: a front and a back page per card."""
    return 2 * count
