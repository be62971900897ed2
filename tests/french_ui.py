"""What a French reader sees of an interface text: the French catalogue's typography.

The interface strings are written with straight apostrophes and ordinary spaces; the French
catalogue (app/web/french_catalogue.py) sets them with typographic apostrophes and no-break spaces.
`fr("Cette page n'existe pas : cherchez")` is "Cette page n’existe pas\\u00a0: cherchez", the text a
French page shows. A number that came from a `%(x)s` placeholder keeps the ordinary space the
catalogue left after it: write such a text out (`"vos 3 votes"`), not through `fr`.
"""

from __future__ import annotations

from app.kit.markdown import french_template

NBSP = "\u00a0"
NNBSP = "\u202f"


def fr(text: str) -> str:
    """`text` with the French interface typography (the rules the French catalogue applies)."""
    return french_template(text)
