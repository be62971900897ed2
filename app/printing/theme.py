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
CARD_SIZE_LABELS = {"poker": "poker 63\u00a0×\u00a088\u00a0mm", "tarot": "tarot 70\u00a0×\u00a0120\u00a0mm",
                    "a6": "A6 105\u00a0×\u00a0148\u00a0mm"}

#: Paper sizes (width, height, portrait) in millimetres.
PAPERS: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
PAPER_LABELS = {"a4": "A4", "letter": "US Letter"}
#: The booklet body's pages (mm): as wide as A4 and as tall as Letter, so that one layout prints on
#: either paper, centred on the sheet (its boxes grow to the paper at merge, `MergePart.sheet_mm`):
#: a kit for the other paper renders no page of the body again.
BOOKLET_PAGE: tuple[float, float] = (min(w for w, _h in PAPERS.values()), min(h for _w, h in PAPERS.values()))

#: Colour and icon of the item types, used by booklets and as defaults; decks may override them.
#: Every colour reaches at least 4.5:1 against white (WCAG AA for normal text), and any two stay
#: apart for colour-blind readers (MIN_TYPE_DELTA_E, checked under simulated deficiencies).
TYPE_STYLES: dict[str, tuple[str, str]] = {
    "fiche": ("#272260", "fiche"),
    "posture": ("#6b3fa0", "posture"),
    "activite": ("#0e7a52", "activite"),
    "dimension": ("#8a4808", "dimension"),
    "structure": ("#21537a", "structure"),
    "initiative": ("#b0303f", "initiative"),
    "notion": ("#444c55", "notion"),
    "page": ("#272260", "fiche"),
    # Protocols, templates and guides are printed in the booklet only: they share the colour of the
    # type they are closest to (activities, grid worksheets, fiches); roles are a deck of their own.
    "protocole": ("#0e7a52", "protocole"),
    "modele": ("#8a4808", "modele"),
    "role": ("#7058d8", "role"),
    "guide": ("#272260", "guide"),
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


#: Colour-vision deficiency simulation (Machado, Oliveira and Fernandes 2009, severity 1), applied to
#: linear sRGB: protanopia, deuteranopia, tritanopia.
CVD_MATRICES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "protanopie": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deutéranopie": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopie": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
#: Smallest CIE76 colour difference kept between any two type colours, as seen with normal vision
#: and with each simulated deficiency (10 is a difference anyone sees at a glance on a card band).
MIN_TYPE_DELTA_E = 15.0


def _linear(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen_as(colour: str, vision: str = "normale") -> tuple[float, float, float]:
    """CIELAB of `colour` as seen with normal vision or a simulated deficiency (CVD_MATRICES)."""
    rgb = [_linear(c) for c in parse_hex(colour)]
    matrix = CVD_MATRICES.get(vision)
    if matrix is not None:
        rgb = [max(0.0, min(1.0, sum(row[i] * rgb[i] for i in range(3)))) for row in matrix]
    return _lab((rgb[0], rgb[1], rgb[2]))


def colour_difference(a: str, b: str, vision: str = "normale") -> float:
    """CIE76 ΔE between two colours as seen with `vision`."""
    la, lb = seen_as(a, vision), seen_as(b, vision)
    return sum((p - q) ** 2 for p, q in zip(la, lb, strict=True)) ** 0.5
