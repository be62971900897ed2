"""Checks on free text people type after a session (impression notes, cluster names, synthesis).

Text is stored as typed (HTML, URLs, emoji, right-to-left marks are kept and rendered inert by the
templates); only what a database cannot hold faithfully is refused: NUL characters (PostgreSQL text
cannot contain them) and text over the field's limit. Line endings are normalised to `\\n`.
"""

from __future__ import annotations

from .errors import DomainError


def checked_text(text: str, *, limit: int, field: str, required: bool = False) -> str:
    """The text with normalised line endings, or `DomainError` (`text-nul`, `text-too-long`, `text-empty`)."""
    value = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in value:
        raise DomainError("text-nul", field=field)
    if len(value) > limit:
        raise DomainError("text-too-long", field=field, limit=limit, length=len(value))
    if required and not value.strip():
        raise DomainError("text-empty", field=field)
    return value


def short_quote(text: str, limit: int = 160) -> str:
    """The start of a text on one line, cut at a word near `limit` characters (with an ellipsis)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[: limit] else flat[:limit]
    return cut.rstrip(" ,;:.") + "…"


#: What Markdown reads inside a line (emphasis, code, links, autolinks and HTML, entities, tables,
#: strikethrough, a heading's closing #, the typographer's (c)). Quotes sit inside a line after
#: "« ", so block markers (- + 1. at the start of a line) need no escape, nor do . - ! in text:
#: escaping them only showed backslashes in the editor.
_MD_SPECIAL = set("\\`*_[]()<>#|~&")


def markdown_literal(text: str) -> str:
    """Text on one line (whitespace runs become one space: nothing can start a block), escaped so
    that the Markdown renderer shows it as typed (no link, emphasis or heading)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in " ".join(text.split()))
