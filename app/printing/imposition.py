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
#: Space between cards that meet head to foot.
GUTTER_MM = 3.0
#: Gap between the grid and its cut marks.
MARK_GAP_MM = 1.5
MARK_MAX_MM = 7.0
MARK_MIN_MM = 3.0
#: The sheet's text line: this far from the paper's edge (inside what a printer prints), this tall.
TEXT_EDGE_MM = 4.0
TEXT_HEIGHT_MM = 3.0
#: Above and below the grid: text, a gap, the shortest marks and their gap to the grid.
MIN_HEAD_MM = TEXT_EDGE_MM + TEXT_HEIGHT_MM + 1.0 + MARK_MIN_MM + MARK_GAP_MM


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
    def gap_x(self) -> float:
        """Gutter between columns (turned cards meet head to foot across columns)."""
        return GUTTER_MM if self.rotated else 0.0

    @property
    def gap_y(self) -> float:
        """Gutter between rows (upright cards meet head to foot across rows)."""
        return 0.0 if self.rotated else GUTTER_MM

    @property
    def width(self) -> float:
        """Width of the grid, gutters included."""
        return self.cols * self.cell_w + (self.cols - 1) * self.gap_x

    @property
    def height(self) -> float:
        """Height of the grid, gutters included."""
        return self.rows * self.cell_h + (self.rows - 1) * self.gap_y

    @property
    def x0(self) -> float:
        """Left edge of the grid."""
        return round((self.paper_w - self.width) / 2, 3)

    @property
    def y0(self) -> float:
        """Top edge of the grid."""
        return round((self.paper_h - self.height) / 2, 3)

    @property
    def mark_v(self) -> float:
        """Length of the cut marks above and below the grid (they stop short of the text line)."""
        room = self.y0 - MARK_GAP_MM - TEXT_EDGE_MM - TEXT_HEIGHT_MM - 1.0
        return round(min(MARK_MAX_MM, room), 3)

    @property
    def mark_h(self) -> float:
        """Length of the cut marks left and right of the grid."""
        return round(min(MARK_MAX_MM, self.x0 - MARK_GAP_MM), 3)

    @property
    def head_top(self) -> float:
        """Top of the sheet's head line: just above the marks, never nearer the edge than 4 mm."""
        return round(max(TEXT_EDGE_MM, self.y0 - MARK_GAP_MM - self.mark_v - 1.0 - TEXT_HEIGHT_MM), 3)

    @property
    def foot_top(self) -> float:
        """Top of the sheet's foot line: just below the marks."""
        bottom = self.y0 + self.height + MARK_GAP_MM + self.mark_v + 1.0
        return round(min(bottom, self.paper_h - TEXT_EDGE_MM - TEXT_HEIGHT_MM), 3)

    def col_edges(self) -> list[float]:
        """Every vertical cut line (left and right edge of each column)."""
        edges: list[float] = []
        for col in range(self.cols):
            left = round(self.x0 + col * (self.cell_w + self.gap_x), 3)
            edges += [left, round(left + self.cell_w, 3)]
        return sorted(set(edges))

    def row_edges(self) -> list[float]:
        """Every horizontal cut line (top and bottom edge of each row)."""
        edges: list[float] = []
        for row in range(self.rows):
            top = round(self.y0 + row * (self.cell_h + self.gap_y), 3)
            edges += [top, round(top + self.cell_h, 3)]
        return sorted(set(edges))

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
            round(self.x0 + col * (self.cell_w + self.gap_x) + offset_x, 3),
            round(self.y0 + row * (self.cell_h + self.gap_y), 3),
        )


def home_grid(size: str, paper: str) -> Grid:
    """The densest grid for this card size on this paper, upright preferred on ties: gutters
    between cards that meet head to foot, room for the marks and the text line above and below."""
    card_w, card_h = CARD_SIZES[size]
    paper_w, paper_h = PAPERS[paper]
    usable_w, usable_h = paper_w - 2 * MIN_MARGIN_MM, paper_h - 2 * MIN_HEAD_MM
    best: Grid | None = None
    for rotated in (False, True):
        cell_w, cell_h = (card_h, card_w) if rotated else (card_w, card_h)
        gap_x, gap_y = (GUTTER_MM, 0.0) if rotated else (0.0, GUTTER_MM)
        cols = int((usable_w + gap_x) // (cell_w + gap_x))
        rows = int((usable_h + gap_y) // (cell_h + gap_y))
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
