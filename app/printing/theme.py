"""Print theme: card and paper sizes, type colours and icons, WCAG contrast helpers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

#: Card sizes (width, height) in millimetres.
CARD_SIZES: dict[str, tuple[float, float]] = {
    "poker": (63.0, 88.0),
    "tarot": (70.0, 120.0),
    "a6": (105.0, 148.0),
}
CARD_SIZE_LABELS = {"poker": "poker 63 × 88 mm", "tarot": "tarot 70 × 120 mm", "a6": "A6 105 × 148 mm"}

#: Paper sizes (width, height, portrait) in millimetres.
PAPERS: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
PAPER_LABELS = {"a4": "A4", "letter": "US Letter"}

#: Colour and icon of the item types, used by booklets and as defaults; decks may override them.
#: Every colour reaches at least 4.5:1 against white (WCAG AA for normal text).
TYPE_STYLES: dict[str, tuple[str, str]] = {
    "fiche": ("#2b4162", "fiche"),
    "posture": ("#6b3fa0", "posture"),
    "activite": ("#0b6e4f", "activite"),
    "dimension": ("#8a4b08", "dimension"),
    "structure": ("#1f5f8b", "structure"),
    "initiative": ("#b0303f", "initiative"),
    "notion": ("#3f4b57", "notion"),
    "page": ("#2b4162", "fiche"),
}
INK = "#1b1f24"
MUTED = "#4d5661"


def parse_hex(colour: str) -> tuple[int, int, int]:
    """`#rrggbb` -> (r, g, b)."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio between two sRGB colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def tint(colour: str, amount: float) -> str:
    """Mix `colour` with white: 0 gives white, 1 gives the colour."""
    r, g, b = parse_hex(colour)
    mixed = (round(255 + (c - 255) * amount) for c in (r, g, b))
    return "#" + "".join(f"{c:02x}" for c in mixed)


@lru_cache(maxsize=64)
def icon_svg(print_dir: Path, name: str) -> str:
    """The inline SVG markup of `print/icons/<name>.svg` (our own files, never content)."""
    path = Path(print_dir) / "icons" / f"{name}.svg"
    return path.read_text(encoding="utf-8").strip()
