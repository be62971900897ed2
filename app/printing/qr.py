"""Vector QR codes (SVG from `qrcode`) with a `<title>` for assistive technologies."""

from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M

#: The data mask of every code (any of the eight decodes alike; a fixed one saves scoring them all).
QR_MASK = 2


def resource_url(base_url: str, item_id: str) -> str:
    """The URL a printed QR code points to: the item's resource page on the web app."""
    return f"{base_url.rstrip('/')}/r/{item_id}"


@lru_cache(maxsize=1024)
def qr_svg(url: str, title: str, colour: str = "#000000") -> str:
    """An inline SVG QR code for `url`: one path of unit squares, no quiet zone (the layout adds it)."""
    # Scoring all eight masks (qrcode's default) costs six times the rest of the encoding.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1, mask_pattern=QR_MASK)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    # One stroked sub-path per row (butt caps draw exact module squares): few path commands,
    # which keeps WeasyPrint's SVG path parsing cheap.
    rows: list[str] = []
    for y, row in enumerate(matrix):
        commands: list[str] = []
        pen = 0
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                if not commands:
                    commands.append(f"M{start} {y}.5h{x - start}")
                else:
                    commands.append(f"m{start - pen} 0h{x - start}")
                pen = x
            else:
                x += 1
        rows.append("".join(commands))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="qr" '
        f'role="img" shape-rendering="crispEdges"><title>{escape(title)}</title>'
        f'<path fill="none" stroke="{colour}" stroke-width="1" d="{"".join(rows)}"/></svg>'
    )
