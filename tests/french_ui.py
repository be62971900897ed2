"""What a French reader sees of an interface text: the French catalogue's typography.

The interface strings are written with straight apostrophes and ordinary spaces; the French
catalogue (app/web/french_catalogue.py) sets them with typographic apostrophes and no-break spaces.
`fr("Cette page n'existe pas : cherchez")` is "Cette page n’existe pas\\u00a0: cherchez", the text a
French page shows. A number that came from a `%(x)s` placeholder keeps the ordinary space the
catalogue left after it: write such a text out (`"vos 3 votes"`), not through `fr`.
"""

from __future__ import annotations

from html.parser import HTMLParser

from app.kit.markdown import french_template

NBSP = "\u00a0"
NNBSP = "\u202f"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def fr(text: str) -> str:
    """`text` with the French interface typography (the rules the French catalogue applies)."""
    return french_template(text)


class _Text(HTMLParser):
    """A page's visible text and its aria-label, title, placeholder and alt attributes, each with
    whether it sits in French (`lang="fr"`, inherited)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, bool]] = []
        self._open: list[tuple[str, bool, bool]] = []  # tag, French, hidden (script or style)

    def _state(self) -> tuple[bool, bool]:
        return (self._open[-1][1], self._open[-1][2]) if self._open else (False, False)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name: value or "" for name, value in attrs}
        french, hidden = self._state()
        french = names["lang"] == "fr" if "lang" in names else french
        hidden = hidden or tag in ("script", "style")
        if not hidden:
            self.found += [(names[name], french) for name in ("aria-label", "title", "placeholder", "alt")
                           if names.get(name)]
        if tag not in VOID:
            self._open.append((tag, french, hidden))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        french, hidden = self._state()
        if not hidden and data.strip():
            self.found.append((data.strip(), french))


def texts_by_language(page: str) -> list[tuple[str, bool]]:
    """Each visible text of `page` (and its aria-label, title, placeholder and alt attributes),
    with whether it sits in French content (`lang="fr"` on it or an ancestor)."""
    parser = _Text()
    parser.feed(page)
    parser.close()
    return parser.found
